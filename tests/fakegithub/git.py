"""A content-addressed Git object database and refs, as the Git Data API exposes them.

Object ids are real Git SHA-1s (``blob <size>\\0<data>`` and so on), trees nest, and ref updates
are compare-and-swap: a non-forced update must be a fast forward, exactly the check GitHub makes.
The caller (the server) holds the lock; this module is plain data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping


class GitError(Exception):
    """A request GitHub would refuse; ``status`` and ``message`` are what it answers."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Commit:
    tree: str
    parents: list[str]
    message: str
    date: str


@dataclass
class GitDB:
    """Blobs (bytes), trees (name → (mode, type, sha)), commits and refs (``refs/heads/x`` → sha)."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, tuple[str, str, str]]] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)

    # ----- objects ----------------------------------------------------------------------------
    def put_blob(self, data: bytes) -> str:
        sha = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        self.blobs[sha] = data
        return sha

    def put_tree(self, entries: Mapping[str, tuple[str, str, str]]) -> str:
        body = b"".join(
            f"{mode} {name}".encode() + b"\0" + bytes.fromhex(sha)
            for name, (mode, _kind, sha) in sorted(entries.items(), key=lambda kv: _tree_sort_key(kv[0], kv[1][1]))
        )
        sha = hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()
        self.trees[sha] = dict(entries)
        return sha

    def put_commit(self, tree: str, parents: list[str], message: str, date: str) -> str:
        if tree not in self.trees:
            raise GitError(422, "Tree SHA does not exist")
        for parent in parents:
            if parent not in self.commits:
                raise GitError(422, "Parent SHA does not exist or is not a commit object")
        stamp = "1577836800 +0000"
        text = f"tree {tree}\n" + "".join(f"parent {p}\n" for p in parents)
        text += f"author fake <fake@example.com> {stamp}\ncommitter fake <fake@example.com> {stamp}\n\n{message}"
        body = text.encode()
        sha = hashlib.sha1(b"commit %d\0" % len(body) + body).hexdigest()
        self.commits[sha] = Commit(tree, list(parents), message, date)
        return sha

    def build_tree(self, base_tree: str | None, items: Iterable[Mapping[str, Any]]) -> str:
        """``POST /git/trees``: apply path entries (nested paths allowed, ``sha: null`` deletes)."""
        if base_tree is not None and base_tree not in self.trees:
            raise GitError(422, "Invalid tree info")
        root: dict[str, Any] = self._expand(base_tree) if base_tree else {}
        for item in items:
            path = str(item.get("path", ""))
            parts = [p for p in path.split("/") if p]
            if not parts or any(p in (".", "..") for p in parts):
                raise GitError(422, f"Invalid tree path: {path!r}")
            mode, kind = str(item.get("mode", "100644")), str(item.get("type", "blob"))
            if "content" in item and item["content"] is not None:
                sha: str | None = self.put_blob(str(item["content"]).encode())
            else:
                sha = item.get("sha")
                if sha is not None and sha not in self.blobs and sha not in self.trees:
                    raise GitError(422, "Invalid tree info")
            node = root
            for part in parts[:-1]:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = {}
                    node[part] = child
                node = child
            if sha is None:
                node.pop(parts[-1], None)
            elif kind == "tree":
                node[parts[-1]] = self._expand(sha)
            else:
                node[parts[-1]] = (mode, kind, sha)
        return self._collapse(root)

    def _expand(self, tree_sha: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, (mode, kind, sha) in self.trees[tree_sha].items():
            out[name] = self._expand(sha) if kind == "tree" else (mode, kind, sha)
        return out

    def _collapse(self, node: Mapping[str, Any]) -> str:
        entries: dict[str, tuple[str, str, str]] = {}
        for name, value in node.items():
            if isinstance(value, dict):
                if value:
                    entries[name] = ("040000", "tree", self._collapse(value))
            else:
                entries[name] = value
        return self.put_tree(entries)

    def walk(self, tree_sha: str, prefix: str = "") -> list[tuple[str, str, str, str]]:
        """Every entry under ``tree_sha`` as ``(path, mode, type, sha)``, trees before their contents."""
        out: list[tuple[str, str, str, str]] = []
        for name, (mode, kind, sha) in sorted(self.trees[tree_sha].items()):
            path = f"{prefix}{name}"
            out.append((path, mode, kind, sha))
            if kind == "tree":
                out.extend(self.walk(sha, path + "/"))
        return out

    def files(self, commit_sha: str) -> dict[str, bytes]:
        """The blobs reachable from a commit's tree, by path."""
        tree = self.commits[commit_sha].tree
        return {path: self.blobs[sha] for path, _m, kind, sha in self.walk(tree) if kind == "blob"}

    def history(self, commit_sha: str) -> list[str]:
        """First-parent history, newest first."""
        out = []
        sha: str | None = commit_sha
        while sha is not None:
            out.append(sha)
            parents = self.commits[sha].parents
            sha = parents[0] if parents else None
        return out

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        seen, stack = set(), [descendant]
        while stack:
            sha = stack.pop()
            if sha == ancestor:
                return True
            if sha in seen:
                continue
            seen.add(sha)
            stack.extend(self.commits[sha].parents)
        return False

    # ----- refs -------------------------------------------------------------------------------
    def create_ref(self, ref: str, sha: str) -> None:
        if not ref.startswith("refs/") or ref.count("/") < 2:
            raise GitError(422, "Reference name is not valid")
        if sha not in self.commits:
            raise GitError(422, "Object does not exist")
        if ref in self.refs:
            raise GitError(422, "Reference already exists")
        self.refs[ref] = sha

    def update_ref(self, ref: str, sha: str, force: bool) -> None:
        if ref not in self.refs:
            raise GitError(422, "Reference does not exist")
        if sha not in self.commits:
            raise GitError(422, "Object does not exist")
        if not force and not self.is_ancestor(self.refs[ref], sha):
            raise GitError(422, "Update is not a fast forward")
        self.refs[ref] = sha


def _tree_sort_key(name: str, kind: str) -> bytes:
    """Git sorts tree entries as if directory names ended in ``/``."""
    return (name + "/" if kind == "tree" else name).encode()
