"""Cost: what a workflow's runs cost in GitHub Actions minutes, priced by runner type and date."""
