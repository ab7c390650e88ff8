"""``sync``: bring a store up to date with a repository's GitHub Actions runs, cheaply and safely.

How it lists (every request names its endpoint in the function that makes it):

1. ``GET /repos/{owner}/{repo}/actions/workflows`` — the workflows and their ``state``; page one is
   asked with ``If-None-Match``, so an unchanged list costs a 304 that GitHub does not charge for.
2. ``GET /repos/{owner}/{repo}/actions/runs`` window by window, newest first, 100 per page:
   the first sync lists everything (or from ``since``) *without* a ``created`` filter, which is
   the one listing GitHub does not cap at 1,000 results; later syncs list ``created>=`` the cursor
   minus an overlap (runs in progress and re-runs change after they are first seen). A filtered
   listing that stops at the 1,000-result cap is split at the oldest run it returned and the lower
   part listed next — a split that, unlike halving, wastes no request on a probe.
3. ``GET /repos/{owner}/{repo}/actions/runs/{run_id}`` for runs still open (in progress when last
   seen) that fell out of the listed window.
4. ``GET .../actions/runs/{run_id}/attempts/{n}/jobs`` for at most ``jobs`` runs (default none):
   the jobs' runner labels and minutes, which the cost model prices exactly where it would
   otherwise estimate.

Durations come from the list responses (``run_started_at`` → ``updated_at``); nothing is fetched
per run by default. When the request budget is spent, GitHub rate-limits us, or GitHub keeps
failing, listing stops cleanly: what was fetched is saved together with the windows still to list,
``complete`` is false, and the next sync lists those windows — never a gap.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from itertools import zip_longest
from typing import Any, Mapping

from ..errors import SourceError, StoreError, UsageError, ValidationError
from ..model import OVER_MAX_DURATION, JobTiming, RunRecord, format_time, parse_time
from ..store.history import HistoryStore, MergeResult
from ..store.merge import merge_versions
from .github import PER_PAGE, GitHubClient, SyncInterrupted
from .windows import ONE_SECOND, Window, earliest, latest, normalise, subtract

DEFAULT_MAX_REQUESTS = 300
DEFAULT_OVERLAP = timedelta(days=1)
#: Open runs re-fetched one by one per sync at most (newest first); the rest wait for the next sync.
MAX_OPEN_REFRESH = 20
_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")

__all__ = ["sync", "DEFAULT_MAX_REQUESTS", "DEFAULT_OVERLAP"]


def sync(
    store: HistoryStore,
    repo: str,
    client: GitHubClient,
    max_requests: int | None = DEFAULT_MAX_REQUESTS,
    since: datetime | str | None = None,
    jobs: int = 0,
    overlap: timedelta = DEFAULT_OVERLAP,
    prime: bool = True,
) -> dict[str, Any]:
    """Fetch new and changed runs of ``repo`` into ``store`` in one commit; return what happened.

    ``since`` bounds the first backfill (default: everything GitHub still has) and, when earlier
    than what the store reaches back to, extends it. ``max_requests`` bounds the GitHub requests
    of the listing; the store write that saves them is always allowed to finish. ``jobs`` bounds
    the jobs-API requests spent measuring runs' jobs, within ``max_requests``. ``prime`` asks for
    the ETag of the next sync's window (one request, see :meth:`_Sync._prime_next_window`); a
    caller whose next sync surely sees new runs (an organisation's daily run) turns it off.
    """
    if not isinstance(repo, str) or not _REPO.match(repo) or repo.split("/")[1] in (".", ".."):
        raise ValidationError("--repo", repo, "OWNER/NAME, e.g. octocat/hello-world")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 0:
        raise ValidationError("--jobs", jobs, "a whole number ≥ 0 (jobs-API requests, one per run measured)")
    if max_requests is not None and max_requests < 2:
        raise ValidationError("--max-requests", max_requests, "an integer ≥ 2 (the workflows and one page of runs)")
    # A bare date means that day's start in UTC; a time must say its zone.
    bare_date = isinstance(since, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", since.strip()) is not None
    since_time = parse_time(since, "--since", assume_utc=bare_date) if since is not None else None
    if since_time is not None and since_time > datetime.now(timezone.utc):
        raise UsageError(f"--since: {format_time(since_time)} is in the future; expected a past date such as 2025-01-01T00:00:00Z")
    return _Sync(store, repo, client, since_time, overlap).run(max_requests, jobs, prime)


@dataclass
class _Collected:
    """What one sync has seen so far."""

    runs: dict[tuple[int, int], RunRecord] = field(default_factory=dict)
    opened: dict[str, str] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    #: Runs read but not stored, by reason (a bad field, or a duration GitHub never allows).
    skipped: Counter[str] = field(default_factory=Counter)
    #: Run attempts whose jobs this sync asked about ("id.attempt" → created), how many of them it
    #: measured, and the requests that took.
    asked: dict[str, str] = field(default_factory=dict)
    measured: int = 0
    job_requests: int = 0
    #: Runs whose jobs answer held a job that could not be read (so they stay estimated).
    jobs_unreadable: int = 0

    def add(self, raw: Any, repo: str) -> RunRecord | None:
        """Normalise one listed run; returns it (stored or not) for the listing's cursor, or
        ``None`` when it could not be read.

        A run longer than 35 days is not stored (its ``updated_at`` moved after the run ended),
        but still closes an open run of that id, so later syncs do not fetch it again and again.
        """
        try:
            run = RunRecord.from_api(raw, repo)
        except ValidationError as exc:
            self.skipped[f"bad {exc.field}"] += 1
            return None
        if run.over_max_duration:
            self.skipped[OVER_MAX_DURATION] += 1
        else:
            known = self.runs.get(run.key)
            # Listed twice (the priming page after the jobs were measured): the store's own merge
            # keeps the newer version and the jobs one of them carries.
            self.runs[run.key] = run if known is None else merge_versions((known, run))
        rid = str(run.id)
        if run.completed:
            self.closed.add(rid)
            self.opened.pop(rid, None)
        else:
            self.opened[rid] = format_time(run.created_at) or ""
            self.closed.discard(rid)
        return run


class _Sync:
    """One sync of one repository (a class only to keep the pieces of state together)."""

    def __init__(self, store: HistoryStore, repo: str, client: GitHubClient, since: datetime | None, overlap: timedelta) -> None:
        self.store, self.repo, self.client, self.since, self.overlap = store, repo, client, since, overlap
        self.seen = _Collected()
        #: Why listing stopped early: a :class:`SyncInterrupted` (resume later) or another
        #: :class:`SourceError` (raised once what was fetched is saved).
        self.stopped: SourceError | None = None
        self.warnings: list[str] = []

    # ----- the whole sync ---------------------------------------------------------------------
    def run(self, max_requests: int | None, jobs: int, prime: bool) -> dict[str, Any]:
        start = self.client.requests
        base = self.store.state().get("sync", {}).get(self.repo, {})
        store_requests = self.client.requests - start
        self.client.set_budget(max_requests)
        prev = _Progress.load(base, self.repo)
        progress = prev.copy()
        listed = False
        workflows = base.get("workflows", [])
        etags = dict(base.get("etags", {}))
        try:
            workflows, etags["workflows"] = self._workflows(base)
            progress = self._list_runs(prev, etags)
            listed = self.stopped is None
            if listed:
                self._refresh_open(prev, progress)
                if jobs:
                    self._fetch_jobs(jobs, base.get("jobs_asked", {}))
                if prime and not progress.pending and not self._nothing_to_save(base, prev, progress, workflows, etags):
                    self._prime_next_window(progress, etags)
        except SyncInterrupted as exc:
            self.stopped = exc
        finally:
            self.client.set_budget(None)
        listing_requests = self.client.requests - start - store_requests
        before_commit = self.client.requests
        result = self._save(base, prev, progress, workflows, etags)
        store_requests += self.client.requests - before_commit
        out: dict[str, Any] = {
            "repository": self.repo,
            "runs_added": result.added,
            "runs_updated": result.updated,
            "runs_seen": len(self.seen.runs),
            "runs_skipped": sum(self.seen.skipped.values()),
            "skipped_reasons": dict(self.seen.skipped.most_common()),
            "complete": listed and not progress.pending,
            "stopped": getattr(self.stopped, "reason", "error") if self.stopped else None,
            "message": str(self.stopped) if self.stopped else None,
            "requests": self.client.requests - start,
            "listing_requests": listing_requests,
            "store_requests": store_requests,
            "rate_limit_remaining": self.client.rate_limit_remaining,
            "synced_through": format_time(progress.synced_through),
            "pending": [w.to_json() for w in progress.pending],
            "open_runs": len(progress.open),
            "workflows": workflows,
            "warnings": self.warnings,
        }
        if jobs:
            out["jobs_measured"] = self.seen.measured
            out["job_requests"] = self.seen.job_requests
            out["jobs_unreadable"] = self.seen.jobs_unreadable
        if self.stopped is not None and not isinstance(self.stopped, SyncInterrupted):
            raise self.stopped
        return out

    def _nothing_to_save(self, base: Mapping[str, Any], prev: "_Progress", progress: "_Progress",
                         workflows: list[dict[str, Any]], etags: dict[str, Any]) -> bool:
        """Nothing was seen and nothing but the cursor would move.

        The cursor then stays, so the next sync asks for the same first page again and can be
        answered 304; not writing it (nor ``last_sync``) is what lets an idle run commit nothing.
        """
        unchanged_but_cursor = _Progress(prev.synced_through, progress.floor, progress.pending, progress.open).to_json() == prev.to_json()
        return (not self.seen.runs and prev.synced_through is not None and unchanged_but_cursor
                and workflows == base.get("workflows") and etags.get("workflows") == base.get("etags", {}).get("workflows"))

    def _save(self, base: Mapping[str, Any], prev: "_Progress", progress: "_Progress", workflows: list[dict[str, Any]], etags: dict[str, Any]) -> MergeResult:
        """One commit holding the runs and the new cursor, unless there is nothing to save.

        ``last_sync`` (per repository, and the latest of them at the top of the state, which
        ``health`` shows) is GitHub's clock at the last sync that saved anything.
        """
        if self._nothing_to_save(base, prev, progress, workflows, etags):
            return MergeResult()
        mine = progress.to_json()
        mine.update(workflows=workflows, etags=etags, last_sync=format_time(self.client.server_time or datetime.now(timezone.utc)))
        asked = _still_listed({**base.get("jobs_asked", {}), **self.seen.asked}, progress, self.overlap)
        if asked:
            mine["jobs_asked"] = asked

        def update(state: dict[str, Any]) -> dict[str, Any]:
            repos = state.setdefault("sync", {})
            current = repos.get(self.repo, {})
            if current == dict(base):
                repos[self.repo] = mine
            else:
                repos[self.repo] = {**mine, **_Progress.load(current, self.repo).union(progress, self.seen.closed).to_json()}
                theirs = _still_listed({**current.get("jobs_asked", {}), **mine.get("jobs_asked", {})}, progress, self.overlap)
                if theirs:  # another writer's asked runs are not asked again either
                    repos[self.repo]["jobs_asked"] = theirs
            state["last_sync"] = max(str(t) for t in (state.get("last_sync"), mine["last_sync"]) if t)
            return state

        return self.store.commit(runs=list(self.seen.runs.values()), state_update=update,
                                 message=f"sync {self.repo}: {len(self.seen.runs)} runs listed, through {mine['synced_through']}")

    # ----- endpoints --------------------------------------------------------------------------
    def _workflows(self, base: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        """``GET /repos/{owner}/{repo}/actions/workflows`` (all pages; page one conditional)."""
        etag = base.get("etags", {}).get("workflows") if base.get("workflows") is not None else None
        response = self.client.get(f"/repos/{self.repo}/actions/workflows", {"per_page": PER_PAGE}, etag=etag)
        if response.status == 304:
            return list(base.get("workflows", [])), etag
        first_etag = response.etag
        found: list[dict[str, Any]] = []
        while True:
            for item in (response.data or {}).get("workflows", []):
                found.append({"id": item.get("id"), "name": item.get("name"), "path": item.get("path"), "state": item.get("state")})
            link = response.next_link()
            if not link:
                return found, first_etag
            response = self.client.get(link)

    def _list_runs(self, prev: "_Progress", etags: dict[str, Any]) -> "_Progress":
        """``GET /repos/{owner}/{repo}/actions/runs`` over the top window, then the pending ones.

        The top window runs from the cursor minus the overlap, rounded down to the UTC day (first
        sync: from ``since``), to now, open-ended: its first page is then the same URL for every
        sync of a day and can be answered 304 when nothing changed. While older windows are
        pending, the top window gets at most half of the remaining budget, so a backfill always
        advances however busy the repository is. What any listing covered is taken out of the
        pending windows. Never raises :class:`SourceError`: it is recorded in ``self.stopped`` and
        the unlisted rest in the returned progress, so what was fetched is saved either way.
        """
        progress = prev.copy()
        first_sync = prev.synced_through is None
        if prev.synced_through is None:
            top = Window(self.since, None)
        else:
            top = Window(_day_start(prev.synced_through - self.overlap), None)
            if self.since is not None and prev.floor is not None and self.since < prev.floor:
                progress.pending = normalise([*progress.pending, Window(self.since, prev.floor)])
                progress.floor = self.since
        top_pages: int | None = None
        left = self.client.budget_left
        if progress.pending and left is not None:
            top_pages = left // 2
        queue = ([top] if top_pages != 0 else []) + progress.pending
        covered: list[Window] = []
        remaining: list[Window] = []
        while queue:
            window = queue.pop(0)
            if window is not top:
                pieces = subtract(window, covered)
                if pieces != [window]:
                    queue[:0] = pieces
                    continue
            seen = _WindowProgress()
            try:
                rest = self._list_window(window, seen, etags if window is top else None, prev, top_pages if window is top else None)
            except SourceError as exc:
                # Interrupted (budget, rate limit, outage) or refused: keep what was listed, and
                # the rest of this window as pending. The top window, if not begun, is not pending:
                # the unchanged cursor brings it back.
                self.stopped = exc
                rest = Window(window.lo, seen.oldest) if seen.oldest else (window if window is not top or seen.pages else None)
                seen.deferred = True
                seen.covered = Window(seen.oldest + ONE_SECOND, window.hi) if seen.oldest else None
            if window is top and seen.pages:
                progress.synced_through = seen.server_time
                if first_sync:
                    progress.floor = self.since
            if seen.covered is not None:
                covered.append(seen.covered)
            if rest is not None:
                if seen.deferred:
                    remaining.append(rest)
                else:
                    queue.insert(0, rest)
            if self.stopped is not None:
                remaining.extend(queue)
                break
        progress.pending = normalise(piece for w in remaining for piece in subtract(w, covered))
        progress.open = {k: v for k, v in {**prev.open, **self.seen.opened}.items() if k not in self.seen.closed}
        return progress

    def _list_window(self, window: Window, seen: "_WindowProgress", etags: dict[str, Any] | None, prev: "_Progress",
                     max_pages: int | None) -> Window | None:
        """List one window, newest first; return the part still to list when a cap or ``max_pages``
        cut it short (``seen.deferred`` tells the latter: that part waits for the next sync)."""
        path = f"/repos/{self.repo}/actions/runs"
        params: dict[str, Any] = {"per_page": PER_PAGE}
        created = window.created_filter()
        if created:
            params["created"] = created
        cached = (etags or {}).get("runs") or {}
        etag = cached.get("etag") if etags is not None and cached.get("filter") == created else None
        response = self.client.get(path, params, etag=etag)
        seen.pages, seen.server_time = 1, self.client.server_time or datetime.now(timezone.utc)
        record_etag = etags is not None
        positions = total = 0
        if response.status == 304:
            first_page_oldest = parse_time(cached.get("oldest"))
            if cached.get("pages", 1) <= 1:
                seen.covered = window
                return None
            if not self._open_beyond_first_page(window, prev, first_page_oldest):
                # Page one is unchanged; below it, what earlier syncs did not list is still pending.
                seen.covered = Window(first_page_oldest + ONE_SECOND, window.hi) if first_page_oldest else None
                return None
            response = self.client.get(path, {**params, "page": 2})
            seen.pages, record_etag, positions = 2, False, PER_PAGE
        while True:
            data = response.data or {}
            items = data.get("workflow_runs", [])
            total = int(data.get("total_count", 0) or 0)
            page_oldest = None
            for raw in items:
                run = self.seen.add(raw, self.repo)
                if run is not None and (page_oldest is None or run.created_at < page_oldest):
                    page_oldest = run.created_at
            positions += len(items)
            if page_oldest is not None and (seen.oldest is None or page_oldest < seen.oldest):
                seen.oldest = page_oldest
            if record_etag and etags is not None:
                etags["runs"] = {"filter": created, "etag": response.etag, "oldest": format_time(page_oldest), "pages": -(-total // PER_PAGE)}
                record_etag = False
            link = response.next_link()
            if not items or not link:
                break
            if max_pages is not None and seen.pages >= max_pages and seen.oldest is not None:
                seen.deferred = True
                seen.covered = Window(seen.oldest + ONE_SECOND, window.hi)
                return Window(window.lo, seen.oldest)
            response = self.client.get(link)
            seen.pages += 1
        if total <= positions or seen.oldest is None:
            seen.covered = window
            return None
        seen.covered = Window(seen.oldest + ONE_SECOND, window.hi)
        cut = seen.oldest
        if window.hi is not None and cut >= window.hi:
            self.warnings.append(f"more than 1,000 runs were created at {format_time(cut)}; GitHub lists only 1,000 of them")
            cut -= ONE_SECOND
        return Window(window.lo, cut)

    def _prime_next_window(self, progress: "_Progress", etags: dict[str, Any]) -> None:
        """``GET /repos/{owner}/{repo}/actions/runs`` page one of the window the next sync lists, for its ETag.

        The next sync lists from the cursor saved now minus the overlap. When that is another
        ``created`` filter than the one just listed (after a backfill; on a new day), the ETag
        recorded cannot answer it, so the next sync, however idle, would list that window and
        save its ETag: a commit with nothing new in it. One request now, in a sync that writes
        anyway, lets the next one be answered 304 and write nothing. It is only an optimisation:
        any failure, and a page one all newer than the cursor (so not joining what was listed),
        leave the next sync to list the window itself.
        """
        if progress.synced_through is None:
            return
        created = Window(_day_start(progress.synced_through - self.overlap), None).created_filter()
        if (etags.get("runs") or {}).get("filter") == created:
            return
        try:
            response = self.client.get(f"/repos/{self.repo}/actions/runs", {"per_page": PER_PAGE, "created": created})
        except SourceError:
            return
        data = response.data or {}
        runs = [run for raw in data.get("workflow_runs", []) if (run := self.seen.add(raw, self.repo)) is not None]
        progress.open = {k: v for k, v in {**progress.open, **self.seen.opened}.items() if k not in self.seen.closed}
        total = int(data.get("total_count", 0) or 0)
        oldest = min((run.created_at for run in runs), default=None)
        if total <= PER_PAGE or (oldest is not None and oldest <= progress.synced_through):
            etags["runs"] = {"filter": created, "etag": response.etag, "oldest": format_time(oldest), "pages": -(-total // PER_PAGE)}

    @staticmethod
    def _open_beyond_first_page(window: Window, prev: "_Progress", first_page_oldest: datetime | None) -> bool:
        """After a 304 on page one: does an open run sit on a later page, so must be looked at?"""
        if first_page_oldest is None:
            return False
        for created_text in prev.open.values():
            created = parse_time(created_text)
            if created is not None and created < first_page_oldest and (window.lo is None or created >= window.lo):
                return True
        return False

    def _refresh_open(self, prev: "_Progress", progress: "_Progress") -> None:
        """``GET /repos/{owner}/{repo}/actions/runs/{run_id}`` for open runs the listing no longer covers.

        A deleted run (404) is no longer open; any other answer leaves it open for the next sync.
        """
        lower = _day_start(prev.synced_through - self.overlap) if prev.synced_through else None
        stale = sorted(
            ((rid, created) for rid, created in progress.open.items()
             if lower is not None and rid not in self.seen.opened and (parse_time(created) or lower) < lower),
            key=lambda item: item[1], reverse=True,
        )
        for rid, _created in stale[:MAX_OPEN_REFRESH]:
            response = self.client.request("GET", f"/repos/{self.repo}/actions/runs/{rid}")
            if response.status == 404:
                self.seen.closed.add(rid)
            elif response.status == 200:
                self.seen.add(response.data, self.repo)
            progress.open = {k: v for k, v in {**progress.open, **self.seen.opened}.items() if k not in self.seen.closed}

    def _fetch_jobs(self, limit: int, asked_before: Mapping[str, str]) -> None:
        """``GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs``.

        At most ``limit`` requests, on completed runs this sync listed whose stored version has no
        jobs and that no sync within the overlap asked about (``asked_before``: measured, or given
        up on), taken in turn across workflows (newest first within each): every workflow's cost
        gets a measured run before any gets a second. A run is asked about once: one whose answer
        fails, holds a job that cannot be read, or has more pages of jobs (over 100) than the
        budget has left is given up on rather than retried every sync, and never half-measured.
        Job timings are a refinement, so no failure here fails the sync.
        """
        stored = {r.key: r for r in self.store.runs()}
        by_workflow: dict[str, list[RunRecord]] = {}
        for run in sorted(self.seen.runs.values(), key=lambda r: r.created_at, reverse=True):
            known = stored.get(run.key)
            if run.completed and _attempt_key(run) not in asked_before and (known is None or known.jobs is None):
                by_workflow.setdefault(run.workflow_key, []).append(run)
        turns = [run for group in zip_longest(*by_workflow.values()) for run in group if run is not None]
        left = limit
        for run in turns:
            if left <= 0 or self.client.budget_left == 0:
                break
            self.seen.asked[_attempt_key(run)] = format_time(run.created_at) or ""
            timings = self._jobs_of(run, left)
            left -= timings[1]
            if timings[0] is not None:
                self.seen.runs[run.key] = replace(run, jobs=timings[0])
                self.seen.measured += 1
        self.seen.job_requests = limit - left

    def _jobs_of(self, run: RunRecord, left: int) -> tuple[tuple[JobTiming, ...] | None, int]:
        """The jobs of one run attempt (``None`` when they cannot all be had), and the requests spent."""
        path = f"/repos/{self.repo}/actions/runs/{run.id}/attempts/{run.run_attempt}/jobs"
        timings: list[JobTiming] = []
        spent = 0
        response = self.client.request("GET", path, {"per_page": PER_PAGE})
        while True:
            spent += 1
            if response.status != 200:
                return None, spent
            data = response.data if isinstance(response.data, Mapping) else {}
            total = data.get("total_count")
            if spent == 1 and isinstance(total, int) and -(-total // PER_PAGE) > left:
                return None, spent  # more pages than the budget has left: not worth half a run
            try:
                timings.extend(t for job in data.get("jobs") or [] if (t := JobTiming.from_api(job)) is not None)
            except (ValidationError, AttributeError, TypeError):  # a job we cannot read: the run stays unmeasured
                self.seen.jobs_unreadable += 1
                return None, spent
            link = response.next_link()
            if not link:
                return tuple(timings), spent
            if spent >= left or self.client.budget_left == 0:
                return None, spent
            response = self.client.request("GET", link)


def _attempt_key(run: RunRecord) -> str:
    return f"{run.id}.{run.run_attempt}"


def _still_listed(asked: Mapping[str, str], progress: "_Progress", overlap: timedelta) -> dict[str, str]:
    """The runs asked about that the next sync lists again (within its overlap), so it skips them;
    older ones it never lists, and the store's copy of a measured run carries its jobs."""
    if progress.synced_through is None:
        return {}
    lower = _day_start(progress.synced_through - overlap)
    return {rid: created for rid, created in sorted(asked.items()) if (parse_time(created) or lower) >= lower}


def _day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class _WindowProgress:
    """How far the listing of one window got: pages read, the oldest run seen, GitHub's clock."""

    pages: int = 0
    oldest: datetime | None = None
    server_time: datetime | None = None
    #: The rest of the window was left for the next sync (budget share spent or interrupted).
    deferred: bool = False
    #: The part of the window now known to be in the store.
    covered: Window | None = None


@dataclass
class _Progress:
    """The persisted cursor of one repository (``state["sync"][repo]``).

    Everything created in ``[floor, synced_through]`` is in the store except the ``pending``
    windows; ``open`` maps ids of runs last seen in progress to their creation time.
    """

    synced_through: datetime | None = None
    floor: datetime | None = None
    pending: list[Window] = field(default_factory=list)
    open: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, data: Mapping[str, Any], repo: str = "") -> "_Progress":
        """Read a stored cursor; a damaged one is reported with the way out, never guessed at."""
        try:
            return cls(
                synced_through=parse_time(data.get("synced_through"), "synced_through"),
                floor=parse_time(data.get("floor"), "floor"),
                pending=normalise(Window.from_json(w) for w in data.get("pending", [])),
                open={str(k): str(v) for k, v in dict(data.get("open", {})).items()},
            )
        except (ValidationError, ValueError, TypeError, AttributeError) as exc:
            raise StoreError(f"state.json: the sync cursor of {repo or 'a repository'} is damaged ({exc}); "
                             "remove its entry under \"sync\" to list its history again (runs already stored are kept)") from None

    def copy(self) -> "_Progress":
        return _Progress(self.synced_through, self.floor, list(self.pending), dict(self.open))

    def union(self, mine: "_Progress", closed: set[str]) -> "_Progress":
        """Combine another writer's progress (``self``) with ours: what either left unlisted stays pending."""
        if self.synced_through is None:
            floor = mine.floor
        elif mine.synced_through is None:
            floor = self.floor
        else:
            floor = earliest(self.floor, mine.floor)
        return _Progress(
            synced_through=latest(self.synced_through, mine.synced_through),
            floor=floor,
            pending=normalise([*self.pending, *mine.pending]),
            open={k: v for k, v in {**self.open, **mine.open}.items() if k not in closed},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "synced_through": format_time(self.synced_through),
            "floor": format_time(self.floor),
            "pending": [w.to_json() for w in self.pending],
            "open": dict(sorted(self.open.items())),
        }
