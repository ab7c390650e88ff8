"""A repository's files at a branch tip, read through the Git Data API (no clone, no checkout).

``apply --pull-request`` compares the base branch's workflow files with the local ones, and
``org run`` reads each repository's workflow files to recommend from them; both read a branch's
tip, its tree, and the blobs they need, with the one client's budget and retries.
"""

from __future__ import annotations

import base64
from typing import Any, Mapping

from ..errors import SourceError
from .github import GitHubClient

__all__ = ["ok", "branch_tip", "tree_blobs", "blob", "files_under"]


def ok(client: GitHubClient, method: str, path: str, params: Mapping[str, Any] | None = None, body: Any = None) -> Any:
    """One request that must succeed (2xx); anything else is a :class:`SourceError` with a hint."""
    response = client.request(method, path, params=params, body=body, essential=True)
    if not 200 <= response.status < 300:
        raise client.error(response, method, path)
    return response


def branch_tip(client: GitHubClient, repo: str, branch: str) -> str | None:
    """``GET /repos/{owner}/{repo}/git/ref/heads/{branch}``: the tip commit, ``None`` if absent."""
    response = client.request("GET", f"/repos/{repo}/git/ref/heads/{branch}", essential=True)
    if response.status == 404:
        return None
    if response.status != 200:
        raise client.error(response, "GET", f"/repos/{repo}/git/ref/heads/{branch}")
    return str(response.data["object"]["sha"])


def tree_blobs(client: GitHubClient, repo: str, commit: str) -> tuple[str, dict[str, str]]:
    """The commit's tree sha and ``{path: blob sha}`` of every file in it (one recursive listing)."""
    tree = str(ok(client, "GET", f"/repos/{repo}/git/commits/{commit}").data["tree"]["sha"])
    listing = ok(client, "GET", f"/repos/{repo}/git/trees/{tree}", {"recursive": "1"}).data
    if listing.get("truncated"):
        raise SourceError(f"{repo}: the tree of {commit[:12]} is too large for one listing")
    return tree, {e["path"]: e["sha"] for e in listing.get("tree", []) if e.get("type") == "blob"}


def blob(client: GitHubClient, repo: str, sha: str) -> bytes:
    """``GET /repos/{owner}/{repo}/git/blobs/{file_sha}``, decoded."""
    data = ok(client, "GET", f"/repos/{repo}/git/blobs/{sha}").data
    if data.get("encoding") != "base64":
        raise SourceError(f"{repo}: blob {sha} came back as {data.get('encoding')!r}, expected base64")
    return base64.b64decode(data.get("content", ""))


def files_under(client: GitHubClient, repo: str, branch: str, prefix: str, suffixes: tuple[str, ...]) -> dict[str, bytes]:
    """Every file directly under ``prefix`` ending in one of ``suffixes`` at ``branch``'s tip."""
    tip = branch_tip(client, repo, branch)
    if tip is None:
        return {}
    _, blobs = tree_blobs(client, repo, tip)
    wanted = {p: s for p, s in blobs.items()
              if p.startswith(prefix) and "/" not in p[len(prefix):] and p.endswith(suffixes)}
    return {path: blob(client, repo, sha) for path, sha in sorted(wanted.items())}
