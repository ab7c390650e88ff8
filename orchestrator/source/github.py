"""The one GitHub client: PyGithub's requester with budgets, bounded retries and rate-limit care.

Everything that talks to the GitHub REST API goes through :class:`GitHubClient.request`, which

* counts every HTTP attempt (``requests``) and refuses to exceed a request budget;
* reads ``x-ratelimit-*`` on every answer and keeps the last ``remaining``/``reset``;
* retries 5xx, connection resets and timeouts with jittered backoff, a bounded number of times;
* waits out 403/429 rate limits when ``retry-after``/``x-ratelimit-reset`` is within the policy's
  bound, and otherwise raises :class:`RateLimited` so a sync can stop cleanly and resume later;
* keeps the last ``reserve`` requests of the rate limit for saving the store (non-essential
  requests stop there), so a sync on a data branch can always write what it fetched.

PyGithub provides authentication, the Enterprise-Server-aware base URL, connection pooling and the
spacing of writes (``seconds_between_writes``; reads are not spaced: sync is serial). Its own retry is
limited to re-establishing connections that never reached the server: retries of requests GitHub
did see happen here, where the budget can count them (PyGithub's ``GithubRetry`` would retry out of
sight — and never retries PATCH, which the data branch's ref update needs).

The token comes from an environment variable only and lives in PyGithub's ``Auth`` object: it is
never a field of the settings, never in a message, log line or return value.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from datetime import datetime
from typing import Any, Mapping
from urllib.parse import urlsplit

import github
import requests
from urllib3.util.retry import Retry

from ..errors import SourceError, UsageError
from ..version import __version__
from .retry import RetryPolicy, rate_limit_wait

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_TOKEN_ENV = "GITHUB_TOKEN"
PER_PAGE = 100

__all__ = [
    "ClientSettings", "GitHubClient", "Response", "SyncInterrupted", "BudgetExhausted", "RateLimited",
    "GitHubUnavailable", "DEFAULT_API_URL", "DEFAULT_TOKEN_ENV", "PER_PAGE",
]


class SyncInterrupted(SourceError):
    """GitHub cannot be asked any more right now; whatever was fetched is still good to save."""

    reason = "interrupted"


class BudgetExhausted(SyncInterrupted):
    """The request budget (``--max-requests``) is spent."""

    reason = "budget"


class RateLimited(SyncInterrupted):
    """GitHub's rate limit is spent and resets later than we are willing to wait."""

    reason = "rate_limited"

    def __init__(self, message: str, reset_at: float | None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class GitHubUnavailable(SyncInterrupted):
    """GitHub kept failing (5xx, resets, timeouts) through every retry."""

    reason = "unavailable"


@dataclass(frozen=True)
class ClientSettings:
    """Where GitHub is and how to behave towards it; holds the *name* of the token variable only."""

    api_url: str = DEFAULT_API_URL
    token_env: str = DEFAULT_TOKEN_ENV
    timeout: float = 30.0
    #: One second between writes (POST/PATCH), as GitHub's best practices ask. Reads are already
    #: serial, and PyGithub's default 0.25 s between them would add 250 s to a 1,000-page backfill.
    throttle: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: Rate-limit requests kept back from listing, so the store can still be saved on a data
    #: branch (a write is 3 requests; a lost race re-reads and writes again).
    reserve: int = 20

    @classmethod
    def resolve(cls, api_url: str | None = None, token_env: str | None = None, environ: Mapping[str, str] | None = None, **kwargs: Any) -> "ClientSettings":
        """``--api-url``, else ``GITHUB_API_URL``, else ``https://api.github.com``; validated."""
        env = os.environ if environ is None else environ
        url = (api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise UsageError(f"--api-url: {url!r} is not valid; expected an http(s) URL such as https://api.github.com "
                             "or https://HOST/api/v3 for GitHub Enterprise Server")
        name = token_env or DEFAULT_TOKEN_ENV
        if not name.replace("_", "").isalnum():
            raise UsageError(f"--token-env: {name!r} is not valid; expected an environment variable name such as GITHUB_TOKEN")
        return cls(api_url=url, token_env=name, **kwargs)


@dataclass(frozen=True)
class Response:
    """One answer: status, lower-cased headers and parsed JSON (``None`` for 204/304)."""

    status: int
    headers: Mapping[str, str]
    data: Any

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    def next_link(self) -> str | None:
        """The ``rel="next"`` URL of a paginated answer."""
        for part in self.headers.get("link", "").split(","):
            if 'rel="next"' in part and "<" in part:
                return part[part.index("<") + 1: part.index(">")]
        return None


class GitHubClient:
    """PyGithub-backed REST client with a budget, bounded retries and rate-limit bookkeeping."""

    def __init__(self, settings: ClientSettings, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        token = env.get(settings.token_env, "").strip()
        if not token:
            raise UsageError(f"no GitHub token: set the {settings.token_env} environment variable "
                             "(in a workflow: env: GITHUB_TOKEN: ${{ github.token }}), or name another one with --token-env")
        self.settings = settings
        self._origin = urlsplit(settings.api_url)
        self._github = github.Github(
            auth=github.Auth.Token(token),
            base_url=settings.api_url,
            per_page=PER_PAGE,
            timeout=int(max(1, settings.timeout)),
            user_agent=f"workflow-orchestrator/{__version__}",
            retry=Retry(total=2, connect=2, read=0, status=0, other=0, redirect=0, backoff_factor=0.5, backoff_jitter=0.5,
                        respect_retry_after_header=False, raise_on_status=False),
            seconds_between_requests=None,
            seconds_between_writes=1.0 if settings.throttle else None,
        )
        self._requester = self._github.requester
        #: HTTP attempts made through this client, successful or not.
        self.requests = 0
        self.rate_limit_remaining: int | None = None
        self.rate_limit_reset: int | None = None
        #: GitHub's clock (the ``Date`` header of the latest answer); sync cursors use it, not ours.
        self.server_time: datetime | None = None
        self._budget: int | None = None

    # ----- budget -----------------------------------------------------------------------------
    def set_budget(self, max_requests: int | None) -> None:
        """Allow ``max_requests`` more attempts (``None``: no limit) for non-essential requests."""
        self._budget = None if max_requests is None else self.requests + max(0, max_requests)

    @property
    def budget_left(self) -> int | None:
        return None if self._budget is None else max(0, self._budget - self.requests)

    # ----- requests ---------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        etag: str | None = None,
        essential: bool = False,
    ) -> Response:
        """Send one REST request (``path`` relative to the API URL, or a same-host absolute URL).

        ``essential`` requests (saving the store) may go past the budget: stopping halfway through
        a write would lose what the budget paid for. Returns any 2xx/3xx/4xx answer that is not a
        rate limit; raises :class:`SyncInterrupted` subclasses when GitHub cannot be asked now.
        """
        url = self._local_path(path)
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if etag:
            headers["If-None-Match"] = etag
        policy = self.settings.retry
        failures = rate_waits = 0
        while True:
            if not essential and self._budget is not None and self.requests >= self._budget:
                raise BudgetExhausted(f"request budget of this sync is spent ({self.requests} requests); "
                                      "run sync again to continue, or raise --max-requests")
            self._wait_for_known_reset(essential)
            if not essential and self.rate_limit_remaining is not None and 0 < self.rate_limit_remaining <= self.settings.reserve:
                raise RateLimited(f"GitHub rate limit is nearly spent ({self.rate_limit_remaining} requests left, kept to save "
                                  "what was fetched); run sync again after it resets", self.rate_limit_reset)
            self.requests += 1
            try:
                status, raw_headers, output = self._requester.requestJson(method, url, dict(params or {}), dict(headers), body)
            except (requests.exceptions.RequestException, ConnectionError, TimeoutError) as exc:
                failures += 1
                problem = f"{type(exc).__name__}"
            else:
                response = self._response(status, raw_headers, output)
                if status in (403, 429) and self._is_rate_limit(response):
                    rate_waits += 1
                    wait = rate_limit_wait(response.headers, time.time())
                    if wait > policy.max_wait or rate_waits > policy.rate_limit_waits:
                        reset = self.rate_limit_reset if response.headers.get("x-ratelimit-remaining") == "0" else time.time() + wait
                        raise RateLimited(f"GitHub rate limit reached ({status}); it resets in about {int(wait)} s. "
                                          "Run sync again after that; nothing fetched so far is lost", reset)
                    policy.sleep(wait + policy.rng.uniform(0, 1))
                    self.rate_limit_remaining = None  # waited for the reset: ask rather than assume
                    continue
                if status < 500:
                    return response
                failures += 1
                problem = f"HTTP {status}"
            if failures >= policy.attempts:
                raise GitHubUnavailable(f"GitHub kept failing on {method} {urlsplit(url).path} ({problem}, "
                                        f"{failures} attempts); run sync again later")
            policy.sleep(min(policy.max_wait, policy.backoff(failures)))

    def get(self, path: str, params: Mapping[str, Any] | None = None, etag: str | None = None, essential: bool = False) -> Response:
        """A GET that must succeed (200, or 304 when ``etag`` is given); else :class:`SourceError`."""
        response = self.request("GET", path, params, etag=etag, essential=essential)
        if response.status == 200 or (etag and response.status == 304):
            return response
        raise self.error(response, "GET", path)

    def error(self, response: Response, method: str, path: str) -> SourceError:
        """A :class:`SourceError` explaining an unexpected answer, with a hint to fix it."""
        message = response.data.get("message", "") if isinstance(response.data, dict) else ""
        shown = urlsplit(path).path
        hint = {
            401: f"the token in ${self.settings.token_env} is invalid or expired",
            403: "the token lacks permission (a workflow needs permissions: actions: read, and contents: write for a data branch)",
            404: "check --repo OWNER/NAME and that the token can see the repository",
        }.get(response.status, "see GitHub's status page and try again")
        return SourceError(f"GitHub answered {response.status} {message!s:.200} to {method} {shown}: {hint}")

    # ----- internals --------------------------------------------------------------------------
    def _local_path(self, path: str) -> str:
        """Refuse URLs on another host or scheme: the token must never travel anywhere else."""
        if path.startswith("/"):
            return path
        parts = urlsplit(path)
        if (parts.scheme, parts.hostname, parts.port) != (self._origin.scheme, self._origin.hostname, self._origin.port):
            raise SourceError(f"GitHub pointed at another host ({parts.scheme}://{parts.hostname}); refusing to follow it")
        return path

    def _response(self, status: int, raw_headers: Mapping[str, Any], output: str) -> Response:
        headers = {str(k).lower(): str(v) for k, v in raw_headers.items()}
        if "x-ratelimit-remaining" in headers:
            try:
                self.rate_limit_remaining = int(float(headers["x-ratelimit-remaining"]))
                self.rate_limit_reset = int(float(headers.get("x-ratelimit-reset", 0))) or None
            except ValueError:
                pass
        if "date" in headers:
            try:
                self.server_time = parsedate_to_datetime(headers["date"])
            except (TypeError, ValueError):
                pass
        try:
            data = json.loads(output) if output else None
        except ValueError:
            data = None
        return Response(status, headers, data)

    @staticmethod
    def _is_rate_limit(response: Response) -> bool:
        if response.status == 429 or "retry-after" in response.headers or response.headers.get("x-ratelimit-remaining") == "0":
            return True
        message = response.data.get("message", "") if isinstance(response.data, dict) else ""
        return "rate limit" in str(message).lower()

    def _wait_for_known_reset(self, essential: bool) -> None:
        """Don't send a request the last answer already said would be refused."""
        if self.rate_limit_remaining != 0 or self.rate_limit_reset is None:
            return
        wait = self.rate_limit_reset - time.time() + 1
        if wait <= 0:
            return
        if wait > self.settings.retry.max_wait:
            if essential:
                return
            raise RateLimited(f"GitHub rate limit is spent; it resets in about {int(wait)} s. Run sync again after that", self.rate_limit_reset)
        self.settings.retry.sleep(wait)
        self.rate_limit_remaining = None
