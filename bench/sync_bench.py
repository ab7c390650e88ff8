"""Requests per sync against the ⌈N/100⌉ floor, and bytes the data branch holds per run.

Runs a fake GitHub (tests/fakegithub) on 127.0.0.1 and syncs N = 10,000 and 100,000 runs into a
data branch, printing for each N:

* a full first backfill in one sync (no filter: GitHub's uncapped listing);
* a backfill from a ``--since`` date (filtered, so the window is split every 1,000 results) in
  syncs of the default budget (``--max-requests`` 300), resumed until complete;
* a sync with nothing new;
* the bytes of every blob the branch holds, per run, before and after compaction.

Usage: ``python bench/sync_bench.py [N ...]`` (from the repository root; default 10000 100000).
"""

from __future__ import annotations

import math
import os
import sys
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from orchestrator.source.github import ClientSettings, GitHubClient  # noqa: E402
from orchestrator.source.retry import RetryPolicy  # noqa: E402
from orchestrator.source.sync import DEFAULT_MAX_REQUESTS, sync  # noqa: E402
from orchestrator.store import HistoryStore  # noqa: E402
from orchestrator.store.branch import BranchBackend  # noqa: E402
from tests.fakegithub import FakeGitHub, make_runs  # noqa: E402

REPO, TOKEN = "octo/bench", "ghs_benchmarktoken"
ENV = {"GITHUB_TOKEN": TOKEN}
MAX_RESUMES = 1000


def client(fake: FakeGitHub) -> GitHubClient:
    settings = ClientSettings.resolve(fake.base_url, environ=ENV, throttle=False, retry=RetryPolicy(sleep=lambda s: None))
    return GitHubClient(settings, environ=ENV)


def branch_store(fake: FakeGitHub, branch: str, c: GitHubClient) -> HistoryStore:
    return HistoryStore(BranchBackend(c, REPO, branch))


def bench(n: int) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    span = timedelta(days=365)
    with FakeGitHub(repo=REPO, token=TOKEN, record_bodies=False) as fake:
        fake.add_workflow(1, "CI", ".github/workflows/ci.yml")
        fake.seed_runs(make_runs(n, now - span, spacing=span / n))
        floor = math.ceil(n / 100)
        print(f"\n== N = {n:,} runs over one year; floor ⌈N/100⌉ = {floor} listing requests (+1 workflows page)")

        started = time.perf_counter()
        c = client(fake)
        full = sync(branch_store(fake, "full", c), REPO, c, max_requests=None)
        row("full backfill, one sync", full, floor, time.perf_counter() - started)

        started = time.perf_counter()
        totals = {"listing_requests": 0, "store_requests": 0, "requests": 0}
        syncs = 0
        while syncs < MAX_RESUMES:
            syncs += 1
            c = client(fake)
            result = sync(branch_store(fake, "resumed", c), REPO, c, max_requests=DEFAULT_MAX_REQUESTS, since=now - span - timedelta(days=1))
            for key in totals:
                totals[key] += result[key]
            if result["complete"]:
                break
        stored = len(branch_store(fake, "resumed", client(fake)).runs())
        print(f"  {'--since backfill, syncs of ' + str(DEFAULT_MAX_REQUESTS) + ' requests':<44} {syncs:>3} syncs, listing {totals['listing_requests']:>5} "
              f"({totals['listing_requests'] / (floor + syncs):.3f}× floor+workflow pages), store {totals['store_requests']:>4}, "
              f"runs stored {stored:,} {'OK' if stored == n else 'MISSING'}  {time.perf_counter() - started:6.1f}s")

        for label in ("first incremental sync, nothing new", "next sync, nothing new (ETags: 304s)"):
            commits = len(fake.branch_history("full"))
            c = client(fake)
            quiet = sync(branch_store(fake, "full", c), REPO, c)
            wrote = len(fake.branch_history("full")) - commits
            print(f"  {label:<44} listing {quiet['listing_requests']} requests, +{quiet['store_requests']} for the branch "
                  f"({wrote} commit{'s' if wrote != 1 else ''})")

        held = fake.branch_bytes("resumed")
        commits = len(fake.branch_history("resumed"))
        BranchBackend(client(fake), REPO, "resumed").compact()
        compacted = fake.branch_bytes("resumed")
        print(f"  branch bytes per run: {held / n:,.1f} B over {commits} commits; after compaction {compacted / n:,.1f} B "
              f"(current files only: {sum(len(b) for b in fake.branch_files('resumed').values()) / n:,.1f} B)")


def row(label: str, result: dict, floor: int, seconds: float) -> None:
    target = 1.05 * (floor + 1 + result["store_requests"])
    print(f"  {label:<44} listing {result['listing_requests']:>5} ({result['listing_requests'] / (floor + 1):.3f}× floor+1), "
          f"store {result['store_requests']:>3}, total {result['requests']:>5} ≤ {target:,.0f} target: "
          f"{'yes' if result['requests'] <= target else 'NO'}, complete {result['complete']}  {seconds:6.1f}s")


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    for size in sizes:
        bench(size)
