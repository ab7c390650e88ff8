"""The typed run record every stage shares, normalised from GitHub's workflow-run object.

The rest of the code never sees PyGithub objects or raw JSON: sources turn what they read into
:class:`RunRecord`, the store keeps them, the learners read them. Timestamps are always
timezone-aware UTC.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Mapping

from .errors import ValidationError

__all__ = [
    "RunRecord",
    "ResourceUsage",
    "parse_time",
    "format_time",
    "outcome_of",
    "SUCCESS",
    "FAILURE",
    "EXCLUDED",
    "IN_PROGRESS",
]

SUCCESS, FAILURE, EXCLUDED, IN_PROGRESS = "success", "failure", "excluded", "in_progress"

#: Conclusions that count as a failed run; ``startup_failure`` and ``timed_out`` are failures a
#: person would want to hear about, unlike ``cancelled`` or ``skipped``.
FAILURE_CONCLUSIONS = frozenset({"failure", "timed_out", "startup_failure"})
EXCLUDED_CONCLUSIONS = frozenset({"cancelled", "skipped", "neutral", "action_required", "stale"})

#: Longest duration the store holds: GitHub stops a workflow run after 35 days, so a longer
#: ``updated_at - run_started_at`` is never a real duration (``updated_at`` was touched later, or a
#: record's start time was wrong). ``record`` refuses it, importers and ``sync`` skip such runs
#: under :data:`OVER_MAX_DURATION`, and the store's merge never lets one in (``store/merge.py``).
MAX_DURATION_SECONDS = 35 * 24 * 3600
#: The reason importers and ``sync`` count a run under when its duration exceeds the limit.
OVER_MAX_DURATION = "duration over 35 days: GitHub ends runs after 35 days, so its updated_at was touched later"
MAX_TEXT = 1024

_NAIVE_SPACE = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$")


def parse_time(value: Any, field_name: str = "time", assume_utc: bool = False) -> datetime | None:
    """Parse an ISO-8601 timestamp into an aware UTC datetime (``None`` stays ``None``).

    Without ``assume_utc`` a timestamp lacking a zone is refused: a user-typed ``record
    --start-time`` must say which zone it means. Importers of known-UTC data (GHAminer writes
    ``YYYY-MM-DD HH:MM:SS`` in UTC) pass ``assume_utc=True``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        try:
            parsed = datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValidationError(field_name, value, "an epoch time within years 1970-9999") from None
    elif isinstance(value, str) and len(value) <= 64:
        text = value.strip()
        match = _NAIVE_SPACE.match(text)
        if match:
            text = f"{match.group(1)}T{match.group(2)}"
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(field_name, value, "an ISO-8601 time such as 2025-01-31T09:30:00Z") from None
    else:
        raise ValidationError(field_name, value, "an ISO-8601 time such as 2025-01-31T09:30:00Z")
    if parsed.tzinfo is None:
        if not assume_utc:
            raise ValidationError(field_name, value, "a time with a zone, e.g. 2025-01-31T09:30:00Z or +02:00")
        parsed = parsed.replace(tzinfo=timezone.utc)
    # GitHub's times are whole seconds; dropping fractions keeps re-imports byte-identical.
    return parsed.astimezone(timezone.utc).replace(microsecond=0)


def outcome_of(status: str | None, conclusion: str | None) -> str:
    """Classify a run as success, failure, excluded (not a verdict on the code) or in progress."""
    if status not in (None, "", "completed") and not conclusion:
        return IN_PROGRESS
    if conclusion == "success":
        return SUCCESS
    if conclusion in FAILURE_CONCLUSIONS:
        return FAILURE
    if conclusion in EXCLUDED_CONCLUSIONS or conclusion:
        return EXCLUDED
    return IN_PROGRESS


def clean_text(value: Any, field_name: str, required: bool = False) -> str | None:
    """Return ``value`` as a bounded single-line string; control characters become spaces.

    Names come from repositories we do not control: they are stored faithfully but never allowed
    to carry newlines or megabytes into the store, logs or step outputs.
    """
    if value is None or value == "":
        if required:
            raise ValidationError(field_name, value, "a non-empty string")
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ValidationError(field_name, value, "a string")
    text = str(value)
    if len(text) > MAX_TEXT:
        raise ValidationError(field_name, text[:40] + "...", f"at most {MAX_TEXT} characters")
    return "".join(" " if (ord(c) < 32 or 0x7F <= ord(c) < 0xA0) else c for c in text)


def strip_ref(path: str | None) -> str | None:
    """Drop the ``@refs/heads/main`` suffix GitHub appends to a run's workflow ``path``."""
    if path and "@" in path:
        return path.split("@", 1)[0]
    return path


@dataclass(frozen=True)
class ResourceUsage:
    """What a workflow recorded about itself (the ``record`` command); every field optional."""

    cpu_percent: float | None = None
    memory_mb: float | None = None
    api_calls: int | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> "ResourceUsage | None":
        """Validate a user-supplied mapping; unknown keys and bad values are refused by name."""
        if data is None:
            return None
        if not isinstance(data, Mapping):
            raise ValidationError("resource-usage", data, "a JSON object")
        unknown = set(data) - {"cpu_percent", "memory_mb", "api_calls"}
        if unknown:
            raise ValidationError("resource-usage", sorted(unknown), "only cpu_percent, memory_mb, api_calls")
        values: dict[str, Any] = {}
        for key, upper in (("cpu_percent", 100_000.0), ("memory_mb", 10_000_000.0), ("api_calls", 10**9)):
            raw = data.get(key)
            if raw is None:
                continue
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) or not 0 <= raw <= upper:
                raise ValidationError(f"resource-usage.{key}", raw, f"a number from 0 to {upper:g}")
            values[key] = int(raw) if key == "api_calls" else float(raw)
        return cls(**values) if values else None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class JobTiming:
    """One job of a run, as the jobs API tells it: its runner labels and how long it ran.

    Fetched only within a budget (one request per run), so most runs have none; the cost model
    prices a run from these when present, and says it estimated when not.
    """

    labels: tuple[str, ...]
    seconds: int

    @classmethod
    def from_api(cls, job: Mapping[str, Any]) -> "JobTiming | None":
        """A job of ``GET .../attempts/{n}/jobs``; ``None`` for one that did not run (skipped, still
        queued or running: a run is measured once it completed, so that only happens on a re-run)."""
        if job.get("conclusion") == "skipped":
            return None
        started = parse_time(job.get("started_at"), "started_at", assume_utc=True)
        completed = parse_time(job.get("completed_at"), "completed_at", assume_utc=True)
        if started is None or completed is None or completed < started:
            return None
        labels = job.get("labels")
        names = tuple(clean_text(v, "labels") or "" for v in labels) if isinstance(labels, list) else ()
        return cls(tuple(n for n in names if n), int((completed - started).total_seconds()))


@dataclass(frozen=True)
class RunRecord:
    """One attempt of one workflow run, as GitHub's REST API describes it.

    ``(id, run_attempt)`` is the identity; ``repository`` + ``workflow_id`` (or ``path`` when the
    id is unknown) identify the workflow within a store that may hold several repositories.
    """

    id: int
    repository: str
    name: str
    created_at: datetime
    updated_at: datetime
    run_attempt: int = 1
    run_number: int | None = None
    workflow_id: int | None = None
    path: str | None = None
    event: str | None = None
    head_branch: str | None = None
    status: str | None = "completed"
    conclusion: str | None = None
    run_started_at: datetime | None = None
    actor: str | None = None
    usage: ResourceUsage | None = field(default=None, compare=False)
    #: The run's jobs when the jobs API was asked (``None``: not fetched; ``()``: no job ran).
    jobs: tuple[JobTiming, ...] | None = field(default=None, compare=False)

    # ----- derived fields -------------------------------------------------------------------
    @property
    def started_at(self) -> datetime:
        """When work began: ``run_started_at``, else ``created_at`` (old data lacks the former)."""
        return self.run_started_at or self.created_at

    @property
    def duration_seconds(self) -> float:
        """``updated_at - run_started_at`` (falling back to ``created_at``), as the list API allows."""
        return max(0.0, (self.updated_at - self.started_at).total_seconds())

    @property
    def over_max_duration(self) -> bool:
        """Longer than GitHub lets a run last, so not a duration the store may hold."""
        return self.duration_seconds > MAX_DURATION_SECONDS

    @property
    def queue_seconds(self) -> float | None:
        """Wait between creation and start; only meaningful on attempt 1 (re-runs reset the start)."""
        if self.run_started_at is None or self.run_attempt != 1:
            return None
        return max(0.0, (self.run_started_at - self.created_at).total_seconds())

    @property
    def outcome(self) -> str:
        return outcome_of(self.status, self.conclusion)

    @property
    def completed(self) -> bool:
        return self.outcome != IN_PROGRESS

    @property
    def key(self) -> tuple[int, int]:
        return (self.id, self.run_attempt)

    @property
    def workflow_key(self) -> str:
        """A store-wide workflow identity, the most stable one the run carries.

        ``owner/name:path`` when the path is known (a workflow file's path survives renames of
        its ``name:``); else ``owner/name#workflow_id`` (GHAminer and ``gh run list`` rows carry
        the id but no path, and a Dependabot or renamed workflow's runs differ in name only);
        else ``owner/name:name``, for a run recorded before its workflow was ever synced.
        """
        if self.path:
            return f"{self.repository}:{self.path}"
        if self.workflow_id is not None:
            return f"{self.repository}#{self.workflow_id}"
        return f"{self.repository}:{self.name}"

    @property
    def legacy_workflow_key(self) -> str:
        """The key stores written before workflow ids were keys used (``owner/name:path-or-name``);
        predictions logged then are matched to runs through it."""
        return f"{self.repository}:{self.path or self.name}"

    def with_usage(self, usage: ResourceUsage | None) -> "RunRecord":
        return replace(self, usage=usage)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly view with derived fields, as ``history`` shows it."""
        out: dict[str, Any] = {
            "id": self.id,
            "run_attempt": self.run_attempt,
            "run_number": self.run_number,
            "repository": self.repository,
            "workflow_id": self.workflow_id,
            "name": self.name,
            "path": self.path,
            "event": self.event,
            "head_branch": self.head_branch,
            "status": self.status,
            "conclusion": self.conclusion,
            "created_at": format_time(self.created_at),
            "run_started_at": format_time(self.run_started_at),
            "updated_at": format_time(self.updated_at),
            "actor": self.actor,
            "duration_seconds": self.duration_seconds,
            "queue_seconds": self.queue_seconds,
            "outcome": self.outcome,
        }
        if self.usage:
            out["resource_usage"] = self.usage.to_dict()
        if self.jobs is not None:
            out["jobs"] = [{"labels": list(j.labels), "seconds": j.seconds} for j in self.jobs]
        return out

    @classmethod
    def from_api(cls, data: Mapping[str, Any], repository: str | None = None) -> "RunRecord":
        """Normalise a REST workflow-run object (``GET /repos/{owner}/{repo}/actions/runs``).

        Raises :class:`ValidationError` naming the first bad field; importers count those.
        """
        if not isinstance(data, Mapping):
            raise ValidationError("run", type(data).__name__, "a JSON object")
        repo = repository
        repo_obj = data.get("repository")
        if isinstance(repo_obj, Mapping) and repo_obj.get("full_name"):
            repo = repo_obj["full_name"]
        elif isinstance(data.get("repository"), str):
            repo = data["repository"]
        created = parse_time(data.get("created_at"), "created_at", assume_utc=True)
        if created is None:
            raise ValidationError("created_at", None, "a timestamp")
        updated = parse_time(data.get("updated_at"), "updated_at", assume_utc=True) or created
        started = parse_time(data.get("run_started_at"), "run_started_at", assume_utc=True)
        actor = data.get("actor")
        if isinstance(actor, Mapping):
            actor = actor.get("login")
        record = cls(
            id=_int(data.get("id"), "id", minimum=None),
            repository=clean_text(repo, "repository", required=True) or "",
            name=clean_text(data.get("name") or data.get("display_title") or data.get("path"), "name", required=True) or "",
            created_at=created,
            updated_at=updated,
            run_attempt=_int(data.get("run_attempt", 1) or 1, "run_attempt", minimum=1),
            run_number=_opt_int(data.get("run_number"), "run_number"),
            workflow_id=_opt_int(data.get("workflow_id"), "workflow_id"),
            path=strip_ref(clean_text(data.get("path"), "path")),
            event=clean_text(data.get("event"), "event"),
            head_branch=clean_text(data.get("head_branch"), "head_branch"),
            status=clean_text(data.get("status"), "status"),
            conclusion=clean_text(data.get("conclusion"), "conclusion"),
            run_started_at=started,
            actor=clean_text(actor, "actor"),
        )
        record.check()
        return record

    def check(self) -> None:
        """Refuse records whose times are impossible; raises :class:`ValidationError`."""
        if self.updated_at < self.created_at:
            raise ValidationError("updated_at", format_time(self.updated_at), "a time after created_at")
        if self.run_started_at is not None and self.run_started_at < self.created_at and self.run_attempt == 1:
            raise ValidationError("run_started_at", format_time(self.run_started_at), "a time after created_at")
        if self.id == 0:
            raise ValidationError("id", self.id, "a non-zero run id")


def format_time(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _int(value: Any, name: str, minimum: int | None = 0) -> int:
    if isinstance(value, bool):
        raise ValidationError(name, value, "an integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(name, value, "an integer") from None
    if isinstance(value, float) and value != number:
        raise ValidationError(name, value, "an integer")
    if minimum is not None and number < minimum:
        raise ValidationError(name, value, f"an integer ≥ {minimum}")
    if abs(number) >= 2**63:
        raise ValidationError(name, value, "an integer below 2**63")
    return number


def _opt_int(value: Any, name: str) -> int | None:
    return None if value is None or value == "" else _int(value, name)

