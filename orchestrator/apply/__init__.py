"""Apply stage: write recommended crons into workflow files, locally or as a pull request."""
