"""What ``record`` may write: the rules that keep a self-reported execution from rewriting history.

A record is a claim a workflow makes about itself, typed by a person or computed by a step, while
the store's other versions of a run come from GitHub. The store merges versions field by field
(``store/merge.py``), so one wrong claim about a run it already holds would be merged into that
run: a start time ten months off once became a stored duration of 315 days. Hence:

* A start time more than :data:`CLOCK_SKEW` after the API's clock is refused, and so is an end
  (start + duration) after it: an execution being reported has happened, and a version "updated"
  in the future would outrank every true version that sync reads later.
* A record of a run (id and attempt) the store already holds never changes that run's timing,
  event or branch. It only attaches its resource usage, and only when it agrees with the stored
  run: the same workflow, a start within the stored run's span, a duration within
  :func:`tolerance` of the stored one, and the same outcome (``--success false`` agrees with any
  conclusion that is not a success: failure, timed out, cancelled...). Any disagreement is refused
  naming both values: the record names the wrong run, or the store holds a wrong version, and
  either way guessing which is true would corrupt it.
* A stored run still in progress keeps its state: the record's outcome is not applied (the stored
  timing is partial, so a completed run with it would have a wrong duration), nor its duration
  checked. The next sync brings the final outcome and timing; the usage attached now survives it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Sequence

from . import catalog
from .errors import ValidationError, WorkflowNotFound
from .model import SUCCESS, ResourceUsage, RunRecord, format_time

#: How far a start or end time may lie after the API's clock: runners' clocks drift a little.
CLOCK_SKEW = timedelta(minutes=5)
#: A recorded duration agrees with a stored one within the larger of these: a minute for the
#: steps around the record step, and a tenth for long runs whose later jobs it does not see.
TOLERANCE_SECONDS = 60.0
TOLERANCE_FRACTION = 0.10


def check_not_future(start: datetime, duration_seconds: float, now: datetime) -> None:
    """Refuse an execution that starts or ends more than :data:`CLOCK_SKEW` after ``now``."""
    latest = now + CLOCK_SKEW
    if start > latest:
        raise ValidationError("start-time", format_time(start),
                              f"a time no later than {format_time(latest)} (now, plus 5 minutes of clock skew)")
    if start + timedelta(seconds=duration_seconds) > latest:
        raise ValidationError("duration", duration_seconds,
                              f"at most {(latest - start).total_seconds():g} seconds: "
                              f"a run starting at {format_time(start)} cannot have ended after {format_time(latest)}")


def tolerance(stored: RunRecord) -> float:
    """Seconds by which a record's start and duration may differ from the stored run's."""
    return max(TOLERANCE_SECONDS, TOLERANCE_FRACTION * stored.duration_seconds)


def attach(stored: RunRecord, workflow: str, repo: str | None, start: datetime, duration_seconds: float,
           success: bool, usage: ResourceUsage | None, known: Sequence[catalog.Workflow]) -> RunRecord:
    """The stored run, with the record's resource usage once the record agrees with it.

    ``known`` is the store's workflows (to tell whether ``workflow`` names the stored run's).
    Raises :class:`ValidationError` naming the record's value and the stored one.
    """
    _check_workflow(stored, workflow, repo, known)
    slack = tolerance(stored)
    if not stored.created_at - timedelta(seconds=slack) <= start <= stored.updated_at + timedelta(seconds=slack):
        raise ValidationError("start-time", format_time(start),
                              f"a time within run {stored.id}'s stored span, {format_time(stored.created_at)} to "
                              f"{format_time(stored.updated_at)} (± {slack:g} s)")
    if stored.completed:
        if abs(duration_seconds - stored.duration_seconds) > slack:
            raise ValidationError("duration", duration_seconds,
                                  f"about {stored.duration_seconds:g} seconds, run {stored.id}'s stored duration (± {slack:g} s)")
        if success != (stored.outcome == SUCCESS):
            raise ValidationError("success", success, f"{str(not success).lower()}: run {stored.id} is stored "
                                                      f"with conclusion {stored.conclusion!r}")
    return stored.with_usage(usage) if usage else stored


def _check_workflow(stored: RunRecord, workflow: str, repo: str | None, known: Sequence[catalog.Workflow]) -> None:
    """Refuse a record naming another repository or workflow than the stored run's.

    ``workflow`` is matched as everywhere else (name, alias, path, file name, id), but only against
    the stored run's own workflow. A workflow path cannot be checked against a run stored without
    one (``gh run list`` and GHAminer rows lack it), so there the run id decides.
    """
    if repo and repo.lower() != stored.repository.lower():
        raise ValidationError("repo", repo, f"{stored.repository}: run {stored.id} is stored as a run of that repository")
    own = [w for w in known if w.key == stored.workflow_key]
    try:
        catalog.resolve(own, workflow)
    except WorkflowNotFound:
        if stored.path is None and workflow.startswith(".github/workflows/"):
            return
        shown = own[0].label() if own else stored.name
        raise ValidationError("workflow", workflow, f"{shown}: run {stored.id} is stored as a run of that workflow") from None
