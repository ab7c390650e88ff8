"""Which workflows a store knows, and turning what a user typed into exactly one of them.

A workflow is identified by its repository and, where the history knows it, its GitHub
``workflow_id`` or file path (:attr:`RunRecord.workflow_key`): its display name can change from
run to run (renames, Dependabot's per-update titles), so names are only aliases. The latest
name is shown; every earlier name, the path and the id are accepted. A store may hold several
repositories, so a name can be ambiguous: then the error lists the candidates and says to pass
``--repo``; an unknown name lists close matches.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from .errors import WorkflowNotFound
from .model import RunRecord

__all__ = ["Workflow", "workflows", "resolve", "with_known_paths", "legacy_keys"]


@dataclass(frozen=True)
class Workflow:
    """One workflow of one repository, as seen in the history."""

    key: str
    repository: str
    name: str
    path: str | None
    workflow_id: int | None
    runs: int
    #: Earlier names of the workflow, most recent first (the current ``name`` is not repeated).
    aliases: tuple[str, ...] = ()

    def label(self) -> str:
        return f"{self.name} ({self.repository}:{self.path})" if self.path else f"{self.name} ({self.repository})"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "repository": self.repository, "name": self.name, "path": self.path,
                "workflow_id": self.workflow_id, "runs": self.runs, "aliases": list(self.aliases)}


def with_known_paths(runs: Sequence[RunRecord]) -> list[RunRecord]:
    """Give a run without a path the path its workflow id has elsewhere in the history.

    Sources differ in what they carry: a synced run has path and id, a ``gh run list`` or
    GHAminer row only the id. Without this, one workflow imported from both would be two.
    """
    paths: dict[tuple[str, int], set[str]] = {}
    for run in runs:
        if run.path and run.workflow_id is not None:
            paths.setdefault((run.repository, run.workflow_id), set()).add(run.path)
    if not paths:
        return list(runs)
    out = []
    for run in runs:
        known = paths.get((run.repository, run.workflow_id)) if run.workflow_id is not None else None
        out.append(replace(run, path=next(iter(known))) if not run.path and known and len(known) == 1 else run)
    return out


def workflows(runs: Iterable[RunRecord]) -> list[Workflow]:
    """Every workflow in ``runs``, named by its most recent run, earlier names kept as aliases."""
    latest: dict[str, RunRecord] = {}
    counts: Counter[str] = Counter()
    named: dict[str, dict[str, tuple[object, ...]]] = {}
    for run in runs:
        key = run.workflow_key
        counts[key] += 1
        order = (run.created_at, run.id)
        seen = latest.get(key)
        if seen is None or order > (seen.created_at, seen.id):
            latest[key] = run
        names = named.setdefault(key, {})
        if run.name not in names or order > names[run.name]:
            names[run.name] = order
    found = []
    for key, run in latest.items():
        earlier = sorted((n for n in named[key] if n != run.name), key=lambda n: named[key][n], reverse=True)
        found.append(Workflow(key, run.repository, run.name, run.path, run.workflow_id, counts[key], tuple(earlier)))
    return sorted(found, key=lambda w: (w.repository, w.name, w.key))


def legacy_keys(runs: Iterable[RunRecord]) -> dict[str, str]:
    """Old-style key → current key, for predictions logged before ids were keys."""
    return {r.legacy_workflow_key: r.workflow_key for r in runs if r.legacy_workflow_key != r.workflow_key}


def resolve(known: Sequence[Workflow], query: str, repository: str | None = None) -> Workflow:
    """Find the one workflow ``query`` names (within ``repository`` when given)."""
    query = str(query).strip()
    candidates = [w for w in known if repository is None or w.repository.lower() == repository.lower()]
    if repository is not None and not candidates:
        repos = sorted({w.repository for w in known})
        raise WorkflowNotFound(f"no history for repository {repository!r}; the store holds: {', '.join(repos) or 'nothing yet'}")
    for matches in _match_levels(candidates, query):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = "; ".join(w.label() for w in matches[:10])
            raise WorkflowNotFound(f"workflow {query!r} is ambiguous: {listed}. Pass --repo OWNER/NAME or use the path.")
    labels = {name: w for w in candidates for name in w.names} | {w.path: w for w in candidates if w.path}
    close = difflib.get_close_matches(query, list(labels), n=5, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    if not candidates:
        hint = " The store has no runs yet: run `import` or `sync` first."
    raise WorkflowNotFound(f"unknown workflow {query[:200]!r}.{hint}")


def _match_levels(candidates: Sequence[Workflow], query: str) -> Iterable[list[Workflow]]:
    """Exact matches first, then looser ones; the first level with any match decides."""
    if query.isdigit():
        yield [w for w in candidates if w.workflow_id == int(query)]
    yield [w for w in candidates if w.key == query]
    yield [w for w in candidates if w.path == query or w.path == f".github/workflows/{query}"]
    yield [w for w in candidates if w.name == query]
    yield [w for w in candidates if query in w.aliases]
    lowered = query.lower()
    yield [w for w in candidates if any(n.lower() == lowered for n in w.names)]
    yield [w for w in candidates if w.path and w.path.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower() == lowered]
