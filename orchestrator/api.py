"""The Python API: every operation of the tool, each returning an :class:`APIResponse`.

The CLI and the action are thin shells over this class, so a command and its method always
agree. Methods never raise for a user's mistake: an :class:`OrchestratorError` becomes
``APIResponse(success=False, message=..., error=<kind>)``. Heavy libraries (pandas,
scikit-learn, PyGithub) are imported inside the methods that need them, so ``insights`` or
``record`` start fast.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

from . import catalog
from .errors import NotAvailable, OrchestratorError, ValidationError, WorkflowNotFound
from .model import MAX_DURATION_SECONDS, ResourceUsage, RunRecord, clean_text, format_time, parse_time
from .report.insights import insights
from .store import HistoryStore
from .version import __version__

DEFAULT_DATA_DIR = ".workflow-orchestrator"

F = TypeVar("F", bound=Callable[..., "APIResponse"])


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@dataclass
class APIResponse:
    """The answer to every API call: ``success``, a one-line ``message``, and JSON-able ``data``."""

    success: bool
    message: str
    data: Any = None
    error: str | None = None
    timestamp: str = field(default_factory=lambda: format_time(_now()) or "")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"success": self.success, "message": self.message, "data": self.data,
                               "timestamp": self.timestamp}
        if self.error is not None:
            out["error"] = self.error
        return out


def _answers(method: F) -> F:
    """Turn the tool's own errors into a failed response naming the kind of error."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> APIResponse:
        try:
            return method(*args, **kwargs)
        except OrchestratorError as exc:
            return APIResponse(False, str(exc), None, error=type(exc).__name__)

    return wrapper  # type: ignore[return-value]


def default_data_dir() -> Path:
    """``$ORCHESTRATOR_DATA``, else ``.workflow-orchestrator`` in the working directory."""
    return Path(os.environ.get("ORCHESTRATOR_DATA") or DEFAULT_DATA_DIR)


class WorkflowOrchestratorAPI:
    """Predictions, insights and recommendations from one history store.

    >>> api = WorkflowOrchestratorAPI(data_dir="examples/store")   # doctest: +SKIP
    >>> api.get_workflow_insights("CI").data["success_rate"]        # doctest: +SKIP
    0.93
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, store: HistoryStore | None = None,
                 clock: Callable[[], datetime] = _now) -> None:
        self.store = store or HistoryStore.local(data_dir or default_data_dir())
        self.clock = clock

    # ----- shared helpers ---------------------------------------------------------------------
    def _workflow(self, name: str, repo: str | None) -> catalog.Workflow:
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("workflow", name, "a workflow name, path or id")
        return catalog.resolve(catalog.workflows(self.store.runs()), name, repo)

    def _runs_of(self, workflow: catalog.Workflow) -> list[RunRecord]:
        return [r for r in self.store.runs() if r.workflow_key == workflow.key]

    # ----- reading the history ----------------------------------------------------------------
    @_answers
    def get_workflow_insights(self, workflow_name: str, repo: str | None = None) -> APIResponse:
        """Totals, success rate, duration and queue figures, busiest hour, trend, per-event view."""
        workflow = self._workflow(workflow_name, repo)
        data = {"workflow": workflow.to_dict(), **insights(self._runs_of(workflow))}
        return APIResponse(True, f"Insights for {workflow.label()} from {data['total_executions']} runs", data)

    @_answers
    def get_execution_history(self, workflow_name: str, limit: int = 20, repo: str | None = None) -> APIResponse:
        """The workflow's runs, newest first, each with its derived fields."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100_000:
            raise ValidationError("limit", limit, "a whole number from 1 to 100000")
        workflow = self._workflow(workflow_name, repo)
        runs = sorted(self._runs_of(workflow), key=lambda r: (r.created_at, r.id, r.run_attempt), reverse=True)
        shown = [r.to_dict() for r in runs[:limit]]
        data = {"workflow": workflow.to_dict(), "total": len(runs), "returned": len(shown), "runs": shown}
        return APIResponse(True, f"{len(shown)} of {len(runs)} runs of {workflow.label()}, newest first", data)

    @_answers
    def list_workflows(self, repo: str | None = None) -> APIResponse:
        """Every workflow the store has history for."""
        known = [w for w in catalog.workflows(self.store.runs()) if repo is None or w.repository == repo]
        return APIResponse(True, f"{len(known)} workflows", {"workflows": [w.to_dict() for w in known]})

    @_answers
    def health_check(self) -> APIResponse:
        """Whether the store reads, its schema version, what it holds, and the tool's versions."""
        from .store.codec import SCHEMA_VERSION

        runs = self.store.runs()
        state = self.store.state()
        files = self.store.files()
        data = {
            "store": self.store.location(),
            "readable": True,
            "initialised": self.store.is_initialised(),
            "schema_version": SCHEMA_VERSION,
            "runs": len(runs),
            "workflows": len(catalog.workflows(runs)),
            "repositories": sorted({r.repository for r in runs}),
            "bytes": sum(len(b) for b in files.values()),
            "bytes_per_run": round(sum(len(b) for k, b in files.items() if k.startswith("runs/")) / len(runs), 1) if runs else None,
            "predictions_logged": len(self.store.predictions()),
            "last_sync": state.get("last_sync"),
            "oldest_run": format_time(runs[0].created_at) if runs else None,
            "newest_run": format_time(runs[-1].created_at) if runs else None,
            "versions": {"workflow_orchestrator": __version__, "python": platform.python_version()},
        }
        return APIResponse(True, f"Store {data['store']} is healthy: {data['runs']} runs, {data['workflows']} workflows", data)

    # ----- writing the history ----------------------------------------------------------------
    @_answers
    def import_files(self, paths: Sequence[str | os.PathLike[str]], repo: str | None = None) -> APIResponse:
        """Import run history files; bad rows are skipped and counted, re-imports change nothing."""
        from .source.importers import read_files

        if not paths:
            raise ValidationError("files", list(paths), "at least one file to import")
        parsed = read_files(paths, repository=repo)
        result = self.store.commit(parsed.runs, message=f"Import {len(parsed.runs)} runs")
        data = {"imported": result.added, "updated": result.updated, "unchanged": result.unchanged,
                "skipped": sum(parsed.skipped.values()), "skipped_reasons": dict(parsed.skipped.most_common()),
                "formats": parsed.formats}
        return APIResponse(True, f"Imported {result.added} new runs, updated {result.updated}, "
                                 f"skipped {data['skipped']}", data)

    @_answers
    def record_execution(self, workflow_name: str, start_time: str | datetime, duration_seconds: float,
                         success: bool, run_id: int | None = None, resource_usage: Mapping[str, Any] | None = None,
                         repo: str | None = None, run_attempt: int = 1, event: str | None = None,
                         branch: str | None = None) -> APIResponse:
        """Record one execution a workflow reports about itself (the ``record`` step).

        A record carrying the id of a run that ``sync`` later reads merges into that run, keeping
        the resource usage; without an id it gets a stable synthetic (negative) id, so recording
        the same execution twice stores it once.
        """
        run = self._recorded_run(workflow_name, start_time, duration_seconds, success, run_id,
                                 resource_usage, repo, run_attempt, event, branch)
        result = self.store.commit([run], message=f"Record run {run.id} of {run.name}")
        verb = "Recorded" if result.added else "Updated" if result.updated else "Already had"
        return APIResponse(True, f"{verb} run {run.id} of {run.name}", {"run": run.to_dict(), **result.to_dict()})

    def _recorded_run(self, workflow_name: str, start_time: str | datetime, duration_seconds: float,
                      success: bool, run_id: int | None, resource_usage: Mapping[str, Any] | None,
                      repo: str | None, run_attempt: int, event: str | None, branch: str | None) -> RunRecord:
        name = clean_text(workflow_name, "workflow", required=True) or ""
        start = parse_time(start_time, "start-time")
        assert start is not None
        if isinstance(duration_seconds, bool) or not isinstance(duration_seconds, (int, float)) \
                or not 0 <= duration_seconds <= MAX_DURATION_SECONDS:
            raise ValidationError("duration", duration_seconds, f"seconds from 0 to {MAX_DURATION_SECONDS}")
        if not isinstance(success, bool):
            raise ValidationError("success", success, "true or false")
        if run_id is not None and (isinstance(run_id, bool) or not isinstance(run_id, int) or not 0 < run_id < 2**63):
            raise ValidationError("run-id", run_id, "a positive run id")
        if isinstance(run_attempt, bool) or not isinstance(run_attempt, int) or not 1 <= run_attempt <= 1000:
            raise ValidationError("run-attempt", run_attempt, "a whole number from 1 to 1000")
        usage = ResourceUsage.from_mapping(resource_usage)
        try:
            known = self._workflow(name, repo)
            repository, path, workflow_id, name = known.repository, known.path, known.workflow_id, known.name
        except WorkflowNotFound:
            repository = repo or os.environ.get("GITHUB_REPOSITORY") or self._only_repository()
            path = name if name.startswith(".github/workflows/") else None
            workflow_id = None
        if run_id is None:
            digest = hashlib.sha256(f"{repository}\0{path or name}\0{format_time(start)}".encode()).digest()
            run_id = -(int.from_bytes(digest[:7], "big") + 1)
        return RunRecord(
            id=run_id, run_attempt=run_attempt, repository=repository, name=name, path=path,
            workflow_id=workflow_id, event=clean_text(event, "event"), head_branch=clean_text(branch, "branch"),
            status="completed", conclusion="success" if success else "failure", created_at=start,
            run_started_at=start, updated_at=start + timedelta(seconds=float(duration_seconds)), usage=usage,
        )

    def _only_repository(self) -> str:
        repos = sorted({r.repository for r in self.store.runs()})
        if len(repos) == 1:
            return repos[0]
        raise ValidationError("repo", None, "OWNER/NAME (the store does not know this workflow's repository)")

    # ----- learning ---------------------------------------------------------------------------
    def _predictor(self) -> Any:
        from .learn import fit_predictor

        runs = self.store.runs()
        if not runs:
            raise NotAvailable("the store has no runs to learn from: run `import` or `sync` first")
        return fit_predictor(runs, cache_key=self.store.content_key())
