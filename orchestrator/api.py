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
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

from . import catalog
from .errors import NotAvailable, OrchestratorError, SourceError, UsageError, ValidationError, WorkflowNotFound
from .model import MAX_DURATION_SECONDS, ResourceUsage, RunRecord, clean_text, format_time, parse_time
from .report.insights import insights
from .schedule.decision import DEFAULT_MIN_CONFIDENCE, decide
from .store import HistoryStore, LocalBackend
from .version import __version__

DEFAULT_DATA_DIR = ".workflow-orchestrator"
#: Where a local store keeps its pickled model (ours alone: never point it at downloaded files).
MODEL_CACHE_DIR = "cache"
#: Where a repository's workflow files are, relative to its checkout (the working directory).
DEFAULT_WORKFLOWS_DIR = ".github/workflows"

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
    """Turn the tool's own errors into a failed response naming the kind of error, and any
    other exception into one ``InternalError`` response (a bug of ours, never a traceback at the
    user): its traceback is saved to a file the message names, for the bug report."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> APIResponse:
        try:
            return method(*args, **kwargs)
        except OrchestratorError as exc:
            return APIResponse(False, str(exc), None, error=type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - the last line of defence is the point
            return internal_error(exc, method.__name__)

    return wrapper  # type: ignore[return-value]


def internal_error(exc: BaseException, where: str) -> APIResponse:
    """The failed response for an unexpected exception, with its traceback saved to a file."""
    import tempfile
    import traceback

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        handle, path = tempfile.mkstemp(prefix="workflow-orchestrator-traceback-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(f"workflow-orchestrator {__version__}, in {where}\n{text}")
        saved = f"the traceback is saved in {path}"
    except OSError:
        path, saved = None, "the traceback could not be saved"
    message = (f"internal error in {where}: {type(exc).__name__}. This is a bug in workflow-orchestrator, "
               f"not in your input; {saved}. Please report it with that file.")
    return APIResponse(False, message, {"traceback_file": path}, error="InternalError")


def _count(n: int, noun: str) -> str:
    """``1 workflow``, ``2 workflows``: messages people read get their plurals right."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _unknown_figures() -> dict[str, Any]:
    """The prediction figures of a workflow nothing is known about: unknown, and no confidence."""
    return {"confidence": 0.0, "expected_duration_seconds": None, "duration_p90_seconds": None,
            "predicted_success_rate": None, "resource_impact": None, "measured_error": None, "baselines": None}


#: A store file's top-level version, found without parsing it (inside strings JSON escapes the quotes).
_SCHEMA_VERSION = re.compile(rb'"schemaVersion":(\d+)')


@dataclass(frozen=True)
class _Pricing:
    """How ``predict`` and ``batch`` price a run: the rate table and whether the repository is public."""

    table: Any
    public: bool

    @classmethod
    def load(cls, rates: str | os.PathLike[str] | None, public: bool) -> "_Pricing":
        from .cost.rates import RateTable

        return cls(RateTable.load(rates), bool(public))


def _unknown_prediction(name: str, reason: str) -> dict[str, Any]:
    """The seed's prediction shape for a name that matched no workflow."""
    return {"workflow_name": name, "workflow": None, "recommended_schedule": None, **_unknown_figures(),
            "reasoning": [reason], "n_runs": 0, "error": WorkflowNotFound.__name__, "message": reason}


def _names(runs: Sequence[RunRecord]) -> dict[str, str]:
    """Workflow key → its latest name, so per-workflow rows can be shown by name."""
    return {w.key: w.name for w in catalog.workflows(runs)}


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
                 clock: Callable[[], datetime] = _now, client: Any = None) -> None:
        self.store = store or HistoryStore.local(data_dir or default_data_dir())
        self.clock = clock
        #: The GitHub client (``source.github.GitHubClient``) ``sync`` uses; made on demand.
        self.client = client

    @classmethod
    def on_branch(cls, repo: str, branch: str, api_url: str | None = None, token_env: str | None = None,
                  environ: Mapping[str, str] | None = None) -> "WorkflowOrchestratorAPI":
        """An API whose store lives on ``branch`` of ``repo``, read and written via the Git Data API.

        The token is read from the environment variable ``token_env`` (default ``GITHUB_TOKEN``),
        never passed as a value, so it cannot land in shell history or logs.
        """
        from .source.github import ClientSettings, GitHubClient
        from .store.branch import BranchBackend

        client = GitHubClient(ClientSettings.resolve(api_url=api_url, token_env=token_env, environ=environ), environ=environ)
        return cls(store=HistoryStore(BranchBackend(client, repo, branch)), client=client)

    # ----- shared helpers ---------------------------------------------------------------------
    def _require_store(self) -> None:
        """Reading commands need a store: a mistyped ``--data`` must not read as an empty history."""
        if not self.store.is_initialised():
            raise NotAvailable(f"no workflow-orchestrator store at {self.store.location()}: run `import` or `sync` "
                               "to create one, or point --data (or $ORCHESTRATOR_DATA) at an existing store")

    def _workflow(self, name: str, repo: str | None) -> catalog.Workflow:
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("workflow", name, "a workflow name, path or id")
        return catalog.resolve(catalog.workflows(self.store.runs()), name, repo)

    def _runs_of(self, workflow: catalog.Workflow) -> list[RunRecord]:
        return [r for r in self.store.runs() if r.workflow_key == workflow.key]

    # ----- reading the history ----------------------------------------------------------------
    @_answers
    def get_workflow_insights(self, workflow_name: str, repo: str | None = None,
                              workflows_dir: str | os.PathLike[str] | None = None, public: bool = False,
                              rates: str | os.PathLike[str] | None = None) -> APIResponse:
        """Totals, success rate, duration and queue figures, busiest hour, trend, per-event view,
        and the cost of its last 30 days (``cost``): from the runs' measured jobs (``sync --jobs``),
        else estimated from the workflow's file in ``workflows_dir`` (default ``.github/workflows``);
        ``None`` with neither. ``public`` and ``rates`` price it as in :meth:`recommend`."""
        self._require_store()
        workflow = self._workflow(workflow_name, repo)
        runs = self._runs_of(workflow)
        cost = self._history_cost(workflow, runs, workflows_dir, _Pricing.load(rates, public))
        data = {"workflow": workflow.to_dict(), **insights(runs), "cost": cost}
        return APIResponse(True, f"Insights for {workflow.label()} from {_count(data['total_executions'], 'run')}", data)

    @staticmethod
    def _job_runners(workflow: catalog.Workflow, workflows_dir: str | os.PathLike[str] | None) -> dict[str, Any]:
        """Each job's ``runs-on`` labels from the workflow's file in ``workflows_dir`` (default
        ``.github/workflows``); ``{}`` when the file is not there."""
        from .schedule.workflows import read_workflows

        directory = Path(workflows_dir or DEFAULT_WORKFLOWS_DIR)
        files = read_workflows(directory)[0] if directory.is_dir() else []
        file = next((f for f in files if (workflow.path and f.path == workflow.path) or f.name == workflow.name), None)
        return dict(file.job_runners) if file else {}

    def _history_cost(self, workflow: catalog.Workflow, runs: Sequence[RunRecord],
                      workflows_dir: str | os.PathLike[str] | None, pricing: "_Pricing") -> dict[str, Any] | None:
        """The cost of the workflow's recent runs: from their measured jobs, else estimated from
        its file's ``runs-on``."""
        from .cost.estimate import history_cost

        return history_cost(runs, self._job_runners(workflow, workflows_dir), pricing.table, pricing.public)

    @_answers
    def get_execution_history(self, workflow_name: str, limit: int = 20, repo: str | None = None) -> APIResponse:
        """The workflow's runs, newest first, each with its derived fields."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100_000:
            raise ValidationError("limit", limit, "a whole number from 1 to 100000")
        self._require_store()
        workflow = self._workflow(workflow_name, repo)
        runs = sorted(self._runs_of(workflow), key=lambda r: (r.created_at, r.id, r.run_attempt), reverse=True)
        shown = [r.to_dict() for r in runs[:limit]]
        data = {"workflow": workflow.to_dict(), "total": len(runs), "returned": len(shown), "runs": shown}
        return APIResponse(True, f"{len(shown)} of {len(runs)} runs of {workflow.label()}, newest first", data)

    @_answers
    def list_workflows(self, repo: str | None = None) -> APIResponse:
        """Every workflow the store has history for."""
        self._require_store()
        known = [w for w in catalog.workflows(self.store.runs()) if repo is None or w.repository.lower() == repo.lower()]
        return APIResponse(True, _count(len(known), "workflow"), {"workflows": [w.to_dict() for w in known]})

    @_answers
    def health_check(self) -> APIResponse:
        """Whether the store reads, its schema version, what it holds, and the tool's versions."""
        from .store.codec import SCHEMA_VERSION

        self._require_store()
        runs = self.store.runs()
        state = self.store.state()
        files = self.store.files()
        data = {
            "store": self.store.location(),
            "readable": True,
            "initialised": self.store.is_initialised(),
            # The newest format any file of the store is in, and the newest this tool reads.
            "schema_version": max((int(m.group(1)) for b in files.values()
                                   if (m := _SCHEMA_VERSION.search(b))), default=1),
            "reads_schema_version": SCHEMA_VERSION,
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
        return APIResponse(True, f"Store {data['store']} is healthy: {_count(data['runs'], 'run')}, "
                                 f"{_count(data['workflows'], 'workflow')}", data)

    # ----- writing the history ----------------------------------------------------------------
    @_answers
    def import_files(self, paths: Sequence[str | os.PathLike[str]], repo: str | None = None) -> APIResponse:
        """Import run history files; bad rows are skipped and counted, re-imports change nothing.

        Skipped rows are not a quiet detail: each file that had any gets a line in ``warnings``
        and the message counts them, and a file whose every row lacked what ``--repo`` supplies
        fails the import (``ImportRejected``) before anything is written.
        """
        from .source.importers import read_files

        if not paths:
            raise ValidationError("files", list(paths), "at least one file to import")
        parsed = read_files(paths, repository=repo)
        result = self.store.commit(parsed.runs, message=f"Import {len(parsed.runs)} runs")
        data = {"imported": result.added, "updated": result.updated, "unchanged": result.unchanged,
                "skipped": sum(parsed.skipped.values()), "skipped_reasons": dict(parsed.skipped.most_common()),
                "formats": parsed.formats, "warnings": parsed.warnings}
        see = " (see warnings)" if parsed.warnings else ""
        return APIResponse(True, f"Imported {_count(result.added, 'new run')}, updated {result.updated}, "
                                 f"{parsed.skip_summary()}{see}", data)

    @_answers
    def record_execution(self, workflow_name: str, start_time: str | datetime, duration_seconds: float,
                         success: bool, run_id: int | None = None, resource_usage: Mapping[str, Any] | None = None,
                         repo: str | None = None, run_attempt: int = 1, event: str | None = None,
                         branch: str | None = None) -> APIResponse:
        """Record one execution a workflow reports about itself (the ``record`` step).

        A record carrying the id of a run that ``sync`` later reads merges into that run, keeping
        the resource usage; without an id it gets a stable synthetic (negative) id, so recording
        the same execution twice stores it once. A record is a claim, not GitHub's word: one
        starting or ending in the future is refused, and one of a run the store already holds
        never changes that run's timing — it attaches its resource usage if it agrees with the
        stored run and is refused if not (the rules and tolerances: ``orchestrator/recording.py``).
        """
        run, stored = self._recorded_run(workflow_name, start_time, duration_seconds, success, run_id,
                                         resource_usage, repo, run_attempt, event, branch)
        result = self.store.commit([run], message=f"Record run {run.id} of {run.name}")
        verb = "Recorded" if result.added else "Updated" if result.updated else "Already had"
        kept = "" if stored is None else "; the stored run keeps its timing" + (
            "" if stored.completed else " and, still in progress, gets its outcome from the next sync")
        return APIResponse(True, f"{verb} run {run.id} of {run.name}{kept}", {"run": run.to_dict(), **result.to_dict()})

    def _recorded_run(self, workflow_name: str, start_time: str | datetime, duration_seconds: float,
                      success: bool, run_id: int | None, resource_usage: Mapping[str, Any] | None,
                      repo: str | None, run_attempt: int, event: str | None,
                      branch: str | None) -> tuple[RunRecord, RunRecord | None]:
        """The version of the run to commit, and the stored version it was checked against (if any)."""
        from . import recording

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
        recording.check_not_future(start, float(duration_seconds), self.clock())
        usage = ResourceUsage.from_mapping(resource_usage)
        event, branch = clean_text(event, "event"), clean_text(branch, "branch")
        runs = self.store.runs()
        by_key = {r.key: r for r in runs}
        workflows = catalog.workflows(runs)
        # A given run id is looked up first: a stored run is identified by it, whatever the store
        # knows (or not) about the workflow name the record gives.
        stored = by_key.get((run_id, run_attempt)) if run_id is not None else None
        if stored is None:
            try:
                known = catalog.resolve(workflows, name, repo)
                repository, path, workflow_id, name = known.repository, known.path, known.workflow_id, known.name
            except WorkflowNotFound:
                repository = repo or os.environ.get("GITHUB_REPOSITORY") or self._only_repository()
                path = name if name.startswith(".github/workflows/") else None
                workflow_id = None
            if run_id is None:
                digest = hashlib.sha256(f"{repository}\0{path or name}\0{format_time(start)}".encode()).digest()
                run_id = -(int.from_bytes(digest[:7], "big") + 1)
                stored = by_key.get((run_id, run_attempt))
            if stored is None:
                return RunRecord(
                    id=run_id, run_attempt=run_attempt, repository=repository, name=name, path=path,
                    workflow_id=workflow_id, event=event, head_branch=branch,
                    status="completed", conclusion="success" if success else "failure", created_at=start,
                    run_started_at=start, updated_at=start + timedelta(seconds=float(duration_seconds)), usage=usage,
                ), None
        return recording.attach(stored, name, repo, start, float(duration_seconds), success, usage, workflows), stored

    def _only_repository(self) -> str:
        repos = sorted({r.repository for r in self.store.runs()})
        if len(repos) == 1:
            return repos[0]
        raise ValidationError("repo", None, "OWNER/NAME (the store does not know this workflow's repository)")

    # ----- GitHub -----------------------------------------------------------------------------
    @_answers
    def sync(self, repo: str, max_requests: int | None = None, since: str | datetime | None = None,
             jobs: int = 0, api_url: str | None = None, token_env: str | None = None,
             prime: bool = True) -> APIResponse:
        """Fetch new and changed runs of ``repo`` from the GitHub API into the store, in one commit.

        Stops cleanly on the request budget or a rate limit (``complete: false``); the next sync
        resumes from the saved cursor. ``jobs`` runs (at most; one request each) also get their
        jobs measured, which the cost figures then price exactly. ``prime`` (default on) spends one
        request on the next sync's ETag so that an idle next sync costs nothing.
        """
        from .source.github import ClientSettings, GitHubClient
        from .source.sync import DEFAULT_MAX_REQUESTS, sync

        if self.client is None:
            self.client = GitHubClient(ClientSettings.resolve(api_url=api_url, token_env=token_env))
        data = sync(self.store, repo, self.client,
                    max_requests=DEFAULT_MAX_REQUESTS if max_requests is None else max_requests,
                    since=since, jobs=jobs, prime=prime)
        state = "complete" if data.get("complete") else "incomplete (resumes next time)"
        return APIResponse(True, f"Synced {repo}: {_count(int(data.get('runs_added', 0) or 0), 'new run')}, "
                                 f"{data.get('runs_updated', 0)} updated; {state}", data)

    @_answers
    def compact(self) -> APIResponse:
        """Squash the data branch's history into one fresh orphan commit (keeps the branch small)."""
        from .store.branch import BranchBackend

        if not isinstance(self.store.backend, BranchBackend):
            raise ValidationError("--data-branch", None, "a data branch: only a branch store has history to compact")
        sha = self.store.backend.compact()
        self.store.refresh()
        return APIResponse(True, f"Compacted {self.store.location()} into commit {sha[:12]}", {"commit": sha})

    # ----- learning ---------------------------------------------------------------------------
    def _predictor(self, workflows_dir: str | os.PathLike[str] | None = None, repo: str | None = None) -> Any:
        from .learn import fit_predictor

        runs = self.store.runs()
        if not runs:
            raise NotAvailable("the store has no runs to learn from: run `import` or `sync` first")
        # A local store keeps its fitted model beside it, so a cold `predict` loads rather than
        # refits; the key changes with the run history, the schedules' time zones and the tool's
        # version, never otherwise.
        backend = self.store.backend
        cache_dir = backend.root / MODEL_CACHE_DIR if isinstance(backend, LocalBackend) else None
        return fit_predictor(runs, cache_key=f"{__version__}:{self.store.runs_key()}", cache_dir=cache_dir,
                             timezones=self._timezones(runs, workflows_dir, repo))

    @staticmethod
    def _timezones(runs: Sequence[Any], workflows_dir: str | os.PathLike[str] | None, repo: str | None) -> dict[str, str]:
        """Schedule time zones of the workflows in ``workflows_dir`` (default .github/workflows)."""
        directory = Path(workflows_dir or DEFAULT_WORKFLOWS_DIR)
        if not directory.is_dir():
            return {}
        from .schedule import schedule_timezones

        return schedule_timezones(runs, directory, repo)

    def _log_predictions(self, predictor: Any, contexts: Sequence[Any], source: str) -> None:
        """Every prediction a command emits is logged, so ``accuracy`` can later score it, except
        one that only repeats the prediction in force: it would change no score, and an idle
        action run would then have something to commit."""
        from .learn import make_prediction_log_entries, new_prediction_entries

        made = make_prediction_log_entries(predictor, contexts, made_at=self.clock(), source=source)
        entries = new_prediction_entries(self.store.predictions(), made)
        if entries:
            # Decided again against the log actually extended, should another writer come first.
            self.store.commit(predictions=lambda log: new_prediction_entries(log, entries),
                              message=f"Log {len(entries)} predictions ({source})")

    def _schedule_for(self, workflow: catalog.Workflow, workflows_dir: str | os.PathLike[str] | None,
                      predictor: Any, plans: dict[str, list[dict[str, Any]]], pricing: "_Pricing",
                      ) -> tuple[str | None, str, dict[str, Any] | None]:
        """The recommended cron for one workflow, a sentence saying where it came from, and the
        recommendation itself (``None`` without one).

        The workflow's file in ``workflows_dir`` gives its schedule; without one (``predict`` run
        outside the checkout, a store imported from elsewhere) the schedule is inferred from the
        history's ``schedule`` runs and planned the same way. ``plans`` holds each repository's
        recommendations once computed, so a batch plans every repository once.
        """
        from .schedule import recommend
        from .schedule.infer import inferred_file

        directory = Path(workflows_dir or DEFAULT_WORKFLOWS_DIR)
        runs = self.store.runs()
        if workflow.repository not in plans:
            plans[workflow.repository] = self._plan(runs, directory, workflow.repository, predictor, pricing)
        found = self._recommendation_of(workflow, plans[workflow.repository])
        if found is not None:
            return found["recommended_schedule"], self._schedule_reason(found), found
        own = [r.created_at for r in self._runs_of(workflow) if r.event == "schedule" and r.run_attempt == 1]
        file, found_text = inferred_file(workflow.name, workflow.path, own)
        if file is None:
            return None, found_text, None
        inferred = recommend(runs, directory if directory.is_dir() else Path("/nonexistent"),
                             repository=workflow.repository, now=self.clock(), predictor=predictor, extra_files=[file],
                             rates=pricing.table, public=pricing.public)
        rec = self._recommendation_of(workflow, [r for r in inferred["recommendations"] if r.get("path") == file.path])
        if rec is None:
            return file.schedules[0].expression, found_text, None
        rec = decide(rec, DEFAULT_MIN_CONFIDENCE)
        return rec["recommended_schedule"], f"{found_text} {self._schedule_reason(rec)}", rec

    def _plan(self, runs: Sequence[RunRecord], directory: Path, repository: str, predictor: Any,
              pricing: "_Pricing") -> list[dict[str, Any]]:
        """The recommendations for the scheduled workflow files in ``directory`` (none without it)."""
        from .schedule import recommend

        if not directory.is_dir():
            return []
        recs = recommend(runs, directory, repository=repository, now=self.clock(), predictor=predictor,
                         rates=pricing.table, public=pricing.public)["recommendations"]
        return [decide(rec, DEFAULT_MIN_CONFIDENCE) for rec in recs]

    @staticmethod
    def _recommendation_of(workflow: catalog.Workflow, recs: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
        return next((r for r in recs if r.get("workflow_key") == workflow.key
                     or (workflow.path and r.get("path") == workflow.path)), None)

    def _cost_now(self, workflow: catalog.Workflow, seconds: float | None, workflows_dir: Any,
                  pricing: "_Pricing") -> dict[str, Any] | None:
        """The expected cost of a run starting now, for a workflow with no schedule: from its
        measured runs, else its file's ``runs-on``; ``None`` with neither or no duration."""
        from .cost.estimate import run_cost

        measured = [r for r in self._runs_of(workflow) if r.jobs is not None]
        return run_cost(seconds, self._job_runners(workflow, workflows_dir), self.clock().date(), pricing.table,
                        pricing.public, measured)

    @staticmethod
    def _schedule_reason(rec: Mapping[str, Any]) -> str:
        verb = "Recommended" if rec.get("change") else "Keep the current schedule"
        target = rec.get("recommended_schedule") if rec.get("change") else ", ".join(rec.get("current_schedule") or [])
        return f"{verb}: {target} (schedule confidence {rec.get('confidence')})."

    def _prediction(self, workflow: catalog.Workflow, predictor: Any, workflows_dir: Any,
                    plans: dict[str, list[dict[str, Any]]], pricing: "_Pricing") -> dict[str, Any]:
        """The seed's prediction fields and ours; figures the history cannot give are ``None``.

        For a scheduled workflow the figures are those of the next run at the recommended slot,
        exactly as ``recommend`` shows them (one answer per question; ``prediction_for`` names
        the slot and tick); otherwise the learning stage's forecast for a run now.
        """
        schedule, schedule_reason, rec = self._schedule_for(workflow, workflows_dir, predictor, plans, pricing)
        slot = (rec or {}).get("prediction_for")
        current = ((rec or {}).get("slot_forecasts") or {}).get("current") or {}
        at = parse_time(current["at"]) if current.get("at") else None
        described = self._described(workflow, predictor, at, "schedule" if at else None)
        figures = rec if slot and slot.get("at") else described
        where = (f"Figures are for the next run at {slot['schedule']} ({slot['at']}, a scheduled run)"
                 f"{'' if slot['schedule'] == current.get('schedule') else ', moved from the current slot by the hour effects'}."
                 if figures is rec else f"Figures are for a run starting now ({format_time(self.clock())}).")
        return {
            "workflow_name": workflow.name,
            "workflow": workflow.to_dict(),
            "recommended_schedule": schedule,
            "confidence": described["confidence"],
            "expected_duration_seconds": figures["expected_duration_seconds"],
            "duration_p90_seconds": figures["duration_p90_seconds"],
            "predicted_success_rate": figures["predicted_success_rate"],
            "cost_per_run": (rec.get("cost_per_run") if figures is rec
                             else self._cost_now(workflow, figures["expected_duration_seconds"], workflows_dir, pricing)),
            "prediction_for": slot if figures is rec else {"schedule": None, "at": format_time(self.clock()), "event": None},
            "resource_impact": described["resource_impact"],
            "reasoning": [*described["reasoning"], where, schedule_reason],
            "measured_error": described.get("measured_error"),
            "baselines": described.get("baselines"),
            "n_runs": described["n_runs"],
        }

    def _described(self, workflow: catalog.Workflow, predictor: Any, at: datetime | None = None,
                   event: str | None = None) -> dict[str, Any]:
        """The learning stage's answer for the workflow (a run at ``at``, default now), or
        unknowns saying why there is none."""
        if predictor is not None and predictor.knows(workflow.key):
            return predictor.describe(workflow.key, at=at or self.clock(), event=event)
        why = ("it has no runs yet" if workflow.runs == 0
               else f"none of its {_count(workflow.runs, 'run')} has finished with a success or failure")
        return {**_unknown_figures(), "reasoning": [f"No prediction for {workflow.name}: {why}."], "n_runs": 0}

    def _predict_target(self, name: str, repo: str | None, workflows_dir: str | os.PathLike[str] | None) -> catalog.Workflow:
        """The workflow ``name`` means: from the history, else a scheduled file that has not run yet."""
        self._require_store()
        try:
            return self._workflow(name, repo)
        except WorkflowNotFound:
            file = self._scheduled_file(name, workflows_dir)
            if file is None:
                raise
            repository = repo or self._repository_guess()
            return catalog.Workflow(f"{repository}:{file.path}", repository, file.name, file.path, None, 0)

    @staticmethod
    def _scheduled_file(name: str, workflows_dir: str | os.PathLike[str] | None) -> Any:
        """The scheduled workflow file ``name`` names (its ``name:``, path or file name), if any."""
        from .schedule import read_workflows

        directory = Path(workflows_dir or DEFAULT_WORKFLOWS_DIR)
        if not directory.is_dir():
            return None
        files, _ = read_workflows(directory)
        query = str(name).strip()
        for file in files:
            stem = file.path.rsplit("/", 1)[-1]
            if file.schedules and query in (file.name, file.path, stem, stem.rsplit(".", 1)[0]):
                return file
        return None

    def _repository_guess(self) -> str:
        """The repository a workflow with no history belongs to: the store's only one, or the
        repository the action runs in."""
        repos = sorted({r.repository for r in self.store.runs()})
        if len(repos) == 1:
            return repos[0]
        if os.environ.get("GITHUB_REPOSITORY"):
            return os.environ["GITHUB_REPOSITORY"]
        if not repos:
            raise NotAvailable(f"the store at {self.store.location()} has no runs yet: pass --repo OWNER/NAME for "
                               "the workflow file's repository, or run `import` or `sync` first")
        raise ValidationError("--repo", None, "OWNER/NAME: the store holds several repositories, so say which one "
                                              "the workflow file belongs to")

    def _predictor_or_none(self, workflows_dir: str | os.PathLike[str] | None, repo: str | None) -> Any:
        """The fitted predictor, or ``None`` while the store has no runs (every figure is unknown)."""
        return self._predictor(workflows_dir, repo) if self.store.runs() else None

    @_answers
    def predict_execution_time(self, workflow_name: str, repo: str | None = None,
                               workflows_dir: str | os.PathLike[str] | None = None, public: bool = False,
                               rates: str | os.PathLike[str] | None = None) -> APIResponse:
        """Expected duration (p50, p90), success probability, confidence and schedule for a workflow,
        and the expected cost of its next run (``cost_per_run``; ``public`` and ``rates`` as in
        :meth:`recommend`).

        An unknown name fails, but still answers the seed's fields (``None``, confidence 0), so
        code written against the design document's examples reads them without a ``KeyError``.
        """
        from .learn import RunContext

        try:
            workflow = self._predict_target(workflow_name, repo, workflows_dir)
        except WorkflowNotFound as exc:
            return APIResponse(False, str(exc), _unknown_prediction(workflow_name, str(exc)), error="WorkflowNotFound")
        predictor = self._predictor_or_none(workflows_dir, workflow.repository)
        data = self._prediction(workflow, predictor, workflows_dir, plans={}, pricing=_Pricing.load(rates, public))
        if predictor is not None and predictor.knows(workflow.key):
            self._log_predictions(predictor, [RunContext(workflow.key, self.clock())], "predict")
        return APIResponse(True, f"Prediction for {workflow.label()}", data)

    @_answers
    def predict_batch(self, workflow_names: Sequence[str], repo: str | None = None,
                      workflows_dir: str | os.PathLike[str] | None = None, public: bool = False,
                      rates: str | os.PathLike[str] | None = None) -> APIResponse:
        """``predict`` for several workflows at once: ``data["predictions"]`` maps each name, as
        given, to its prediction. An unknown name gets an entry with ``error`` and unknown
        figures, and makes the call fail (``success`` false) while the others are still answered."""
        from .learn import RunContext

        if isinstance(workflow_names, str) or not workflow_names:
            raise ValidationError("workflows", workflow_names, "a list of at least one workflow")
        self._require_store()
        targets: dict[str, catalog.Workflow | WorkflowNotFound] = {}
        for name in workflow_names:
            try:
                targets[name] = self._predict_target(name, repo, workflows_dir)
            except WorkflowNotFound as exc:
                targets[name] = exc
        known = [w for w in targets.values() if isinstance(w, catalog.Workflow)]
        predictor = self._predictor_or_none(workflows_dir, repo) if known else None
        plans: dict[str, list[dict[str, Any]]] = {}
        pricing = _Pricing.load(rates, public)
        predictions = {name: self._prediction(t, predictor, workflows_dir, plans, pricing) if isinstance(t, catalog.Workflow)
                       else _unknown_prediction(name, str(t)) for name, t in targets.items()}
        logged = [w for w in known if predictor is not None and predictor.knows(w.key)]
        if logged:
            self._log_predictions(predictor, [RunContext(w.key, self.clock()) for w in logged], "batch")
        missing = [name for name, t in targets.items() if not isinstance(t, catalog.Workflow)]
        if missing:
            return APIResponse(False, f"{_count(len(known), 'prediction')}; unknown: {', '.join(missing)[:300]}",
                               {"predictions": predictions}, error="WorkflowNotFound")
        return APIResponse(True, _count(len(predictions), "prediction"), {"predictions": predictions})

    @_answers
    def predict_runs(self, contexts: Sequence[Mapping[str, Any]], repo: str | None = None,
                     workflows_dir: str | os.PathLike[str] | None = None) -> APIResponse:
        """Duration quantiles and success probability for many ``{workflow, at, event, branch, actor}``."""
        from .learn import RunContext

        if not isinstance(contexts, (list, tuple)) or not contexts:
            raise ValidationError("input", type(contexts).__name__, "a non-empty JSON array of contexts")
        self._require_store()
        known = catalog.workflows(self.store.runs())
        resolved: dict[tuple[str, str | None], str] = {}
        parsed = []
        for index, item in enumerate(contexts):
            if not isinstance(item, Mapping) or "workflow" not in item or "at" not in item:
                raise ValidationError(f"input[{index}]", item, 'an object with "workflow" and "at"')
            name = str(item["workflow"])
            if (name, repo) not in resolved:
                resolved[(name, repo)] = catalog.resolve(known, name, repo).key
            at = parse_time(item["at"], f"input[{index}].at")
            parsed.append(RunContext(resolved[(name, repo)], at,  # type: ignore[arg-type]
                                     event=clean_text(item.get("event"), f"input[{index}].event"),
                                     branch=clean_text(item.get("branch"), f"input[{index}].branch"),
                                     actor=clean_text(item.get("actor"), f"input[{index}].actor")))
        predictor = self._predictor(workflows_dir, repo)
        predictions = [p.to_dict() for p in predictor.predict_runs(parsed)]
        self._log_predictions(predictor, parsed, "predict-runs")
        return APIResponse(True, _count(len(predictions), "prediction"), {"predictions": predictions})

    @_answers
    def backtest(self, workflow_name: str | None = None, repo: str | None = None,
                 workflows_dir: str | os.PathLike[str] | None = None) -> APIResponse:
        """Rolling-origin, time-ordered evaluation of the models against every baseline."""
        from .learn import backtest

        self._require_store()
        runs = self.store.runs()
        if not runs:
            raise NotAvailable("the store has no runs to evaluate: run `import` or `sync` first")
        key = self._workflow(workflow_name, repo).key if workflow_name else None
        data = backtest(runs, workflow_key=key, timezones=self._timezones(runs, workflows_dir, repo))
        data["workflow_names"] = _names(runs)
        return APIResponse(True, f"Backtest of {'one workflow' if key else 'every workflow'} in time order", data)

    @_answers
    def get_accuracy_metrics(self, workflow_name: str | None = None, repo: str | None = None) -> APIResponse:
        """How the predictions this tool logged turned out against the runs that followed them."""
        from .learn import accuracy_report

        self._require_store()
        key = self._workflow(workflow_name, repo).key if workflow_name else None
        runs = self.store.runs()
        if repo and not key:
            runs = [r for r in runs if r.repository.lower() == repo.lower()]
        # Predictions logged before workflow ids became keys name the workflow the old way.
        renamed = catalog.legacy_keys(runs)
        log = [{**e, "workflow_key": renamed.get(e.get("workflow_key"), e.get("workflow_key"))}
               for e in self.store.predictions()]
        data = accuracy_report(log, runs, workflow_key=key)
        data["workflow_names"] = _names(runs)
        matched = data.get("matched_runs", 0)
        message = (f"Accuracy over {matched} runs that followed a logged prediction" if matched
                   else "No run has followed a logged prediction yet: run `predict` (or the action), then sync later runs")
        return APIResponse(True, message, data)

    # ----- scheduling -------------------------------------------------------------------------
    @_answers
    def recommend(self, workflows_dir: str | os.PathLike[str] = DEFAULT_WORKFLOWS_DIR, repo: str | None = None,
                  workflows: Sequence[str] | None = None, log_predictions: bool = True,
                  weights: Mapping[str, Any] | None = None,
                  min_confidence: float = DEFAULT_MIN_CONFIDENCE, rates: str | os.PathLike[str] | None = None,
                  public: bool = False) -> APIResponse:
        """Recommended crons for every scheduled workflow in ``workflows_dir``, with conflicts,
        liveness and timeouts; ``workflows`` narrows the result to those names or paths, and
        ``weights`` overrides the slot-cost weights documented in docs/schedule.md. A proposed
        move below ``min_confidence`` is a keep (``change`` false), as in the action. Each
        recommendation's ``cost_per_run`` is priced with the rate table at ``rates`` (default the
        shipped one); ``public`` makes standard GitHub-hosted runners free.

        Without a store every workflow gets its cold-start answer, and ``warnings`` says that no
        history was found where the store was expected.
        """
        from .cost.rates import RateTable
        from .schedule import Weights, recommend

        if isinstance(min_confidence, bool) or not isinstance(min_confidence, (int, float)) \
                or not 0 <= min_confidence <= 1:
            raise ValidationError("min-confidence", min_confidence, "a number from 0 to 1")
        if weights is not None and not isinstance(weights, Mapping):
            raise ValidationError("weights", weights, 'a JSON object such as {"failure": 1.0, "overlap": 0.1}')
        chosen = Weights.from_mapping(weights)

        directory = Path(workflows_dir)
        if not directory.is_dir():
            raise ValidationError("workflows-dir", str(directory), "a directory of workflow files (.github/workflows)")
        runs = self.store.runs()
        predictor = self._predictor(directory, repo) if runs else None
        data = recommend(runs, directory, repository=repo, now=self.clock(), weights=chosen, predictor=predictor,
                         rates=RateTable.load(rates), public=bool(public))
        if workflows:
            wanted = {w.strip() for w in workflows}
            data["recommendations"] = [r for r in data["recommendations"]
                                       if {r.get("workflow"), r.get("path"), Path(str(r.get("path"))).name} & wanted]
        data["recommendations"] = [decide(r, float(min_confidence)) for r in data["recommendations"]]
        data["min_confidence"] = float(min_confidence)
        data["warnings"] = [] if runs else [
            f"No run history at {self.store.location()}: every schedule below is a cold start from the workflow "
            "files alone. Run `import` or `sync` first, or point --data at the store."]
        if predictor is not None and log_predictions:
            self._log_schedule_predictions(predictor, data["recommendations"])
        changes = sum(1 for r in data["recommendations"] if r.get("change"))
        count = len(data["recommendations"])
        return APIResponse(True, f"{_count(count, 'scheduled workflow')}, {changes} should move", data)

    @_answers
    def apply(self, workflows_dir: str | os.PathLike[str] = DEFAULT_WORKFLOWS_DIR, repo: str | None = None,
              workflows: Sequence[str] | None = None, min_confidence: float = DEFAULT_MIN_CONFIDENCE,
              pull_request: bool = False, base: str | None = None, api_url: str | None = None,
              token_env: str | None = None, environ: Mapping[str, str] | None = None) -> APIResponse:
        """Write the crons ``recommend`` would change at ``min_confidence`` into the workflow files.

        Only the cron values change (every other byte is kept; see ``orchestrator/apply/edit.py``).
        Without ``pull_request`` the files in ``workflows_dir`` are edited in place; with it they
        are left untouched and the edits are proposed as one pull request to ``repo`` from the
        branch ``workflow-orchestrator/schedules`` (token from ``token_env``: it needs contents,
        pull-requests and workflows write, which ``GITHUB_TOKEN`` never has for workflow files).
        ``data``: ``changed`` (path, workflow, from, to, confidence), ``diff``, ``errors``, and
        ``pull_request`` (number, url, branch) or ``None`` with ``pull_request``. ``environ`` is
        where ``token_env`` is looked up (default ``os.environ``).
        """
        from .apply.files import planned_changes, unified_diff, write_locally

        if pull_request and not repo:
            raise UsageError("apply --pull-request needs --repo OWNER/NAME (the repository to open it in)")
        answer = self.recommend(workflows_dir, repo=repo, workflows=workflows, log_predictions=False,
                                min_confidence=min_confidence)
        if not answer.success:
            return answer
        recommendations = answer.data["recommendations"]
        changes, errors = planned_changes(recommendations, Path(workflows_dir))
        data: dict[str, Any] = {"changed": [], "diff": "", "errors": errors, "min_confidence": float(min_confidence)}
        if pull_request:
            data["pull_request"] = None
            if changes:
                proposal = self._propose(repo or "", changes, recommendations, base, api_url, token_env, environ)
                data["errors"] = [*errors, *proposal.refused]
                refused = {r["path"] for r in proposal.refused}
                changes = [c for c in changes if c.path not in refused]
                data["pull_request"] = proposal.pull_request
                data["committed"] = proposal.committed
        else:
            write_locally(changes)
        data["changed"] = [m for c in changes for m in c.moves]
        data["diff"] = unified_diff(changes)
        moved = len(data["changed"])
        where = ("" if not pull_request else
                 f"; pull request #{data['pull_request']['number']}" if data.get("pull_request") else "; no pull request")
        problems = f"; {_count(len(data['errors']), 'file')} left alone (see errors)" if data["errors"] else ""
        return APIResponse(True, f"{_count(moved, 'schedule')} changed{where}{problems}", data)

    def _propose(self, repo: str, changes: Sequence[Any], recommendations: Sequence[Mapping[str, Any]],
                 base: str | None, api_url: str | None, token_env: str | None,
                 environ: Mapping[str, str] | None) -> Any:
        """The pull request for ``changes``; a permission refusal says which token is needed.

        Its own client, from ``token_env``: the token that writes workflow files is not the one
        that syncs.
        """
        from .apply.pull_request import propose, pull_request_body
        from .source.github import ClientSettings, GitHubClient

        client = GitHubClient(ClientSettings.resolve(api_url=api_url, token_env=token_env, environ=environ), environ=environ)
        try:
            return propose(client, repo, changes, pull_request_body(recommendations, changes), base)
        except SourceError as exc:
            if " 403 " in str(exc) or "workflows` permission" in str(exc) or "workflow" in str(exc) and " 422 " in str(exc):
                raise SourceError(f"{exc}. Writing under .github/workflows/ needs a fine-grained token with contents, "
                                  "pull-requests and workflows write (or a GitHub App token with workflows permission); "
                                  "GITHUB_TOKEN cannot do it. See docs/action.md, \"apply-token\"") from exc
            raise

    def _log_schedule_predictions(self, predictor: Any, recommendations: Sequence[Mapping[str, Any]]) -> None:
        from .learn import RunContext

        known = {w.key for w in catalog.workflows(self.store.runs())}
        contexts = [RunContext(r["workflow_key"], self.clock(), event="schedule")
                    for r in recommendations if r.get("workflow_key") in known]
        self._log_predictions(predictor, contexts, "recommend")
