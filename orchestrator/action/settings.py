"""The action's one typed settings object, built in one place from ``INPUT_*`` variables.

GitHub hands a Docker action its inputs as ``INPUT_<NAME>`` upper-cased with hyphens kept
(``INPUT_DATA-BRANCH``), plus the run's context (``GITHUB_REPOSITORY``, ``GITHUB_API_URL``,
``GITHUB_WORKSPACE`` ...). Every input has exactly one validator here, and each failure names the
input, the bad value and what is expected, so a user fixes their YAML in one try.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Mapping, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import UsageError, ValidationError

__all__ = ["Settings", "MODES", "load_settings"]

MODES = ("recommend", "sync", "report")
APPLY_MODES = ("none", "pull-request")
#: What ``apply: pull-request`` needs, said where it is refused and in docs/action.md.
APPLY_TOKEN_NEEDED = (
    "apply-token: apply: pull-request needs a token allowed to write workflow files: a fine-grained personal "
    "access token with contents, pull-requests and workflows write on this repository, or a GitHub App "
    "installation token with those permissions (actions/create-github-app-token). GITHUB_TOKEN cannot create "
    "commits that touch .github/workflows/ (see docs/action.md)"
)
DEFAULT_API_URL = "https://api.github.com"

_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# git check-ref-format, restricted to what a data branch sensibly needs.
_BRANCH = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)(?!.*@\{)(?!.*\.lock$)(?!.*/$)(?!.*\.$)[A-Za-z0-9._/-]{1,200}$")
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})

T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """Everything the action needs, validated; ``token`` is excluded from ``repr`` so logs stay clean."""

    token: str = field(repr=False)
    repository: str
    data_branch: str
    workflows_dir: Path
    workflows: tuple[str, ...]
    lookback_days: int
    max_requests: int
    min_confidence: float
    timezone: str
    mode: str
    summary: bool
    api_url: str
    workspace: Path
    output_file: Path | None
    summary_file: Path | None
    #: ``none`` or ``pull-request`` (open one pull request with the recommended crons).
    apply: str = "none"
    apply_token: str = field(default="", repr=False)
    #: The repository is public (from the run's event payload): standard runners cost nothing.
    public: bool = False
    #: Runs whose jobs each sync measures (jobs API, one request each) for exact cost figures.
    jobs_budget: int = 0


# ----- one validator per input ---------------------------------------------------------------
def parse_token(value: str) -> str:
    if not value or any(c.isspace() for c in value):
        raise ValidationError("token", "***" if value else value, "a GitHub token without spaces (default: ${{ github.token }})")
    return value


def parse_repository(value: str) -> str:
    if not _REPOSITORY.match(value):
        raise ValidationError("repository", value, "OWNER/NAME, e.g. octo-org/octo-repo")
    return value


def parse_data_branch(value: str) -> str:
    if not _BRANCH.match(value) or value.startswith("refs/"):
        raise ValidationError("data-branch", value, "a branch name such as workflow-orchestrator-data (no refs/ prefix, spaces, '..' or '~^:')")
    return value


def parse_workflows_dir(value: str) -> PurePosixPath:
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or not value.strip():
        raise ValidationError("workflows-dir", value, "a path inside the workspace, e.g. .github/workflows")
    return path


def parse_workflows(value: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(part.strip() for part in re.split(r"[,\n]", value) if part.strip()))
    for item in items:
        if len(item) > 300:
            raise ValidationError("workflows", item, "workflow names or paths of at most 300 characters")
    return items


def parse_lookback_days(value: str) -> int:
    return _integer("lookback-days", value, 0, 3650, "whole days from 0 (everything) to 3650")


def parse_max_requests(value: str) -> int:
    return _integer("max-requests", value, 2, 100_000, "a whole number of requests from 2 (the workflows and one page of runs) to 100000")


def parse_jobs_budget(value: str) -> int:
    return _integer("jobs-budget", value, 0, 10_000, "a whole number of runs from 0 (estimate every cost) to 10000")


def parse_min_confidence(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not 0.0 <= number <= 1.0:
        raise ValidationError("min-confidence", value, "a number from 0 to 1, e.g. 0.6")
    return number


def parse_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("timezone", value, "an IANA time zone such as UTC or Europe/Berlin") from None
    return value


def parse_mode(value: str) -> str:
    mode = value.lower()
    if mode not in MODES:
        raise ValidationError("mode", value, "one of " + ", ".join(MODES))
    return mode


def parse_apply(value: str) -> str:
    mode = value.lower()
    if mode not in APPLY_MODES:
        raise ValidationError("apply", value, "none or pull-request")
    return mode


def parse_apply_token(value: str, apply: str, token: str) -> str:
    """The token for ``apply: pull-request``: required then, and never the read token."""
    if apply == "none":
        return ""
    if not value or value == token:
        raise UsageError(APPLY_TOKEN_NEEDED + ("" if not value else "; the apply-token given is the same token as token"))
    return parse_token(value)


def parse_summary(value: str) -> bool:
    text = value.lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError("summary", value, "true or false")


def parse_api_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValidationError("GITHUB_API_URL", value, "an http(s) URL such as https://api.github.com")
    return value.rstrip("/")


def _integer(name: str, value: str, low: int, high: int, expected: str) -> int:
    if not re.fullmatch(r"\d{1,9}", value) or not low <= int(value) <= high:
        raise ValidationError(name, value, expected)
    return int(value)


# ----- building the object -------------------------------------------------------------------
def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read and validate every input from ``environ`` (``os.environ`` in the container).

    Empty inputs take the defaults action.yml documents, so running the entry point by hand with
    only ``GITHUB_REPOSITORY`` set behaves like a ``uses:`` step with no ``with:``.
    """

    def get(name: str, default: str, parse: Callable[[str], T]) -> T:
        raw = environ.get(f"INPUT_{name.upper()}", "").strip()
        return parse(raw or default)

    token = environ.get("INPUT_TOKEN", "").strip() or environ.get("GITHUB_TOKEN", "").strip()
    workspace = Path(environ.get("GITHUB_WORKSPACE") or ".")
    repository_default = environ.get("GITHUB_REPOSITORY", "")
    if not (environ.get("INPUT_REPOSITORY", "").strip() or repository_default):
        raise UsageError("repository: no input given and GITHUB_REPOSITORY is not set; pass repository: OWNER/NAME")
    workflows_dir = get("workflows-dir", ".github/workflows", parse_workflows_dir)
    apply = get("apply", "none", parse_apply)
    return Settings(
        token=parse_token(token),
        repository=get("repository", repository_default, parse_repository),
        data_branch=get("data-branch", "workflow-orchestrator-data", parse_data_branch),
        workflows_dir=workspace / workflows_dir,
        workflows=parse_workflows(environ.get("INPUT_WORKFLOWS", "")),
        lookback_days=get("lookback-days", "90", parse_lookback_days),
        max_requests=get("max-requests", "300", parse_max_requests),
        min_confidence=get("min-confidence", "0.6", parse_min_confidence),
        timezone=get("timezone", "UTC", parse_timezone),
        mode=get("mode", "recommend", parse_mode),
        summary=get("summary", "true", parse_summary),
        api_url=parse_api_url(environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL),
        workspace=workspace,
        output_file=_optional_path(environ.get("GITHUB_OUTPUT")),
        summary_file=_optional_path(environ.get("GITHUB_STEP_SUMMARY")),
        apply=apply,
        apply_token=parse_apply_token(environ.get("INPUT_APPLY-TOKEN", "").strip(), apply, token),
        public=_public(environ.get("GITHUB_EVENT_PATH")),
        jobs_budget=get("jobs-budget", "0", parse_jobs_budget),
    )


def _public(event_path: str | None) -> bool:
    """Whether the event payload says the repository is public (``repository.private`` false).

    Absent or unreadable, the repository is treated as private: costs are then shown, not hidden.
    """
    if not event_path:
        return False
    try:
        repository = json.loads(Path(event_path).read_text(encoding="utf-8")).get("repository") or {}
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(repository, dict) and repository.get("private") is False


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value else None
