"""Record the running workflow's own execution into the data branch (the ``record`` action's script).

Run by ``record/action.yml`` as ``python "$GITHUB_ACTION_PATH/record.py"``. Inputs arrive as
``RECORD_*`` environment variables (the composite step maps them with ``env:``, never by pasting
``${{ }}`` into a shell line), the run's identity from the runner's ``GITHUB_*`` variables. It
stays light: the project's API and store code, PyGithub, nothing that learns. The store merges the
record with the run ``sync`` reads later (same run id and attempt), and the write is the store's
compare-and-swap commit, retried when another job wrote the branch first.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the action's checkout holds orchestrator/

from orchestrator.action.commands import Log  # noqa: E402
from orchestrator.action.settings import parse_api_url, parse_data_branch, parse_repository  # noqa: E402
from orchestrator.errors import OrchestratorError, ValidationError  # noqa: E402
from orchestrator.model import parse_time  # noqa: E402


def workflow_path(environ: Mapping[str, str]) -> str | None:
    """``.github/workflows/x.yml`` from ``GITHUB_WORKFLOW_REF`` (``owner/repo/<path>@<ref>``)."""
    ref = environ.get("GITHUB_WORKFLOW_REF", "").split("@", 1)[0]
    parts = ref.split("/", 2)
    return parts[2] if len(parts) == 3 and parts[2] else None


def measured_usage(environ: Mapping[str, str], proc: Path = Path("/proc")) -> dict[str, Any]:
    """Resource usage: the given inputs, else what the runner shows when the step runs.

    CPU is the 5-minute load average as a percentage of the cores; memory is what the machine has
    in use (MemTotal - MemAvailable). Both describe the runner near the end of the job, which is
    what a hosted runner lets a step see; pass the inputs for exact figures.
    """
    usage: dict[str, Any] = {}
    for key, name in (("cpu_percent", "RECORD_CPU_PERCENT"), ("memory_mb", "RECORD_MEMORY_MB"), ("api_calls", "RECORD_API_CALLS")):
        raw = environ.get(name, "").strip()
        if raw:
            try:
                usage[key] = int(raw) if key == "api_calls" else float(raw)
            except ValueError:
                raise ValidationError(name.removeprefix("RECORD_").lower().replace("_", "-"), raw, "a number") from None
    try:
        if "cpu_percent" not in usage:
            load5 = float((proc / "loadavg").read_text().split()[1])
            usage["cpu_percent"] = round(min(100.0, 100.0 * load5 / (os.cpu_count() or 1)), 1)
        if "memory_mb" not in usage:
            info = dict(line.split(":", 1) for line in (proc / "meminfo").read_text().splitlines() if ":" in line)
            used_kb = int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])
            usage["memory_mb"] = round(used_kb / 1024, 1)
    except (OSError, KeyError, ValueError, IndexError):
        pass  # not Linux, or /proc unreadable: record what was given
    return usage


def open_client(token: str, api_url: str) -> Any:
    """The project's GitHub client (budget, retries, rate limits) for ``api_url`` with ``token``."""
    from orchestrator.source.github import ClientSettings, GitHubClient

    environ = {"GITHUB_TOKEN": token}
    return GitHubClient(ClientSettings.resolve(api_url=api_url, environ=environ), environ=environ)


def run_started_at(client: Any, repository: str, run_id: int, attempt: int) -> datetime:
    """When this attempt started: ``GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}``."""
    path = f"/repos/{repository}/actions/runs/{run_id}/attempts/{attempt}"
    response = client.request("GET", path)
    if response.status != 200:
        raise client.error(response, "GET", path)
    started = parse_time(response.data.get("run_started_at") or response.data.get("created_at"), "run_started_at", assume_utc=True)
    if started is None:
        raise OrchestratorError(f"run {run_id} of {repository} has no start time; pass started-at")
    return started


def record(environ: Mapping[str, str]) -> str:
    """Record the run described by ``environ``; returns the API's message."""
    from orchestrator.api import WorkflowOrchestratorAPI
    from orchestrator.store import HistoryStore
    from orchestrator.store.branch import BranchBackend

    token = environ.get("RECORD_TOKEN", "").strip()
    if not token:
        raise ValidationError("token", "", "a token with contents: write (default: ${{ github.token }})")
    repository = parse_repository(environ.get("GITHUB_REPOSITORY", ""))
    branch = parse_data_branch(environ.get("RECORD_DATA_BRANCH", "").strip() or "workflow-orchestrator-data")
    api_url = parse_api_url(environ.get("GITHUB_API_URL", "").strip() or "https://api.github.com")
    success_text = environ.get("RECORD_SUCCESS", "").strip().lower()
    if success_text not in ("true", "false"):
        raise ValidationError("success", success_text, "true or false, e.g. success: ${{ job.status == 'success' }}")
    run_id_text = environ.get("GITHUB_RUN_ID", "")
    if not run_id_text.isdigit():
        raise ValidationError("GITHUB_RUN_ID", run_id_text, "the run id the runner sets; run this inside a workflow")
    run_id = int(run_id_text)
    attempt = int(environ.get("GITHUB_RUN_ATTEMPT") or 1)
    client = open_client(token, api_url)
    started = parse_time(environ.get("RECORD_STARTED_AT", "").strip(), "started-at") or run_started_at(client, repository, run_id, attempt)
    api = WorkflowOrchestratorAPI(store=HistoryStore(BranchBackend(client, repository, branch)))
    response = api.record_execution(
        workflow_path(environ) or environ.get("GITHUB_WORKFLOW", "workflow"),
        start_time=started,
        duration_seconds=max(0.0, (datetime.now(timezone.utc) - started).total_seconds()),
        success=success_text == "true",
        run_id=run_id,
        run_attempt=attempt,
        resource_usage=measured_usage(environ) or None,
        repo=repository,
        event=environ.get("GITHUB_EVENT_NAME") or None,
        branch=environ.get("GITHUB_REF_NAME") or None,
    )
    if not response.success:
        raise OrchestratorError(response.message)
    return response.message


def main() -> int:
    log = Log()
    log.mask(os.environ.get("RECORD_TOKEN", "").strip())
    try:
        log.info(record(os.environ))
    except OrchestratorError as exc:
        log.annotate("error", str(exc), title="Workflow Orchestrator record failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
