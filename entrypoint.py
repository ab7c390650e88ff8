"""The Docker action's entry point: settings → run → outputs and summary.

Exits 1 only on a real failure, with the message as ``::error::`` and in the summary; a partial
sync or a repository without history still succeeds and says so.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # /app in the image, the checkout in tests

from orchestrator.action.commands import Log  # noqa: E402
from orchestrator.action.outputs import write_outputs, write_summary  # noqa: E402
from orchestrator.action.run import run, write_report  # noqa: E402
from orchestrator.action.settings import load_settings  # noqa: E402
from orchestrator.errors import OrchestratorError  # noqa: E402
from orchestrator.report.markdown import md  # noqa: E402


def main() -> int:
    log = Log()
    for secret in ("INPUT_TOKEN", "GITHUB_TOKEN", "INPUT_APPLY-TOKEN"):
        log.mask(os.environ.get(secret, "").strip())
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    summarised = False
    try:
        settings = load_settings(os.environ)
        result = run(settings, log)
        summary = write_report(settings.workspace, result)
        write_outputs(settings.output_file, result.outputs)
        if settings.summary:
            write_summary(settings.summary_file, summary)
            summarised = True  # the summary already shows the failures
        if result.failures:
            raise OrchestratorError("; ".join(result.failures))
    except OrchestratorError as exc:
        log.annotate("error", str(exc), title="Workflow Orchestrator failed")
        if summary_file and not summarised:
            write_summary(Path(summary_file), f"> [!CAUTION]\n> **Workflow Orchestrator failed:** {md(exc, 2000)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
