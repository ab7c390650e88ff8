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

    # ----- GitHub -----------------------------------------------------------------------------
    @_answers
    def sync(self, repo: str, max_requests: int | None = None, since: str | datetime | None = None,
             jobs: bool = False, api_url: str | None = None, token_env: str | None = None) -> APIResponse:
        """Fetch new and changed runs of ``repo`` from the GitHub API into the store, in one commit.

        Stops cleanly on the request budget or a rate limit (``complete: false``); the next sync
        resumes from the saved cursor.
        """
        from .source.github import ClientSettings, GitHubClient
        from .source.sync import DEFAULT_MAX_REQUESTS, sync

        if self.client is None:
            self.client = GitHubClient(ClientSettings.resolve(api_url=api_url, token_env=token_env))
        data = sync(self.store, repo, self.client,
                    max_requests=DEFAULT_MAX_REQUESTS if max_requests is None else max_requests,
                    since=since, jobs=jobs)
        state = "complete" if data.get("complete") else "incomplete (resumes next time)"
        return APIResponse(True, f"Synced {repo}: {data.get('runs_added', 0)} new runs, "
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
        """Every prediction a command emits is logged, so ``accuracy`` can later score it."""
        from .learn import make_prediction_log_entries

        entries = make_prediction_log_entries(predictor, contexts, made_at=self.clock(), source=source)
        if entries:
            self.store.commit(predictions=entries, message=f"Log {len(entries)} predictions ({source})")

    def _schedule_for(self, workflow: catalog.Workflow, workflows_dir: str | os.PathLike[str] | None,
                      predictor: Any, plans: dict[str, list[dict[str, Any]]]) -> tuple[str | None, str]:
        """The recommended cron for one workflow, and a sentence saying where it came from.

        ``plans`` holds each repository's recommendations once computed, so a batch plans every
        repository once rather than once per workflow.
        """
        directory = Path(workflows_dir or DEFAULT_WORKFLOWS_DIR)
        if not directory.is_dir():
            return None, f"No workflow files at {directory}: pass --workflows-dir to get a recommended schedule."
        from .schedule import recommend

        if workflow.repository not in plans:
            plans[workflow.repository] = recommend(self.store.runs(), directory, repository=workflow.repository,
                                                   now=self.clock(), predictor=predictor)["recommendations"]
        for rec in plans[workflow.repository]:
            if rec.get("workflow_key") == workflow.key or rec.get("path") == workflow.path:
                verb = "Recommended" if rec.get("change") else "Keep the current schedule"
                return rec.get("recommended_schedule"), f"{verb}: {rec.get('recommended_schedule')} (schedule confidence {rec.get('confidence')})."
        return None, f"{workflow.name} has no schedule in {directory}, so there is no schedule to recommend."

    def _prediction(self, workflow: catalog.Workflow, predictor: Any, workflows_dir: Any,
                    plans: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        described = predictor.describe(workflow.key, at=self.clock())
        schedule, schedule_reason = self._schedule_for(workflow, workflows_dir, predictor, plans)
        return {
            "workflow_name": workflow.name,
            "workflow": workflow.to_dict(),
            "recommended_schedule": schedule,
            "confidence": described["confidence"],
            "expected_duration_seconds": described["expected_duration_seconds"],
            "duration_p90_seconds": described["duration_p90_seconds"],
            "predicted_success_rate": described["predicted_success_rate"],
            "resource_impact": described["resource_impact"],
            "reasoning": [*described["reasoning"], schedule_reason],
            "measured_error": described.get("measured_error"),
            "baselines": described.get("baselines"),
            "n_runs": described["n_runs"],
        }

    @_answers
    def predict_execution_time(self, workflow_name: str, repo: str | None = None,
                               workflows_dir: str | os.PathLike[str] | None = None) -> APIResponse:
        """Expected duration (p50, p90), success probability, confidence and schedule for a workflow."""
        from .learn import RunContext

        workflow = self._workflow(workflow_name, repo)
        predictor = self._predictor(workflows_dir, workflow.repository)
        data = self._prediction(workflow, predictor, workflows_dir, plans={})
        self._log_predictions(predictor, [RunContext(workflow.key, self.clock())], "predict")
        return APIResponse(True, f"Prediction for {workflow.label()}", data)

    @_answers
    def predict_batch(self, workflow_names: Sequence[str], repo: str | None = None,
                      workflows_dir: str | os.PathLike[str] | None = None) -> APIResponse:
        """``predict`` for several workflows at once; one unknown name fails the whole call."""
        from .learn import RunContext

        if not workflow_names:
            raise ValidationError("workflows", list(workflow_names), "at least one workflow")
        workflows = [self._workflow(name, repo) for name in workflow_names]
        predictor = self._predictor(workflows_dir, repo)
        plans: dict[str, list[dict[str, Any]]] = {}
        predictions = [self._prediction(w, predictor, workflows_dir, plans) for w in workflows]
        self._log_predictions(predictor, [RunContext(w.key, self.clock()) for w in workflows], "batch")
        return APIResponse(True, f"Predictions for {len(predictions)} workflows", {"predictions": predictions})

    @_answers
    def predict_runs(self, contexts: Sequence[Mapping[str, Any]], repo: str | None = None,
                     workflows_dir: str | os.PathLike[str] | None = None) -> APIResponse:
        """Duration quantiles and success probability for many ``{workflow, at, event, branch, actor}``."""
        from .learn import RunContext

        if not isinstance(contexts, (list, tuple)) or not contexts:
            raise ValidationError("input", type(contexts).__name__, "a non-empty JSON array of contexts")
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
        return APIResponse(True, f"{len(predictions)} predictions", {"predictions": predictions})

    @_answers
    def backtest(self, workflow_name: str | None = None, repo: str | None = None,
                 workflows_dir: str | os.PathLike[str] | None = None) -> APIResponse:
        """Rolling-origin, time-ordered evaluation of the models against every baseline."""
        from .learn import backtest

        runs = self.store.runs()
        if not runs:
            raise NotAvailable("the store has no runs to evaluate: run `import` or `sync` first")
        key = self._workflow(workflow_name, repo).key if workflow_name else None
        data = backtest(runs, workflow_key=key, timezones=self._timezones(runs, workflows_dir, repo))
        return APIResponse(True, f"Backtest of {'one workflow' if key else 'every workflow'} in time order", data)

    @_answers
    def get_accuracy_metrics(self, workflow_name: str | None = None, repo: str | None = None) -> APIResponse:
        """How the predictions this tool logged turned out against the runs that followed them."""
        from .learn import accuracy_report

        key = self._workflow(workflow_name, repo).key if workflow_name else None
        runs = self.store.runs()
        if repo and not key:
            runs = [r for r in runs if r.repository.lower() == repo.lower()]
        data = accuracy_report(self.store.predictions(), runs, workflow_key=key)
        matched = data.get("matched_runs", 0)
        message = (f"Accuracy over {matched} runs that followed a logged prediction" if matched
                   else "No run has followed a logged prediction yet: run `predict` (or the action), then sync later runs")
        return APIResponse(True, message, data)

    # ----- scheduling -------------------------------------------------------------------------
    @_answers
    def recommend(self, workflows_dir: str | os.PathLike[str] = DEFAULT_WORKFLOWS_DIR, repo: str | None = None,
                  workflows: Sequence[str] | None = None, log_predictions: bool = True,
                  weights: Mapping[str, Any] | None = None) -> APIResponse:
        """Recommended crons for every scheduled workflow in ``workflows_dir``, with conflicts,
        liveness and timeouts; ``workflows`` narrows the result to those names or paths, and
        ``weights`` overrides the slot-cost weights documented in docs/schedule.md."""
        from .schedule import Weights, recommend

        if weights is not None and not isinstance(weights, Mapping):
            raise ValidationError("weights", weights, 'a JSON object such as {"failure": 1.0, "overlap": 0.1}')
        chosen = Weights.from_mapping(weights)

        directory = Path(workflows_dir)
        if not directory.is_dir():
            raise ValidationError("workflows-dir", str(directory), "a directory of workflow files (.github/workflows)")
        runs = self.store.runs()
        predictor = self._predictor(directory, repo) if runs else None
        data = recommend(runs, directory, repository=repo, now=self.clock(), weights=chosen, predictor=predictor)
        if workflows:
            wanted = {w.strip() for w in workflows}
            data["recommendations"] = [r for r in data["recommendations"]
                                       if {r.get("workflow"), r.get("path"), Path(str(r.get("path"))).name} & wanted]
        if predictor is not None and log_predictions:
            self._log_schedule_predictions(predictor, data["recommendations"])
        changes = sum(1 for r in data["recommendations"] if r.get("change"))
        count = len(data["recommendations"])
        return APIResponse(True, f"{count} scheduled workflow{'' if count == 1 else 's'}, {changes} should move", data)

    def _log_schedule_predictions(self, predictor: Any, recommendations: Sequence[Mapping[str, Any]]) -> None:
        from .learn import RunContext

        known = {w.key for w in catalog.workflows(self.store.runs())}
        contexts = [RunContext(r["workflow_key"], self.clock(), event="schedule")
                    for r in recommendations if r.get("workflow_key") in known]
        self._log_predictions(predictor, contexts, "recommend")
