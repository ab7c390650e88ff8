"""The fake's state: repositories, the exchange log entries, fault settings, error replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from .git import GitDB


@dataclass
class Exchange:
    """One request and what the server did with it (``fault`` names an injected failure)."""

    method: str
    path: str
    query: dict[str, str]
    request_headers: dict[str, str]
    request_body: bytes
    status: int | None
    response_headers: dict[str, str]
    response_body: bytes
    fault: str | None = None


@dataclass
class RepoState:
    """One repository: workflows, run attempts (latest per run for listings), Git objects and pull requests."""

    full_name: str
    repo_id: int
    default_branch: str
    workflows: dict[int, dict[str, Any]] = field(default_factory=dict)
    attempts: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    latest: dict[int, dict[str, Any]] = field(default_factory=dict)
    created: dict[int, datetime] = field(default_factory=dict)
    git: GitDB = field(default_factory=GitDB)
    _order: list[tuple[float, int]] | None = None
    #: The ``minimal-repository`` object every run embeds, built once (100k runs share it).
    minimal: dict[str, Any] | None = None
    #: Pull requests by number: ``title``, ``body``, ``head``/``base`` branch names, ``state``,
    #: ``draft``, ``user`` (a login), times; ``head_sha``/``base_sha`` are frozen once closed.
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: The next issue/pull request number (GitHub numbers both from one sequence, from 1).
    next_number: int = 1
    #: Listing flags of an organisation's repository (see ``FakeGitHub.add_org_repos``).
    archived: bool = False
    disabled: bool = False
    private: bool = False
    #: Jobs seeded per run attempt (``FakeGitHub.set_jobs``); other attempts get one job spanning the run.
    jobs: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict)

    def ordered(self) -> list[tuple[float, int]]:
        """``(-created, -id)`` of every run, ascending: newest first, bisectable by time."""
        if self._order is None:
            self._order = sorted((-self.created[i].timestamp(), -i) for i in self.latest)
        return self._order


@dataclass
class Faults:
    """The injected-failure settings (see ``FakeGitHub.inject_faults``)."""

    error_rate: float = 0.0
    reset_rate: float = 0.0
    reset_after_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    statuses: tuple[int, ...] = (500, 502, 503)
    methods: frozenset[str] | None = None
    spared: int = 0


class Reply(Exception):
    """Raised by a route to answer with an error status.

    ``errors`` are a ``validation-error``'s entries (``resource``, ``field``, ``code``, ``message``),
    answered as ``{"message", "errors", "documentation_url", "status"}``; ``documentation_url``
    names the operation's page, as GitHub's answers do (default: the REST docs' front page).
    """

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None,
                 errors: list[dict[str, Any]] | None = None, documentation_url: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, dict(headers or {})
        self.errors, self.documentation_url = errors, documentation_url
