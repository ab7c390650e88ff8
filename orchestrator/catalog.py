"""Which workflows a store knows, and turning what a user typed into exactly one of them.

Users name a workflow by its display name, its file path (or just the file name) or its numeric
id. A store may hold several repositories, so a name can be ambiguous: then the error lists the
candidates and says to pass ``--repo``; an unknown name lists close matches.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from .errors import WorkflowNotFound
from .model import RunRecord


@dataclass(frozen=True)
class Workflow:
    """One workflow of one repository, as seen in the history."""

    key: str
    repository: str
    name: str
    path: str | None
    workflow_id: int | None
    runs: int

    def label(self) -> str:
        return f"{self.name} ({self.repository}:{self.path})" if self.path else f"{self.name} ({self.repository})"

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "repository": self.repository, "name": self.name, "path": self.path,
                "workflow_id": self.workflow_id, "runs": self.runs}


def workflows(runs: Iterable[RunRecord]) -> list[Workflow]:
    """Every workflow in ``runs``, named by its most recent run (workflows get renamed)."""
    latest: dict[str, RunRecord] = {}
    counts: Counter[str] = Counter()
    for run in runs:
        counts[run.workflow_key] += 1
        seen = latest.get(run.workflow_key)
        if seen is None or (run.created_at, run.id) > (seen.created_at, seen.id):
            latest[run.workflow_key] = run
    return sorted(
        (Workflow(key, r.repository, r.name, r.path, r.workflow_id, counts[key]) for key, r in latest.items()),
        key=lambda w: (w.repository, w.name, w.key),
    )


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
    labels = {w.name: w for w in candidates} | {w.path: w for w in candidates if w.path}
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
    lowered = query.lower()
    yield [w for w in candidates if w.name.lower() == lowered]
    yield [w for w in candidates if w.path and w.path.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower() == lowered]
