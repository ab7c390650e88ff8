"""Read the schedule-relevant parts of GitHub Actions workflow files.

A repository's ``.github/workflows`` directory is user content we do not control: one file with
broken YAML or a bad cron must not hide the recommendations for the others, so every problem is
collected as a :class:`WorkflowFileError` naming the file and the reading goes on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ..cost.runners import labels_of
from ..errors import ValidationError
from .cron import Cron

__all__ = ["WorkflowFile", "WorkflowFileError", "read_workflows", "parse_workflow", "DEFAULT_TIMEOUT_MINUTES"]

#: GitHub stops a job after this many minutes when it sets no ``timeout-minutes``.
DEFAULT_TIMEOUT_MINUTES = 360

#: Workflow files live directly in this directory; runs report their path relative to the repo.
WORKFLOWS_PREFIX = ".github/workflows/"

_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)


@dataclass(frozen=True)
class WorkflowFileError:
    """A problem with one file (or one cron entry in it); the other files are still read."""

    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass(frozen=True)
class WorkflowFile:
    """What scheduling needs from one workflow file.

    ``path`` is the repository-relative path GitHub reports in a run's ``path`` field, so files
    are matched to history by path (and by ``name`` only when the history lacks paths).
    ``job_timeouts`` maps job id to its ``timeout-minutes`` (``None``: not set, or an expression
    we cannot evaluate); jobs calling a reusable workflow cannot set one and are left out.
    """

    path: str
    name: str
    schedules: tuple[Cron, ...]
    job_timeouts: Mapping[str, float | None] = field(default_factory=dict)
    concurrency_groups: tuple[str, ...] = ()
    #: Each job's ``runs-on`` labels (for its cost); jobs calling a reusable workflow are left out.
    job_runners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def jobs_without_timeout(self) -> list[str]:
        """Jobs that run until GitHub's 360-minute default stops them."""
        return sorted(job for job, minutes in self.job_timeouts.items() if minutes is None)


def read_workflows(directory: Path) -> tuple[list[WorkflowFile], list[WorkflowFileError]]:
    """Read every ``*.yml``/``*.yaml`` file in ``directory``; problems are returned, not raised.

    A missing directory is one error (the caller decides whether that is fatal).
    """
    directory = Path(directory)
    if not directory.is_dir():
        return [], [WorkflowFileError(str(directory), "not a directory; pass --workflows-dir pointing at .github/workflows")]
    workflows: list[WorkflowFile] = []
    errors: list[WorkflowFileError] = []
    for file in sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file()):
        rel = WORKFLOWS_PREFIX + file.name
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(WorkflowFileError(rel, f"cannot be read: {exc}"))
            continue
        workflow, problems = parse_workflow(text, rel)
        errors.extend(problems)
        if workflow is not None:
            workflows.append(workflow)
    return workflows, errors


def parse_workflow(text: str, path: str) -> tuple[WorkflowFile | None, list[WorkflowFileError]]:
    """Parse one workflow's text; returns the workflow (``None`` if unusable) and its problems.

    An invalid cron entry is reported and dropped while the file's valid entries are kept.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return None, [WorkflowFileError(path, f"is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}")]
    if not isinstance(data, Mapping):
        return None, [WorkflowFileError(path, "is not a workflow (the top level is not a mapping)")]
    errors: list[WorkflowFileError] = []
    name = data.get("name")
    name = str(name) if isinstance(name, (str, int, float)) and str(name).strip() else path.rsplit("/", 1)[-1]
    # YAML 1.1 reads the bare key ``on`` as the boolean True.
    triggers = data.get("on", data.get(True))
    schedules = tuple(_schedules(triggers, path, errors))
    raw_jobs = data.get("jobs")
    jobs: Mapping[str, Any] = raw_jobs if isinstance(raw_jobs, Mapping) else {}
    return (
        WorkflowFile(
            path=path,
            name=name,
            schedules=schedules,
            job_timeouts=_job_timeouts(jobs),
            concurrency_groups=tuple(_concurrency_groups(data, jobs, path)),
            job_runners={str(job_id): labels_of(job.get("runs-on")) for job_id, job in jobs.items()
                         if isinstance(job, Mapping) and "uses" not in job},
        ),
        errors,
    )


def _schedules(triggers: Any, path: str, errors: list[WorkflowFileError]) -> list[Cron]:
    """Every ``on.schedule[].cron``; string and list forms of ``on`` carry no cron."""
    if not isinstance(triggers, Mapping):
        return []
    entries = triggers.get("schedule")
    if entries is None:
        return []
    if not isinstance(entries, list):
        errors.append(WorkflowFileError(path, "on.schedule must be a list of {cron: ...} entries"))
        return []
    out: list[Cron] = []
    for index, entry in enumerate(entries):
        where = f"on.schedule[{index}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("cron"), str):
            errors.append(WorkflowFileError(path, f"{where} has no cron string"))
            continue
        tz = entry.get("timezone")
        if tz is not None:
            if not isinstance(tz, str) or not _valid_zone(tz):
                errors.append(
                    WorkflowFileError(path, f"{where}.timezone {tz!r} is not an IANA time zone such as Europe/Berlin")
                )
                continue
        try:
            out.append(Cron.parse(entry["cron"], tz))
        except ValidationError as exc:
            errors.append(WorkflowFileError(path, f"{where}: {exc}"))
    return out


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _job_timeouts(jobs: Mapping[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for job_id, job in jobs.items():
        if not isinstance(job, Mapping) or "uses" in job:
            continue
        value = job.get("timeout-minutes")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            out[str(job_id)] = float(value)
        else:
            out[str(job_id)] = None
    return out


def _concurrency_groups(data: Mapping[str, Any], jobs: Mapping[str, Any], path: str) -> list[str]:
    """Concurrency group names, with ``github.workflow`` made unique to this file.

    Other expressions (``github.ref`` and the like) evaluate alike for two scheduled runs on the
    default branch, so their literal text is a fair identity for "shares a group".
    """
    raw = [data.get("concurrency")] + [job.get("concurrency") for job in jobs.values() if isinstance(job, Mapping)]
    groups: list[str] = []
    for value in raw:
        group = value.get("group") if isinstance(value, Mapping) else value
        if not isinstance(group, (str, int)) or isinstance(group, bool):
            continue
        text = str(group)
        text = _EXPRESSION.sub(
            lambda m: f"<{path}>" if "github.workflow" in m.group(0) else m.group(0).replace(" ", ""), text
        )
        if text not in groups:
            groups.append(text)
    return groups
