"""The stateful fake GitHub REST server: real HTTP on 127.0.0.1, GitHub's shapes and rules.

See the package docstring for the public API. Everything mutable sits behind one lock, so the
threaded server gives every request an atomic view, like a single GitHub replica would.
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import struct
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit

from . import shapes
from .git import Commit, GitError
from .query import BadQuery
from .routes import ROUTES, now_iso, pull_json
from .state import Exchange, Faults, Reply, RepoState

DOCS = "https://docs.github.com/rest"


class FakeGitHub:
    """A fake GitHub REST API for one or more repositories (see the package docstring)."""

    def __init__(self, repo: str = "octo/demo", default_branch: str = "main", token: str | None = None, prefix: str = "",
                 record_bodies: bool = True, login: str = "github-actions[bot]") -> None:
        self.token = token
        #: Further tokens accepted alike (a second credential, such as the action's apply-token).
        self.extra_tokens: set[str] = set()
        #: Whom the token belongs to: the author of pull requests opened through the API.
        self.login = login
        #: Keep request and response bodies in the log (benchmarks of 100k runs turn it off).
        self.record_bodies = record_bodies
        self.prefix = prefix.rstrip("/")
        self._lock = threading.RLock()
        self._repos: dict[str, RepoState] = {}
        self._log: list[Exchange] = []
        self._faults = Faults()
        self._rng = random.Random(0)
        self._limit, self._remaining, self._reset_at, self._limit_status = 5000, 5000, time.time() + 3600, 403
        self._secondary: list[tuple[int, int]] = []
        #: Organisations by lower-cased login: their login as seeded and repository full names, in
        #: creation order (``add_org_repos``); the one installation can see all of them.
        self.orgs: dict[str, tuple[str, list[str]]] = {}
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
            repo = RepoState(full_name, 1000 + len(self._repos), default_branch)
            tree = repo.git.build_tree(None, [{"path": "README.md", "content": "# demo\n"}])
            repo.git.refs[f"refs/heads/{default_branch}"] = repo.git.put_commit(tree, [], "Initial commit", now_iso())
            self._repos[full_name] = repo

    def drop_repo(self, full_name: str) -> None:
        """Delete a repository (every request about it then answers 404), as if removed meanwhile."""
        with self._lock:
            self._repos.pop(full_name, None)

    def add_org_repos(self, org: str, names: Iterable[str], archived: Iterable[str] = frozenset(),
                      disabled: Iterable[str] = frozenset(), private: Iterable[str] = frozenset()) -> list[str]:
        """Repositories ``org/NAME`` (``add_repo``) belonging to organisation ``org``, listed by
        ``GET /orgs/{org}/repos`` and ``GET /installation/repositories`` (one installation sees every
        seeded organisation repository). ``archived``/``disabled``/``private`` name repositories
        (bare or ``org/NAME``) to flag. Names already seeded keep their content and get the new
        flags. All of them share the fake's one rate limit, as one installation's requests do on
        GitHub. Returns the full names, in the order given."""
        def full(name: str) -> str:
            return name if "/" in name else f"{org}/{name}"

        flags = {"archived": {full(n) for n in archived}, "disabled": {full(n) for n in disabled},
                 "private": {full(n) for n in private}}
        with self._lock:
            login, members = self.orgs.setdefault(org.lower(), (org, []))
            made = []
            for name in names:
                full_name = full(name)
                if full_name.split("/", 1)[0].lower() != org.lower():
                    raise ValueError(f"{full_name} is not a repository of {org}")
                if full_name not in self._repos:
                    self.add_repo(full_name)
                repo = self._repos[full_name]
                repo.archived, repo.disabled, repo.private = (full_name in flags[k] for k in ("archived", "disabled", "private"))
                if full_name not in members:
                    members.append(full_name)
                made.append(full_name)
            return made

    def add_workflow(self, workflow_id: int, name: str, path: str, state: str = "active", repo: str | None = None) -> None:
        with self._lock:
            self._repo(repo).workflows[workflow_id] = {"id": workflow_id, "name": name, "path": path, "state": state}

    def set_jobs(self, run_id: int, jobs: Iterable[Mapping[str, Any]], attempt: int = 1, repo: str | None = None) -> None:
        """The jobs of one run attempt: each ``{"labels": [...], "seconds": n}`` (optional ``name``,
        ``offset`` seconds after the run started, ``conclusion``; ``seconds`` None: never started)."""
        with self._lock:
            self._repo(repo).jobs[(run_id, attempt)] = [dict(j) for j in jobs]

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

    def put_files(self, branch: str, files: Mapping[str, bytes | None], message: str = "Update files",
                  repo: str | None = None) -> str:
        """Commit ``files`` (path → content, ``None`` deletes) on top of ``branch``'s tip, as a push
        would: a repository's first content, or a person pushing to a branch. A missing branch starts
        from the default branch's tip. Returns the new commit's sha (the branch's new tip)."""
        with self._lock:
            target = self._repo(repo)
            git = target.git
            ref = f"refs/heads/{branch}"
            parent = git.refs.get(ref) or git.refs.get(f"refs/heads/{target.default_branch}")
            items = [{"path": path, "mode": "100644", "type": "blob", "sha": None if data is None else git.put_blob(bytes(data))}
                     for path, data in files.items()]
            tree = git.build_tree(git.commits[parent].tree if parent else None, items)
            git.refs[ref] = git.put_commit(tree, [parent] if parent else [], message, now_iso())
            return git.refs[ref]

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
            self._faults = Faults(error_rate, reset_rate, reset_after_rate, slow_rate, slow_seconds, statuses,
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

    def commit(self, sha: str, repo: str | None = None) -> Commit:
        """Commit ``sha``: its tree, parents, message and date."""
        with self._lock:
            return self._repo(repo).git.commits[sha]

    def commit_files(self, sha: str, repo: str | None = None) -> dict[str, bytes]:
        """The files of commit ``sha`` (to see what one commit changed against its parent)."""
        with self._lock:
            return self._repo(repo).git.files(sha)

    def branch_bytes(self, branch: str, repo: str | None = None) -> int:
        """Bytes of every distinct blob reachable from any commit of ``branch`` (what it stores)."""
        with self._lock:
            git = self._repo(repo).git
            blobs = {sha for c in self.branch_history(branch, repo)
                     for _p, _m, kind, sha in git.walk(git.commits[c].tree) if kind == "blob"}
            return sum(len(git.blobs[s]) for s in blobs)

    def pulls(self, repo: str | None = None) -> list[dict[str, Any]]:
        """Every pull request as ``GET .../pulls/{n}`` shows it (``pull-request``), by number."""
        with self._lock:
            target = self._repo(repo)
            return [pull_json(self, target, target.pulls[n]) for n in sorted(target.pulls)]

    def runs(self, repo: str | None = None) -> list[dict[str, Any]]:
        """The latest attempt of every run, newest first."""
        with self._lock:
            target = self._repo(repo)
            return [target.latest[-i] for _t, i in target.ordered()]

    # ----- request handling -------------------------------------------------------------------
    def _repo(self, name: str | None) -> RepoState:
        key = name or self.default_repo
        if key not in self._repos:
            raise Reply(404, "Not Found")
        return self._repos[key]

    def _run_json(self, repo: RepoState, seed: Mapping[str, Any]) -> dict[str, Any]:
        base = self.public_base()
        if repo.minimal is None or repo.minimal["url"] != f"{base}/repos/{repo.full_name}":
            repo.minimal = shapes.repository(base, repo.full_name, repo.repo_id, repo.default_branch, False)
        return shapes.workflow_run(base, repo.minimal, seed)

    def public_base(self) -> str:
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
                raise Reply(self._rng.choice(self._faults.statuses), "Server Error")
            if self.token is not None and headers.get("authorization") not in {
                    f"{scheme} {token}" for token in (self.token, *self.extra_tokens) for scheme in ("token", "Bearer")}:
                raise Reply(401, "Bad credentials")
            if self._secondary:
                status, retry_after = self._secondary.pop(0)
                raise Reply(status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                             {"retry-after": str(retry_after)})
            if counts and self._remaining <= 0:
                raise Reply(self._limit_status, "API rate limit exceeded for installation ID 1.")
            if not path.startswith(self.prefix + "/"):
                raise Reply(404, "Not Found")
            data = json.loads(body) if body else None
            status, payload, extra = self._route(method, path[len(self.prefix):], query, data)
        except Reply as reply:
            status, extra = reply.status, reply.headers
            payload = {"message": reply.message}
            if reply.errors is not None:
                payload["errors"] = reply.errors
            payload.update({"documentation_url": reply.documentation_url or DOCS, "status": str(reply.status)})
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
        for verb, pattern, handler in ROUTES:
            match = pattern.match(path)
            if verb == method and match:
                # Routes outside one repository (``/orgs/...``, ``/installation/...``) get no repo.
                repo = self._repo(match.group("repo")) if "repo" in pattern.groupindex else None
                return handler(self, repo, match, query, data)
        raise Reply(404, "Not Found")


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
