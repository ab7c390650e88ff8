"""The demo: the action's main job (train → recommend → report) on the bundled sample history.

It needs no token and no network: the sample store and workflow file are copied to a temporary
workspace (the installed package is never written to), and the job runs in the action's
``report`` mode with "now" set just after the sample's newest run, so liveness is judged as it
would have been on that day rather than against a history that has since gone quiet.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from .action.commands import ConsoleLog
from .action.run import run
from .action.settings import Settings
from .api import WorkflowOrchestratorAPI

SAMPLE_REPOSITORY = "facebook/react"


@dataclass
class DemoResult:
    """What the job produced: the summary Markdown, the step outputs and the full report."""

    summary: str
    outputs: dict[str, str]
    report: dict[str, Any]
    #: ``insights`` of each scheduled workflow of the sample, as the CLI command answers it.
    insights: list[dict[str, Any]]


def run_demo(log_stream: TextIO | None = None) -> DemoResult:
    """Run the main job on a temporary copy of the sample; the action's log goes to ``log_stream``."""
    sample = resources.files("orchestrator") / "sample"
    with tempfile.TemporaryDirectory(prefix="workflow-orchestrator-demo-") as scratch:
        workspace = Path(scratch)
        with resources.as_file(sample) as sample_dir:
            shutil.copytree(sample_dir / "store", workspace / "store")
            shutil.copytree(sample_dir / "workflows", workspace / ".github" / "workflows")
        api = WorkflowOrchestratorAPI(data_dir=workspace / "store")
        runs = api.store.runs()
        now = runs[-1].created_at + timedelta(hours=1)
        api.clock = lambda: now
        settings = Settings(
            token="", repository=SAMPLE_REPOSITORY, data_branch="(bundled sample)",
            workflows_dir=workspace / ".github" / "workflows", workflows=(), lookback_days=0, max_requests=0,
            min_confidence=0.6, timezone="UTC", mode="report", summary=True, api_url="https://api.github.com",
            workspace=workspace, output_file=None, summary_file=None, public=True,  # facebook/react is public
        )
        result = run(settings, ConsoleLog(stream=log_stream or sys.stderr), api=api, now=now)
        scheduled = [rec.get("workflow_key") for rec in result.report["recommend"].get("recommendations", [])]
        insights = [response.data for key in scheduled if key
                    if (response := api.get_workflow_insights(key, workflows_dir=settings.workflows_dir,
                                                              public=settings.public)).success]
        return DemoResult("\n\n".join(result.summary_sections) + "\n", result.outputs, result.report, insights)
