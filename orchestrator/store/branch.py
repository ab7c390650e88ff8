"""``BranchBackend``: the store's files on a branch of the repository, through the Git Data API.

No clone, no working tree: a read is the branch's ref, its commit, its tree and the blobs; a write
is one tree (file contents inline, on top of the current tree) plus one commit plus a *non-forced*
ref update. GitHub refuses a non-fast-forward update with 422, which is exactly a lost
compare-and-swap: we raise :class:`StaleWrite` and ``HistoryStore`` re-reads, re-merges and retries.

The branch is created as an orphan (no shared history with the code) on first write; a concurrent
creator gets 422 "Reference already exists", which is also a :class:`StaleWrite`. We refuse to
touch the repository's default branch and any branch whose tip does not hold our ``store.json``.
"""

from __future__ import annotations

import base64
import re
from typing import Any, Mapping

from ..errors import StaleWrite, StoreError, UsageError
from ..source.github import GitHubClient, Response
from .backend import Backend, Snapshot

STORE_FILE = "store.json"
_BRANCH = re.compile(r"^(?![/-])(?!.*(?:\.\.|//|@\{|\.lock(?:/|$)))[A-Za-z0-9._/-]{1,200}(?<![./])$")


class BranchBackend(Backend):
    """Store files on ``branch`` of ``repo`` (``OWNER/NAME``), read and written over REST."""

    def __init__(self, client: GitHubClient, repo: str, branch: str, default_branch: str | None = None) -> None:
        """``default_branch``, when the caller already knows it (``org run`` asks once for all the
        branches it writes), saves the ``GET /repos/{owner}/{repo}`` of the default-branch check."""
        if not _BRANCH.match(branch or ""):
            raise UsageError(f"--data-branch: {branch!r} is not valid; expected a branch name such as workflow-orchestrator-data")
        self.client, self.repo, self.branch = client, repo, branch
        self._checked = False
        if default_branch is not None:
            self._refuse_default(default_branch)
        self._trees: dict[str, str] = {}
        self._blobs: dict[str, bytes] = {}

    def describe(self) -> str:
        return f"{self.repo}@{self.branch}"

    # ----- reading ----------------------------------------------------------------------------
    def read(self) -> Snapshot:
        """``GET .../git/ref/heads/{branch}``, ``.../git/commits/{sha}``, ``.../git/trees/{sha}?recursive=1``,
        then ``.../git/blobs/{sha}`` for each file not already read (blobs are immutable)."""
        self._check_not_default()
        tip = self._tip()
        if tip is None:
            return Snapshot(files={}, token=None, location=self.describe())
        tree = self._tree_of(tip)
        listing = self._get(f"/repos/{self.repo}/git/trees/{tree}", {"recursive": "1"})
        if listing.data.get("truncated"):
            raise StoreError(f"{self.describe()} holds too many files for one tree listing; compact it or use a new branch")
        entries = {e["path"]: e["sha"] for e in listing.data.get("tree", []) if e.get("type") == "blob"}
        if entries and STORE_FILE not in entries:
            raise StoreError(f"branch {self.describe()} exists but does not hold a workflow-orchestrator store (no {STORE_FILE}); "
                             "refusing to write to it. Choose another --data-branch")
        files = {path: self._blob(sha) for path, sha in sorted(entries.items()) if path.endswith(".json")}
        return Snapshot(files=files, token=tip, location=self.describe())

    def _tip(self) -> str | None:
        """``GET /repos/{owner}/{repo}/git/ref/heads/{branch}``: the tip commit, ``None`` if absent."""
        response = self.client.request("GET", f"/repos/{self.repo}/git/ref/heads/{self.branch}", essential=True)
        if response.status == 404:
            return None
        if response.status != 200:
            raise self.client.error(response, "GET", f"/repos/{self.repo}/git/ref/heads/{self.branch}")
        obj = response.data.get("object", {})
        if obj.get("type") != "commit":
            raise StoreError(f"{self.describe()} does not point at a commit; choose another --data-branch")
        return str(obj["sha"])

    def _tree_of(self, commit: str) -> str:
        """``GET /repos/{owner}/{repo}/git/commits/{commit_sha}`` (once per commit): its tree."""
        if commit not in self._trees:
            self._trees[commit] = str(self._get(f"/repos/{self.repo}/git/commits/{commit}").data["tree"]["sha"])
        return self._trees[commit]

    def _blob(self, sha: str) -> bytes:
        """``GET /repos/{owner}/{repo}/git/blobs/{file_sha}`` (once per blob: they never change)."""
        if sha not in self._blobs:
            data = self._get(f"/repos/{self.repo}/git/blobs/{sha}").data
            if data.get("encoding") != "base64":
                raise StoreError(f"{self.describe()}: blob {sha} came back as {data.get('encoding')!r}, expected base64")
            self._blobs[sha] = base64.b64decode(data.get("content", ""))
        return self._blobs[sha]

    def _check_not_default(self) -> None:
        """``GET /repos/{owner}/{repo}`` once: the default branch holds code, never our data."""
        if not self._checked:
            self._refuse_default(self._get(f"/repos/{self.repo}").data.get("default_branch"))

    def _refuse_default(self, default: str | None) -> None:
        if default == self.branch:
            raise UsageError(f"--data-branch: {self.branch!r} is the default branch of {self.repo}; "
                             "refusing to write history there. Use a dedicated branch such as workflow-orchestrator-data")
        self._checked = True

    # ----- writing ----------------------------------------------------------------------------
    def write(self, changes: Mapping[str, bytes], token: str | None, message: str) -> str | None:
        """One commit of ``changes`` on top of ``token``; :class:`StaleWrite` if the branch moved.

        ``POST .../git/trees`` (with ``base_tree``), ``POST .../git/commits``, then
        ``PATCH .../git/refs/heads/{branch}`` with ``force: false`` (or ``POST .../git/refs`` to
        create the orphan branch when ``token`` is ``None``).
        """
        self._check_not_default()
        base_tree = self._tree_of(token) if token else None
        tree = self._post(f"/repos/{self.repo}/git/trees", self._tree_body(changes, base_tree)).data["sha"]
        commit = str(self._post(f"/repos/{self.repo}/git/commits",
                                {"message": message, "tree": tree, "parents": [token] if token else []}).data["sha"])
        self._trees[commit] = tree
        self._move_ref(commit, token)
        return commit

    def compact(self, message: str = "Compact workflow-orchestrator history") -> str:
        """Squash the branch into one orphan commit holding the current files; returns its sha.

        Reads the branch, ``POST .../git/commits`` without parents, re-reads the ref, then
        ``PATCH .../git/refs/heads/{branch}`` with ``force: true``.

        This is the one forced update we make, so the tip is re-checked right before it: if another
        writer moved the branch meanwhile we raise :class:`StaleWrite` rather than drop its commit.
        Run it where no sync can race it (e.g. in the same concurrency group as the sync job).
        """
        tip = self.read().token
        if tip is None:
            raise StoreError(f"{self.describe()} does not exist yet; nothing to compact")
        commit = str(self._post(f"/repos/{self.repo}/git/commits", {"message": message, "tree": self._tree_of(tip), "parents": []}).data["sha"])
        if self._tip() != tip:
            raise StaleWrite(f"{self.describe()} moved while compacting; run compaction again")
        self._patch_ref(commit, force=True)
        self._trees[commit] = self._trees[tip]
        return commit

    def _tree_body(self, changes: Mapping[str, bytes], base_tree: str | None) -> dict[str, Any]:
        """Text files go inline (no request per file); anything else first as a base64 blob,
        ``POST /repos/{owner}/{repo}/git/blobs``."""
        entries = []
        for path, data in sorted(changes.items()):
            entry: dict[str, Any] = {"path": path, "mode": "100644", "type": "blob"}
            try:
                entry["content"] = data.decode("utf-8")
            except UnicodeDecodeError:
                entry["sha"] = self._post(f"/repos/{self.repo}/git/blobs",
                                          {"content": base64.b64encode(data).decode(), "encoding": "base64"}).data["sha"]
            entries.append(entry)
        body: dict[str, Any] = {"tree": entries}
        if base_tree:
            body["base_tree"] = base_tree
        return body

    def _move_ref(self, commit: str, token: str | None) -> None:
        """``POST /repos/{owner}/{repo}/git/refs`` for a new branch, else a non-forced ``PATCH``."""
        if token is None:
            response = self.client.request("POST", f"/repos/{self.repo}/git/refs",
                                           body={"ref": f"refs/heads/{self.branch}", "sha": commit}, essential=True)
            if response.status == 201:
                return
            if response.status == 422 and "already exists" in _message(response):
                raise StaleWrite(f"{self.describe()} was created by another writer")
            raise self.client.error(response, "POST", f"/repos/{self.repo}/git/refs")
        response = self._patch_ref(commit, force=False)
        if response.status == 422 and "fast forward" in _message(response):
            raise StaleWrite(f"{self.describe()} moved on since it was read")
        if response.status == 200:
            return
        raise self.client.error(response, "PATCH", f"/repos/{self.repo}/git/refs/heads/{self.branch}")

    def _patch_ref(self, commit: str, force: bool) -> Response:
        """``PATCH /repos/{owner}/{repo}/git/refs/heads/{branch}``; retried only here, as GitHub's
        own retry helpers never repeat a PATCH (repeating ours is safe: the ref either already
        points at our commit, or the update is refused as not a fast forward)."""
        response = self.client.request("PATCH", f"/repos/{self.repo}/git/refs/heads/{self.branch}",
                                       body={"sha": commit, "force": force}, essential=True)
        if response.status == 422 and not force and self._tip() == commit:
            return Response(200, response.headers, response.data)
        if response.status not in (200, 422):
            raise self.client.error(response, "PATCH", f"/repos/{self.repo}/git/refs/heads/{self.branch}")
        return response

    # ----- plumbing ---------------------------------------------------------------------------
    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Response:
        """A GET of ``path`` that must answer 200 (store I/O is never cut off by the sync budget)."""
        response = self.client.request("GET", path, params, essential=True)
        if response.status != 200:
            raise self.client.error(response, "GET", path)
        return response

    def _post(self, path: str, body: Mapping[str, Any]) -> Response:
        """A POST to ``path`` that must answer 201 Created."""
        response = self.client.request("POST", path, body=dict(body), essential=True)
        if response.status != 201:
            raise self.client.error(response, "POST", path)
        return response


def _message(response: Response) -> str:
    return str(response.data.get("message", "")) if isinstance(response.data, dict) else ""
