"""Propose the edited workflow files as one pull request, through the Git Data and pulls APIs.

No clone: the base branch's files are read as blobs, the edits become one tree and one commit on
our own branch ``workflow-orchestrator/schedules`` (made from the base tip), and one pull request
from it is opened or updated. Running again with the same recommendations adds no commit and no
second pull request. Our branch is only ever force-moved when its tip is a commit we wrote (it
carries :data:`TRAILER`); if a person pushed to it, we refuse and say so.

A file whose copy on the base branch differs from the local one (a stale checkout) is refused by
name, and the others go ahead, since their edits were computed from text the base still has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..errors import UsageError
from ..report.markdown import code, md, md_with_code
from ..source.github import GitHubClient
from ..source.repo_files import blob, branch_tip, ok, tree_blobs
from .files import FileChange

__all__ = ["BRANCH", "TRAILER", "Proposal", "propose", "pull_request_body"]

BRANCH = "workflow-orchestrator/schedules"
#: Marks the commits this tool writes on :data:`BRANCH` (a git trailer on the last line).
TRAILER = "Workflow-Orchestrator: apply"
TITLE = "Move scheduled workflows to better slots"
#: GitHub's answer when an open pull request from the branch already exists.
ALREADY_EXISTS = "A pull request already exists"


@dataclass
class Proposal:
    """What :func:`propose` did: the pull request, and the files it had to leave out."""

    pull_request: dict[str, Any] | None
    refused: list[dict[str, str]]
    committed: bool


def propose(client: GitHubClient, repo: str, changes: Sequence[FileChange], body: str, base: str | None = None) -> Proposal:
    """Commit ``changes`` onto :data:`BRANCH` from ``base`` (default: the default branch) and
    open or update the pull request; see the module docstring for the rules."""
    base = base or str(ok(client, "GET", f"/repos/{repo}").data["default_branch"])
    base_tip = branch_tip(client, repo, base)
    if base_tip is None:
        raise UsageError(f"--base: branch {base!r} does not exist in {repo}")
    base_tree, blobs = tree_blobs(client, repo, base_tip)
    kept, refused = [], []
    for change in changes:
        on_base = blob(client, repo, blobs[change.path]) if change.path in blobs else None
        if on_base != change.before.encode("utf-8"):
            why = "is not on" if on_base is None else "differs from the copy on"
            refused.append({"path": change.path, "message": f"the local file {why} {base} (a stale checkout?): "
                            "pull and run apply again; left out of the pull request"})
        else:
            kept.append(change)
    if not kept:
        return Proposal(None, refused, False)
    tree = str(ok(client, "POST", f"/repos/{repo}/git/trees", body={
        "base_tree": base_tree,
        "tree": [{"path": c.path, "mode": "100644", "type": "blob", "content": c.after} for c in kept],
    }).data["sha"])
    committed = _move_branch(client, repo, base, base_tip, tree, kept)
    pull = _open_or_update(client, repo, base, body)
    return Proposal(pull, refused, committed)


def _move_branch(client: GitHubClient, repo: str, base: str, base_tip: str, tree: str, changes: Sequence[FileChange]) -> bool:
    """Point :data:`BRANCH` at a commit of ``tree`` on ``base_tip``; False when it already is."""
    tip = branch_tip(client, repo, BRANCH)
    if tip is not None:
        commit = ok(client, "GET", f"/repos/{repo}/git/commits/{tip}").data
        if TRAILER not in str(commit.get("message", "")):
            raise UsageError(f"{BRANCH} in {repo} has a commit that workflow-orchestrator did not write ({tip[:12]}): "
                             "someone pushed to it. Refusing to overwrite it; merge or close that work, or delete the "
                             "branch, then run apply again")
        if commit["tree"]["sha"] == tree and [p["sha"] for p in commit.get("parents", [])] == [base_tip]:
            return False
    paths = ", ".join(c.path for c in changes)
    message = f"{TITLE}\n\nRecommended by workflow-orchestrator for: {paths}\n\n{TRAILER}"
    sha = str(ok(client, "POST", f"/repos/{repo}/git/commits",
                  body={"message": message, "tree": tree, "parents": [base_tip]}).data["sha"])
    if tip is None:
        ok(client, "POST", f"/repos/{repo}/git/refs", body={"ref": f"refs/heads/{BRANCH}", "sha": sha})
    else:
        # Our own branch, re-made from the base tip: a forced update, checked just above.
        ok(client, "PATCH", f"/repos/{repo}/git/refs/heads/{BRANCH}", body={"sha": sha, "force": True})
    return True


def _open_or_update(client: GitHubClient, repo: str, base: str, body: str) -> dict[str, Any]:
    """The open pull request from :data:`BRANCH` to ``base``, created or with its text refreshed."""
    owner = repo.split("/", 1)[0]
    existing = _find(client, repo, owner, base)
    if existing is None:
        created = client.request("POST", f"/repos/{repo}/pulls",
                                 body={"title": TITLE, "head": BRANCH, "base": base, "body": body}, essential=True)
        if created.status == 201:
            return _summary(created.data)
        if created.status != 422 or ALREADY_EXISTS not in str(created.data):
            raise client.error(created, "POST", f"/repos/{repo}/pulls")
        existing = _find(client, repo, owner, base)  # opened meanwhile by a concurrent run
        if existing is None:
            raise client.error(created, "POST", f"/repos/{repo}/pulls")
    if existing.get("body") != body or existing.get("title") != TITLE:
        existing = ok(client, "PATCH", f"/repos/{repo}/pulls/{existing['number']}", body={"title": TITLE, "body": body}).data
    return _summary(existing)


def _find(client: GitHubClient, repo: str, owner: str, base: str) -> dict[str, Any] | None:
    listed = ok(client, "GET", f"/repos/{repo}/pulls", {"head": f"{owner}:{BRANCH}", "base": base, "state": "open"}).data
    return dict(listed[0]) if listed else None


def _summary(pull: Mapping[str, Any]) -> dict[str, Any]:
    return {"number": int(pull["number"]), "url": str(pull["html_url"]), "branch": BRANCH}


def pull_request_body(recommendations: Sequence[Mapping[str, Any]], changes: Sequence[FileChange]) -> str:
    """The pull request's text: per moved workflow, from → to in words, confidence and reasons.

    Every string from the repository (names, paths, crons, reasons quoting them) is escaped as in
    the job summary, so a hostile workflow name cannot inject Markdown or HTML.
    """
    moved = {(m["path"], m["from"]) for c in changes for m in c.moves}
    lines = ["Workflow Orchestrator recommends moving these scheduled workflows. Only the `cron:` values change.", ""]
    for rec in recommendations:
        entries = [(a, b) for a, b in zip(rec.get("current_schedule") or [], rec.get("recommended_schedules") or [])
                   if (rec.get("path"), a) in moved and a != b]
        if not entries:
            continue
        confidence = rec.get("confidence")
        shown = f"{confidence:.0%}" if isinstance(confidence, (int, float)) else "unknown"
        lines.append(f"### {md(rec.get('workflow'))} ({code(rec.get('path'))})")
        lines.append("")
        for before, after in entries:
            lines.append(f"- {code(before)} → {code(after)}: {md(rec.get('current_human', [''])[0])} → "
                         f"{md(rec.get('recommended_human'))}")
        lines.append(f"- Confidence {shown}")
        lines.extend(f"  - {md_with_code(reason)}" for reason in list(rec.get("reasoning") or [])[:6])
        lines.append("")
    lines.append("Run again with the same history and nothing changes; close this pull request to decline.")
    return "\n".join(lines)
