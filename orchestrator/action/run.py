"""One action run: sync → train → recommend → report, through the same API the CLI uses.

Training is not a separate call: the API refits its models from the store whenever it is asked for
predictions and the store changed, so ``recommend`` always learns from the history just synced.

What counts as failure is decided here. A bad input, an unreadable repository or token, a store
we must not overwrite: the action fails (exit 1, ``::error::``). A sync cut short by the request
budget or the rate limit is not a failure: it reports from what it has and says so, and the next
run resumes. No history yet is not a failure either: the recommender's cold start still answers.

Everything one run stores (synced runs, the sync state, the predictions it logs) is written as one
commit when its steps are done (``HistoryStore.deferred``): a job killed between sync and
recommend cannot leave half a run on the data branch, and a run with nothing new writes nothing.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..errors import OrchestratorError
from ..report.summary import SummaryContext, build_summary, crons_of, liveness_warnings
from ..store import HistoryStore
from .commands import Log
from .outputs import MAX_OUTPUT_BYTES, fit_summary
from .settings import Settings

__all__ = ["ActionResult", "run", "write_report"]

REPORT_DIR = "workflow-orchestrator-report"
#: Below this predicted success rate a workflow is annotated as failing often.
FAILING_OFTEN = 0.75
#: A change this confident (and above min-confidence) is announced with ``::notice::``.
NOTICE_CONFIDENCE = 0.8
#: API errors that are the user's to fix or that make any answer wrong: the run fails on them.
_FATAL_ERRORS = frozenset({"UsageError", "ValidationError", "StoreError", "CorruptStoreFile", "StoreVersionError", "SourceError"})


@dataclass
class ActionResult:
    """What the entry point writes: step outputs, the summary sections, the report."""

    outputs: dict[str, str]
    summary_sections: list[str]
    report: dict[str, Any]
    report_path: str
    failures: list[str] = field(default_factory=list)


# ----- the API, opened on the data branch ---------------------------------------------------
def open_api(settings: Settings) -> Any:
    """The CLI's API over the history store on ``settings.data_branch``, with its GitHub client."""
    from ..api import WorkflowOrchestratorAPI

    # The client reads the token from a named variable, never from an argument that could be logged.
    return WorkflowOrchestratorAPI.on_branch(settings.repository, settings.data_branch, api_url=settings.api_url,
                                             environ={"GITHUB_TOKEN": settings.token})


@dataclass
class _Findings:
    """What went wrong so far: ``failures`` fail the step, ``problems`` are only reported."""

    failures: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def data(self, response: Any, step: str) -> Any:
        """``response.data`` when it succeeded; otherwise file its message by how serious it is."""
        if response.success:
            return response.data
        (self.failures if response.error in _FATAL_ERRORS else self.problems).append(f"{step}: {response.message}")
        return None


# ----- the run ------------------------------------------------------------------------------
def run(settings: Settings, log: Log, api: Any = None, now: datetime | None = None) -> ActionResult:
    """Run the action's mode and gather everything to write; annotations go to ``log`` as found."""
    api = api or open_api(settings)
    found = _Findings()
    sync_data: dict[str, Any] | None = None
    recommend_data: dict[str, Any] = {}
    accuracy_data: dict[str, Any] | None = None
    apply_data: dict[str, Any] = {}
    steps_done = False
    try:
        with _one_commit(api, settings):
            if settings.mode != "report":
                sync_data = _sync(settings, api, log, found, now or datetime.now(timezone.utc))
            if settings.mode != "sync" and not found.failures:
                with log.group("Learn and recommend"):
                    response = api.recommend(settings.workflows_dir, repo=settings.repository,
                                             workflows=list(settings.workflows) or None,
                                             min_confidence=settings.min_confidence, public=settings.public)
                    log.info(response.message)
                    recommend_data = found.data(response, "recommend") or {}
                    accuracy = api.get_accuracy_metrics()
                    log.info(accuracy.message)
                    accuracy_data = accuracy.data if accuracy.success else None
                if settings.apply == "pull-request" and recommend_data:
                    with log.group("Propose the schedules as a pull request"):
                        applied = _apply(settings, api)
                        log.info(applied.message)
                        apply_data = found.data(applied, "apply") or {}
            steps_done = True
    except OrchestratorError as exc:
        if not steps_done:
            raise  # raised by a step itself (API methods answer rather than raise): not a failed write
        found.failures.append(f"saving to {settings.data_branch}: {exc}")

    recommendations = list(recommend_data.get("recommendations") or [])
    disabled = disabled_workflows(sync_data)
    annotate(log, recommendations, settings.min_confidence)
    annotate_workflows(log, disabled, recommend_data.get("errors") or [], found)
    context = SummaryContext(
        repository=settings.repository,
        mode=settings.mode,
        timezone=settings.timezone,
        data_branch=settings.data_branch,
        min_confidence=settings.min_confidence,
        sync=sync_data,
        recommendations=recommendations,
        disabled=disabled,
        conflicts=recommend_data.get("conflicts") or [],
        unscheduled=recommend_data.get("unscheduled") or [],
        success_by_hour=series(recommend_data.get("hourly_success"), "hour", 24, "success_rate", "runs"),
        delay_by_minute=series(recommend_data.get("minute_delays"), "minute", 60, "median_delay_seconds", "ticks"),
        accuracy=accuracy_rows(accuracy_data),
        problems=found.problems + found.failures,
        report_path=f"{REPORT_DIR}/report.json",
        pull_request=apply_data.get("pull_request"),
    )
    report = {"repository": settings.repository, "mode": settings.mode, "sync": sync_data,
              "recommend": recommend_data, "accuracy": accuracy_data, "apply": apply_data or None,
              "failures": found.failures}
    return ActionResult(
        outputs=step_outputs(recommendations, sync_data, accuracy_data, context.report_path, apply_data.get("pull_request")),
        summary_sections=build_summary(context),
        report=report,
        report_path=context.report_path,
        failures=found.failures,
    )


#: The variable the apply token is handed over in (only to the client that opens the pull request).
APPLY_TOKEN_ENV = "WORKFLOW_ORCHESTRATOR_APPLY_TOKEN"


def _apply(settings: Settings, api: Any) -> Any:
    """``apply --pull-request`` with the apply token, which only this client ever sees."""
    return api.apply(settings.workflows_dir, repo=settings.repository, workflows=list(settings.workflows) or None,
                     min_confidence=settings.min_confidence, pull_request=True, api_url=settings.api_url,
                     token_env=APPLY_TOKEN_ENV, environ={APPLY_TOKEN_ENV: settings.apply_token})


def _one_commit(api: Any, settings: Settings) -> AbstractContextManager[None]:
    """Defer the API's store writes to one commit at the end of the block (see the module docstring).

    An API without a :class:`HistoryStore` (a stand-in) writes nothing itself to gather.
    """
    store = getattr(api, "store", None)
    if not isinstance(store, HistoryStore):
        return nullcontext()
    return store.deferred(message=f"Action run ({settings.mode}) on {settings.repository}")


def _sync(settings: Settings, api: Any, log: Log, found: _Findings, now: datetime) -> dict[str, Any] | None:
    """Bring the data branch up to date; a budget or rate-limit stop is a warning, not a failure."""
    with log.group(f"Sync {settings.repository} into {settings.data_branch}"):
        since = None if settings.lookback_days == 0 else now - timedelta(days=settings.lookback_days)
        response = api.sync(settings.repository, max_requests=settings.max_requests, since=since, jobs=settings.jobs_budget)
        log.info(response.message)
        data = found.data(response, "sync")
        if data is not None and not data.get("complete", True):
            log.annotate("warning", "The sync stopped early (request budget or rate limit); the next run resumes. "
                         "Recommendations use the history stored so far.", title="Partial sync")
        return data


def annotate_workflows(log: Log, disabled: Sequence[Mapping[str, Any]], file_errors: Sequence[Mapping[str, Any]],
                       found: _Findings) -> None:
    """Warnings on workflow files GitHub has disabled and on files the recommender could not read."""
    for workflow in disabled:
        log.annotate("warning", f"{workflow['name']} is {workflow['state']}: GitHub does not run its schedule until it is "
                     "enabled again (Actions tab → the workflow → Enable workflow).",
                     title=f"{workflow['name']} is disabled", file=workflow.get("path"))
    for error in file_errors:
        log.annotate("warning", str(error.get("message")), title="Workflow file skipped", file=error.get("path"))
        found.problems.append(f"{error.get('path')}: {error.get('message')}")


def disabled_workflows(sync: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Workflows GitHub reports as disabled (by hand, or ``disabled_inactivity`` after 60 quiet days)."""
    return [dict(w) for w in (sync or {}).get("workflows") or []
            if isinstance(w, Mapping) and str(w.get("state", "")).startswith("disabled")]


def annotate(log: Log, recommendations: Sequence[Mapping[str, Any]], min_confidence: float) -> None:
    """Warnings for dropped/disabled schedules and often-failing workflows; notices for sure changes."""
    for rec in recommendations:
        name = str(rec.get("workflow") or rec.get("path") or "?")
        path = rec.get("path") or None
        for line in liveness_warnings(rec):
            log.annotate("warning", line, title=f"Schedule of {name}", file=path)
        rate = rec.get("predicted_success_rate")
        if isinstance(rate, (int, float)) and rate < FAILING_OFTEN:
            log.annotate("warning", f"{name} is predicted to succeed only {rate:.0%} of the time.",
                         title=f"{name} fails often", file=path)
        confidence = rec.get("confidence") or 0
        if rec.get("change") and confidence >= max(NOTICE_CONFIDENCE, min_confidence):
            log.annotate("notice", f"Move {name} from {', '.join(crons_of(rec))} to {rec.get('recommended_schedule')} "
                         f"(confidence {confidence:.0%}).", title=f"Reschedule {name}", file=path)


def series(value: Any, key: str, size: int, value_key: str, count_key: str) -> list[tuple[int, float | None, int]]:
    """A chart series from the recommender's list of per-slot dicts, one point per slot 0..size-1."""
    points: dict[int, tuple[float | None, int]] = {}
    for item in value or []:
        slot = item.get(key) if isinstance(item, Mapping) else None
        if not isinstance(slot, int) or not 0 <= slot < size:
            continue
        raw = item.get(value_key)
        number = float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
        points[slot] = (number, int(item.get(count_key) or 0))
    return [(slot, *points.get(slot, (None, 0))) for slot in range(size)]


#: The accuracy report's duration predictors, in the order the summary lists them.
PREDICTORS = {"model": "model", "last50_median": "median of the last 50 runs", "last_value": "last run's duration",
              "per_hour_mean": "mean for the hour of day"}


def accuracy_rows(data: Mapping[str, Any] | None) -> list[tuple[str, float | None, int]]:
    """(predictor, p50 MAE in seconds, runs): the model, then each baseline, from the accuracy answer."""
    overall = (data or {}).get("overall") or {}
    rows = []
    for key, label in PREDICTORS.items():
        metrics = overall.get(key)
        if isinstance(metrics, Mapping) and metrics.get("n"):
            rows.append((label, _number(metrics.get("p50_mae_seconds")), int(metrics["n"])))
    return rows if rows and rows[0][0] == "model" else []


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# ----- step outputs ---------------------------------------------------------------------------
def step_outputs(recommendations: Sequence[Mapping[str, Any]], sync: Mapping[str, Any] | None,
                 accuracy: Mapping[str, Any] | None, report_path: str,
                 pull_request: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The action's outputs as strings, each small enough for GitHub's 1 MB per job."""
    compact = [
        {key: rec.get(key) for key in ("workflow", "path", "current_schedule", "recommended_schedule",
                                       "timezone", "confidence", "change")}
        for rec in recommendations
    ]
    changes = [rec for rec in recommendations if rec.get("change")]
    rows = accuracy_rows(accuracy)
    mae = rows[0][1] if rows else None
    synced = "" if sync is None else str(int(sync.get("runs_added", 0) or 0) + int(sync.get("runs_updated", 0) or 0))
    return {
        "recommendations": _bounded_json(compact),
        "changes": str(len(changes)),
        "schedules": _bounded_json({str(r.get("path")): r.get("recommended_schedule") for r in changes}),
        "runs-synced": synced,
        "complete": "" if sync is None else str(bool(sync.get("complete", True))).lower(),
        "accuracy-mae": "" if mae is None else f"{mae:.1f}",
        "report-path": report_path,
        "pull-request-url": str(pull_request["url"]) if pull_request else "",
        "pull-request-number": str(pull_request["number"]) if pull_request else "",
    }


def _bounded_json(value: list[Any] | dict[str, Any]) -> str:
    """Compact JSON; a list or map too long for one output keeps its head (the report has all of it)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    while len(text.encode()) > MAX_OUTPUT_BYTES // 2 and value:
        value = value[: len(value) // 2] if isinstance(value, list) else dict(list(value.items())[: len(value) // 2])
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text


# ----- writing the report ---------------------------------------------------------------------
def write_report(workspace: Path, result: ActionResult) -> str:
    """Write the JSON report and the untrimmed summary under the workspace; return the summary text.

    The container runs as root, and the runner's later steps (and a self-hosted runner's next
    checkout) run as its own user: the files are made writable by everyone so they can be removed.
    """
    directory = workspace / REPORT_DIR
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o777)
    files = {
        "report.json": json.dumps(result.report, indent=2, sort_keys=True, default=str) + "\n",
        "summary.md": "\n\n".join(result.summary_sections) + "\n",
    }
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
        (directory / name).chmod(0o666)
    return fit_summary(result.summary_sections, note=f"The full summary is {REPORT_DIR}/summary.md in the workspace.")
