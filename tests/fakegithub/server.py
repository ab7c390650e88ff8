"""The stateful fake GitHub REST server: real HTTP on 127.0.0.1, GitHub's shapes and rules.

See the package docstring for the public API. Everything mutable sits behind one lock, so the
threaded server gives every request an atomic view, like a single GitHub replica would.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import random
import re
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

from . import shapes
from .git import GitDB, GitError
from .query import FILTERS, BadQuery, created_bounds, run_filter

DOCS = "https://docs.github.com/rest"
LISTING_CAP = 1000


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
class _Repo:
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

    def ordered(self) -> list[tuple[float, int]]:
        """``(-created, -id)`` of every run, ascending: newest first, bisectable by time."""
        if self._order is None:
            self._order = sorted((-self.created[i].timestamp(), -i) for i in self.latest)
        return self._order


@dataclass
class _Faults:
    error_rate: float = 0.0
    reset_rate: float = 0.0
    reset_after_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    statuses: tuple[int, ...] = (500, 502, 503)
    methods: frozenset[str] | None = None
    spared: int = 0


class _Reply(Exception):
    """Raised by a route to answer with an error status."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, dict(headers or {})


class FakeGitHub:
    """A fake GitHub REST API for one or more repositories (see the package docstring)."""

    def __init__(self, repo: str = "octo/demo", default_branch: str = "main", token: str | None = None, prefix: str = "",
                 record_bodies: bool = True) -> None:
        self.token = token
        #: Keep request and response bodies in the log (benchmarks of 100k runs turn it off).
        self.record_bodies = record_bodies
        self.prefix = prefix.rstrip("/")
        self._lock = threading.RLock()
        self._repos: dict[str, _Repo] = {}
        self._log: list[Exchange] = []
        self._faults = _Faults()
        self._rng = random.Random(0)
        self._limit, self._remaining, self._reset_at, self._limit_status = 5000, 5000, time.time() + 3600, 403
        self._secondary: list[tuple[int, int]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.default_repo = repo
        self.add_repo(repo, default_branch)

    # ----- lifecycle --------------------------------------------------------------------------
    def start(self) -> "FakeGitHub":
        """Listen on an ephemeral port of 127.0.0.1 (safe under parallel test workers)."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fakegithub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening; safe to call twice."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "FakeGitHub":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The API address to hand a client, e.g. ``http://127.0.0.1:54321`` (plus ``prefix``)."""
        assert self._httpd is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{self.prefix}"

    # ----- seeding ----------------------------------------------------------------------------
    def add_repo(self, full_name: str, default_branch: str = "main") -> None:
        """A repository whose default branch holds one commit with a README."""
        with self._lock:
            repo = _Repo(full_name, 1000 + len(self._repos), default_branch)
            tree = repo.git.build_tree(None, [{"path": "README.md", "content": "# demo\n"}])
            repo.git.refs[f"refs/heads/{default_branch}"] = repo.git.put_commit(tree, [], "Initial commit", _now_iso())
            self._repos[full_name] = repo

    def add_workflow(self, workflow_id: int, name: str, path: str, state: str = "active", repo: str | None = None) -> None:
        with self._lock:
            self._repo(repo).workflows[workflow_id] = {"id": workflow_id, "name": name, "path": path, "state": state}

    def seed_runs(self, runs: Iterable[Mapping[str, Any]], repo: str | None = None) -> int:
        """Add or replace run attempts from REST run objects or RunRecord-like dicts; returns how many."""
        count = 0
        with self._lock:
            target = self._repo(repo)
            for seed in runs:
                body = self._run_json(target, seed)
                key = (body["id"], body["run_attempt"])
                target.attempts[key] = body
                current = target.latest.get(body["id"])
                if current is None or current["run_attempt"] <= body["run_attempt"]:
                    target.latest[body["id"]] = body
                    target.created[body["id"]] = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
                    target._order = None
                count += 1
        return count

    def update_run(self, run_id: int, repo: str | None = None, **fields: Any) -> None:
        """Change fields of a run's latest attempt (e.g. ``status="completed", conclusion="success"``)."""
        with self._lock:
            current = self._repo(repo).latest[run_id]
            seed = {k: current[k] for k in shapes.RUN_FIELDS if k in current}
            seed.update(fields)
            self.seed_runs([seed], repo)

    def delete_run(self, run_id: int, repo: str | None = None) -> None:
        with self._lock:
            target = self._repo(repo)
            target.latest.pop(run_id, None)
            target.created.pop(run_id, None)
            target._order = None
            for key in [k for k in target.attempts if k[0] == run_id]:
                del target.attempts[key]

    # ----- rate limits and faults -------------------------------------------------------------
    def set_rate_limit(self, remaining: int | None = None, limit: int | None = None, reset_in: float | None = None, status: int = 403) -> None:
        """Set the primary limit; once ``remaining`` hits 0 requests get ``status`` until the reset."""
        with self._lock:
            if limit is not None:
                self._limit = limit
            if remaining is not None:
                self._remaining = remaining
            if reset_in is not None:
                self._reset_at = time.time() + reset_in
            self._limit_status = status

    def secondary_rate_limit(self, count: int, retry_after: int = 1, status: int = 429) -> None:
        """Answer the next ``count`` requests with a secondary-rate-limit ``status`` and ``retry-after``."""
        with self._lock:
            self._secondary = [(status, retry_after)] * count

    def inject_faults(
        self,
        error_rate: float = 0.0,
        reset_rate: float = 0.0,
        reset_after_rate: float = 0.0,
        slow_rate: float = 0.0,
        slow_seconds: float = 0.0,
        statuses: tuple[int, ...] = (500, 502, 503),
        methods: Iterable[str] | None = None,
        seed: int = 0,
        after: int = 0,
    ) -> None:
        """Fail a share of requests: an error status (``error_rate``, one of ``statuses``), a
        connection reset before (``reset_rate``) or after the change is applied
        (``reset_after_rate``), or a delay (``slow_*``). Seeded; the next ``after`` requests are spared."""
        with self._lock:
            self._faults = _Faults(error_rate, reset_rate, reset_after_rate, slow_rate, slow_seconds, statuses,
                                   frozenset(m.upper() for m in methods) if methods else None, after)
            self._rng = random.Random(seed)

    def clear_faults(self) -> None:
        self.inject_faults()

    # ----- inspection -------------------------------------------------------------------------
    @property
    def requests(self) -> list[Exchange]:
        """Every exchange so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._log)

    def request_count(self, method: str | None = None, path_contains: str = "") -> int:
        with self._lock:
            return sum(1 for e in self._log if (method is None or e.method == method) and path_contains in e.path)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def ref_sha(self, branch: str, repo: str | None = None) -> str | None:
        with self._lock:
            return self._repo(repo).git.refs.get(f"refs/heads/{branch}")

    def branch_files(self, branch: str, repo: str | None = None) -> dict[str, bytes]:
        """The files at the tip of ``branch`` (empty when the branch does not exist)."""
        with self._lock:
            sha = self.ref_sha(branch, repo)
            return self._repo(repo).git.files(sha) if sha else {}

    def branch_history(self, branch: str, repo: str | None = None) -> list[str]:
        """Commit shas of ``branch``, newest first."""
        with self._lock:
            sha = self.ref_sha(branch, repo)
            return self._repo(repo).git.history(sha) if sha else []

    def branch_bytes(self, branch: str, repo: str | None = None) -> int:
        """Bytes of every distinct blob reachable from any commit of ``branch`` (what it stores)."""
        with self._lock:
            git = self._repo(repo).git
            blobs = {sha for c in self.branch_history(branch, repo)
                     for _p, _m, kind, sha in git.walk(git.commits[c].tree) if kind == "blob"}
            return sum(len(git.blobs[s]) for s in blobs)

    def runs(self, repo: str | None = None) -> list[dict[str, Any]]:
        """The latest attempt of every run, newest first."""
        with self._lock:
            target = self._repo(repo)
            return [target.latest[-i] for _t, i in target.ordered()]

    # ----- request handling -------------------------------------------------------------------
    def _repo(self, name: str | None) -> _Repo:
        key = name or self.default_repo
        if key not in self._repos:
            raise _Reply(404, "Not Found")
        return self._repos[key]

    def _run_json(self, repo: _Repo, seed: Mapping[str, Any]) -> dict[str, Any]:
        base = self._public_base()
        if repo.minimal is None or repo.minimal["url"] != f"{base}/repos/{repo.full_name}":
            repo.minimal = shapes.repository(base, repo.full_name, repo.repo_id, repo.default_branch, False)
        return shapes.workflow_run(base, repo.minimal, seed)

    def _public_base(self) -> str:
        return self.base_url if self._httpd is not None else f"http://127.0.0.1{self.prefix}"

    def _fault(self, method: str) -> str | None:
        f = self._faults
        if f.methods is not None and method not in f.methods:
            return None
        if f.spared > 0:
            f.spared -= 1
            return None
        roll = self._rng.random()
        for name, rate in (("reset", f.reset_rate), ("error", f.error_rate), ("reset_after", f.reset_after_rate), ("slow", f.slow_rate)):
            if roll < rate:
                return name
            roll -= rate
        return None

    def handle(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> tuple[int | None, dict[str, str], bytes, str | None]:
        """Answer one request: ``(status or None for a dropped connection, headers, body, fault)``."""
        split = urlsplit(raw_path)
        path, query = split.path, dict(parse_qsl(split.query, keep_blank_values=True))
        with self._lock:
            fault = self._fault(method)
            slow = self._faults.slow_seconds
        if fault == "slow":
            time.sleep(slow)
        if fault == "reset":
            self._record(method, path, query, headers, body, None, {}, b"", fault)
            return None, {}, b"", fault
        with self._lock:
            answered, out_headers, out_body = self._answer(method, path, query, headers, body, fault)
            status = None if fault == "reset_after" else answered
            self._record(method, path, query, headers, body, status, out_headers, out_body, fault)
        return status, out_headers, out_body, fault

    def _answer(self, method: str, path: str, query: dict[str, str], headers: Mapping[str, str], body: bytes, fault: str | None) -> tuple[int, dict[str, str], bytes]:
        now = time.time()
        if now >= self._reset_at:
            self._remaining, self._reset_at = self._limit, now + 3600
        extra: dict[str, str] = {}
        counts = path != f"{self.prefix}/rate_limit"
        try:
            if fault == "error":
                raise _Reply(self._rng.choice(self._faults.statuses), "Server Error")
            if self.token is not None and headers.get("authorization") not in (f"token {self.token}", f"Bearer {self.token}"):
                raise _Reply(401, "Bad credentials")
            if self._secondary:
                status, retry_after = self._secondary.pop(0)
                raise _Reply(status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                             {"retry-after": str(retry_after)})
            if counts and self._remaining <= 0:
                raise _Reply(self._limit_status, "API rate limit exceeded for installation ID 1.")
            if not path.startswith(self.prefix + "/"):
                raise _Reply(404, "Not Found")
            data = json.loads(body) if body else None
            status, payload, extra = self._route(method, path[len(self.prefix):], query, data)
        except _Reply as reply:
            status, extra = reply.status, reply.headers
            payload = {"message": reply.message, "documentation_url": DOCS, "status": str(reply.status)}
        except (GitError, BadQuery) as exc:
            status = exc.status if isinstance(exc, GitError) else 422
            message = exc.message if isinstance(exc, GitError) else f"Invalid created: {exc}"
            payload = {"message": message, "documentation_url": DOCS, "status": str(status)}
        except (ValueError, KeyError, TypeError) as exc:
            status, payload = 400, {"message": f"Problems parsing JSON: {exc}", "documentation_url": DOCS, "status": "400"}
        out = json.dumps(payload, separators=(",", ":")).encode()
        out_headers = {"content-type": "application/json; charset=utf-8", **extra}
        if method == "GET" and status == 200:
            etag = 'W/"' + hashlib.sha256(out).hexdigest()[:40] + '"'
            out_headers["etag"] = etag
            if headers.get("if-none-match", "").replace("W/", "") == etag.replace("W/", ""):
                status, out = 304, b""
        if counts and status not in (304,) and status < 500 and not (status in (403, 429) and self._remaining <= 0):
            self._remaining = max(0, self._remaining - 1)
        out_headers.update({
            "x-ratelimit-limit": str(self._limit), "x-ratelimit-remaining": str(self._remaining),
            "x-ratelimit-used": str(self._limit - self._remaining), "x-ratelimit-reset": str(int(self._reset_at)),
            "x-ratelimit-resource": "core", "x-github-request-id": f"FAKE:{len(self._log)}",
        })
        return status, out_headers, out

    def _record(self, method: str, path: str, query: dict[str, str], headers: Mapping[str, str], body: bytes,
                status: int | None, out_headers: dict[str, str], out_body: bytes, fault: str | None) -> None:
        if not self.record_bodies:
            body, out_body = b"", b""
        with self._lock:
            self._log.append(Exchange(method, path, query, dict(headers), body, status, out_headers, out_body, fault))

    # ----- routes -----------------------------------------------------------------------------
    def _route(self, method: str, path: str, query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        if path == "/rate_limit" and method == "GET":
            core = {"limit": self._limit, "remaining": self._remaining, "reset": int(self._reset_at), "used": self._limit - self._remaining}
            return 200, {"resources": {"core": core, "search": dict(core)}, "rate": core}, {}
        for verb, pattern, handler in _ROUTES:
            match = pattern.match(path)
            if verb == method and match:
                repo = self._repo(match.group("repo"))
                return handler(self, repo, match, query, data)
        raise _Reply(404, "Not Found")

    def _get_repo(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """GET /repos/{owner}/{repo}"""
        return 200, shapes.repository(self._public_base(), repo.full_name, repo.repo_id, repo.default_branch, True), {}

    def _list_workflows(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """GET /repos/{owner}/{repo}/actions/workflows"""
        base = self._public_base()
        items = [shapes.workflow(base, repo.full_name, w["id"], w["name"], w["path"], w["state"]) for _i, w in sorted(repo.workflows.items())]
        page, links = self._paginate(items, len(items), query, match.group(0))
        return 200, {"total_count": len(items), "workflows": page}, links

    def _list_runs(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """GET /repos/{owner}/{repo}/actions/runs — newest first; filtered listings stop at 1,000."""
        ordered = repo.ordered()
        if "created" in query:
            lo, hi = created_bounds(query["created"])
            start = 0 if hi is None else bisect.bisect_left(ordered, (-hi.timestamp(), -(2**63)))
            end = len(ordered) if lo is None else bisect.bisect_right(ordered, (-lo.timestamp(), 2**63))
            ordered = ordered[start:end]
        keep = run_filter(query)
        items = [repo.latest[-i] for _t, i in ordered]
        if keep is not None:
            items = [run for run in items if keep(run)]
        filtered = any(name in query for name in FILTERS)
        reachable = items[:LISTING_CAP] if filtered else items
        page, links = self._paginate(reachable, len(reachable), query, match.group(0))
        return 200, {"total_count": len(items), "workflow_runs": page}, links

    def _get_run(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """GET /repos/{owner}/{repo}/actions/runs/{run_id}[/attempts/{n}]"""
        run_id, attempt = int(match.group("id")), match.group("attempt")
        run = repo.attempts.get((run_id, int(attempt))) if attempt else repo.latest.get(run_id)
        if run is None:
            raise _Reply(404, "Not Found")
        return 200, run, {}

    def _list_jobs(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs"""
        run = repo.attempts.get((int(match.group("id")), int(match.group("attempt"))))
        if run is None:
            raise _Reply(404, "Not Found")
        jobs = [shapes.job(self._public_base(), run, 1)]
        page, links = self._paginate(jobs, len(jobs), query, match.group(0))
        return 200, {"total_count": len(jobs), "jobs": page}, links

    def _paginate(self, items: list[Any], count: int, query: dict[str, str], path: str) -> tuple[list[Any], dict[str, str]]:
        try:
            per_page = min(100, max(1, int(query.get("per_page", 30))))
            page = max(1, int(query.get("page", 1)))
        except ValueError:
            raise _Reply(422, "Invalid pagination parameters") from None
        last = max(1, -(-count // per_page))
        links = []
        for rel, number in (("prev", page - 1), ("next", page + 1), ("last", last), ("first", 1)):
            if (rel == "prev" and page > 1) or (rel == "next" and page < last) or (rel in ("last", "first") and last > 1 and page != number):
                params = {**query, "per_page": str(per_page), "page": str(number)}
                links.append(f'<{self._public_base()}{path}?{urlencode(params)}>; rel="{rel}"')
        return items[(page - 1) * per_page: page * per_page], ({"link": ", ".join(links)} if links else {})

    # ----- git data ---------------------------------------------------------------------------
    def _ref_json(self, repo: _Repo, ref: str) -> dict[str, Any]:
        base = f"{self._public_base()}/repos/{repo.full_name}/git"
        sha = repo.git.refs[ref]
        return {"ref": ref, "node_id": shapes.node_id("REF", ref), "url": f"{base}/{ref}",
                "object": {"type": "commit", "sha": sha, "url": f"{base}/commits/{sha}"}}

    def _get_ref(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """GET /repos/{owner}/{repo}/git/ref/{ref}"""
        ref = "refs/" + match.group("ref")
        if ref not in repo.git.refs:
            raise _Reply(404, "Not Found")
        return 200, self._ref_json(repo, ref), {}

    def _create_ref(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """POST /repos/{owner}/{repo}/git/refs"""
        repo.git.create_ref(str(data["ref"]), str(data["sha"]))
        return 201, self._ref_json(repo, data["ref"]), {}

    def _update_ref(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """PATCH /repos/{owner}/{repo}/git/refs/{ref} — ``force: false`` must be a fast forward."""
        ref = "refs/" + match.group("ref")
        repo.git.update_ref(ref, str(data["sha"]), bool(data.get("force", False)))
        return 200, self._ref_json(repo, ref), {}

    def _delete_ref(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """DELETE /repos/{owner}/{repo}/git/refs/{ref}"""
        ref = "refs/" + match.group("ref")
        if repo.git.refs.pop(ref, None) is None:
            raise _Reply(422, "Reference does not exist")
        return 204, None, {}

    def _commit_json(self, repo: _Repo, sha: str) -> dict[str, Any]:
        commit = repo.git.commits[sha]
        base = f"{self._public_base()}/repos/{repo.full_name}/git"
        person = {"name": "fake", "email": "fake@example.com", "date": commit.date}
        return {
            "sha": sha, "node_id": shapes.node_id("C", sha), "url": f"{base}/commits/{sha}",
            "html_url": f"{self._public_base()}/{repo.full_name}/commit/{sha}", "author": person, "committer": dict(person),
            "tree": {"sha": commit.tree, "url": f"{base}/trees/{commit.tree}"}, "message": commit.message,
            "parents": [{"sha": p, "url": f"{base}/commits/{p}", "html_url": f"{self._public_base()}/{repo.full_name}/commit/{p}"} for p in commit.parents],
            "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None, "verified_at": None},
        }

    def _get_commit(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """GET /repos/{owner}/{repo}/git/commits/{commit_sha}"""
        if match.group("sha") not in repo.git.commits:
            raise _Reply(404, "Not Found")
        return 200, self._commit_json(repo, match.group("sha")), {}

    def _create_commit(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """POST /repos/{owner}/{repo}/git/commits"""
        sha = repo.git.put_commit(str(data["tree"]), [str(p) for p in data.get("parents", [])], str(data["message"]), _now_iso())
        return 201, self._commit_json(repo, sha), {}

    def _get_tree(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """GET /repos/{owner}/{repo}/git/trees/{tree_sha}[?recursive=1]"""
        sha = match.group("sha")
        if sha not in repo.git.trees:
            raise _Reply(404, "Not Found")
        return 200, self._tree_json(repo, sha, recursive=bool(query.get("recursive"))), {}

    def _tree_json(self, repo: _Repo, sha: str, recursive: bool) -> dict[str, Any]:
        git, base = repo.git, f"{self._public_base()}/repos/{repo.full_name}/git"
        rows = git.walk(sha) if recursive else [(n, m, k, s) for n, (m, k, s) in sorted(git.trees[sha].items())]
        entries = []
        for path, mode, kind, entry_sha in rows:
            entry: dict[str, Any] = {"path": path, "mode": mode, "type": kind, "sha": entry_sha, "url": f"{base}/{kind}s/{entry_sha}"}
            if kind == "blob":
                entry["size"] = len(git.blobs[entry_sha])
            entries.append(entry)
        return {"sha": sha, "url": f"{base}/trees/{sha}", "tree": entries, "truncated": False}

    def _create_tree(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """POST /repos/{owner}/{repo}/git/trees (``base_tree`` + path entries)"""
        sha = repo.git.build_tree(data.get("base_tree"), data["tree"])
        return 201, self._tree_json(repo, sha, recursive=False), {}

    def _get_blob(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """GET /repos/{owner}/{repo}/git/blobs/{file_sha} — base64, wrapped at 60 characters like GitHub."""
        sha = match.group("sha")
        if sha not in repo.git.blobs:
            raise _Reply(404, "Not Found")
        raw = repo.git.blobs[sha]
        encoded = base64.b64encode(raw).decode()
        wrapped = "\n".join(encoded[i:i + 60] for i in range(0, len(encoded), 60)) + "\n"
        return 200, {"sha": sha, "node_id": shapes.node_id("B", sha), "size": len(raw), "content": wrapped, "encoding": "base64",
                     "url": f"{self._public_base()}/repos/{repo.full_name}/git/blobs/{sha}"}, {}

    def _create_blob(self, repo: _Repo, match: re.Match[str], query: dict[str, str], data: Any) -> tuple[int, Any, dict[str, str]]:
        """POST /repos/{owner}/{repo}/git/blobs (``encoding`` utf-8 or base64)"""
        content = str(data["content"])
        encoding = data.get("encoding", "utf-8")
        if encoding == "base64":
            raw = base64.b64decode(content, validate=False)
        elif encoding == "utf-8":
            raw = content.encode()
        else:
            raise _Reply(422, f"encoding {encoding!r} is not supported")
        sha = repo.git.put_blob(raw)
        return 201, {"sha": sha, "url": f"{self._public_base()}/repos/{repo.full_name}/git/blobs/{sha}"}, {}


_REPO = r"^/repos/(?P<repo>[^/]+/[^/]+)"
_Route = Callable[[FakeGitHub, _Repo, "re.Match[str]", dict[str, str], Any], tuple[int, Any, dict[str, str]]]
_ROUTES: list[tuple[str, re.Pattern[str], _Route]] = [
    ("GET", re.compile(_REPO + r"$"), FakeGitHub._get_repo),
    ("GET", re.compile(_REPO + r"/actions/workflows$"), FakeGitHub._list_workflows),
    ("GET", re.compile(_REPO + r"/actions/runs$"), FakeGitHub._list_runs),
    ("GET", re.compile(_REPO + r"/actions/runs/(?P<id>\d+)(?:/attempts/(?P<attempt>\d+))?$"), FakeGitHub._get_run),
    ("GET", re.compile(_REPO + r"/actions/runs/(?P<id>\d+)/attempts/(?P<attempt>\d+)/jobs$"), FakeGitHub._list_jobs),
    ("GET", re.compile(_REPO + r"/git/ref/(?P<ref>.+)$"), FakeGitHub._get_ref),
    ("POST", re.compile(_REPO + r"/git/refs$"), FakeGitHub._create_ref),
    ("PATCH", re.compile(_REPO + r"/git/refs/(?P<ref>.+)$"), FakeGitHub._update_ref),
    ("DELETE", re.compile(_REPO + r"/git/refs/(?P<ref>.+)$"), FakeGitHub._delete_ref),
    ("GET", re.compile(_REPO + r"/git/commits/(?P<sha>[0-9a-f]{40})$"), FakeGitHub._get_commit),
    ("POST", re.compile(_REPO + r"/git/commits$"), FakeGitHub._create_commit),
    ("GET", re.compile(_REPO + r"/git/trees/(?P<sha>[0-9a-f]{40})$"), FakeGitHub._get_tree),
    ("POST", re.compile(_REPO + r"/git/trees$"), FakeGitHub._create_tree),
    ("GET", re.compile(_REPO + r"/git/blobs/(?P<sha>[0-9a-f]{40})$"), FakeGitHub._get_blob),
    ("POST", re.compile(_REPO + r"/git/blobs$"), FakeGitHub._create_blob),
]


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout, reset) is part of the game, not a server error."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Threaded HTTP/1.1 front end; all logic lives in :meth:`FakeGitHub.handle`."""

    protocol_version = "HTTP/1.1"
    #: Without it, small writes wait for delayed ACKs: ~40 ms per request on loopback.
    disable_nagle_algorithm = True
    fake: FakeGitHub

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, out_headers, out, _fault = self.fake.handle(self.command, self.path, headers, body)
        if status is None:
            # An abortive close (RST), as a flaky proxy or load balancer would do.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.send_response(status)
        for name, value in out_headers.items():
            self.send_header(name, value)
        if status in (204, 304):
            out = b""
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the exchange log is the record (see ``FakeGitHub.requests``)."""
