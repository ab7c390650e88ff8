"""The GitHub Action shell: settings from ``INPUT_*``, the run, step outputs, annotations, summary."""
