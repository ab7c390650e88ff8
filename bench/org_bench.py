"""Organisation scale: plan → run (chunks in parallel) → report on a simulated organisation.

Usage: python bench/org_bench.py [--repos 1000] [--chunk 18] [--parallel 50] [--recommend-sample 10] [--jobs 0]

A fake GitHub (tests/fakegithub, real HTTP on 127.0.0.1, one rate limit for the installation)
serves an organisation of ``--repos`` repositories: 3–30 workflows and a few hundred runs each,
half of them private, 10% archived, 2% disabled, and 2% listed in the plan but gone by the time their job runs (404).
``org plan`` makes the matrix; each chunk runs as its own ``workflow-orchestrator org run
--sync-only`` process, ``--parallel`` at once (the recommender's own cost is measured by
bench/recommend_speed.py; a sample of ``--recommend-sample`` repositories is then recommended
end to end too); ``org report`` merges them.
Then a day passes (one new run per workflow) and the organisation is run again: the steady state.

It prints, per repository, the listing requests against the floor ⌈runs / 100⌉ (target ≤ 1.1 ×)
for the first run and for the next day's, the total requests per repository (listing + workflows
+ repository + store writes), the runs lost (stored versus seeded; target 0), every failed
repository with its reason, the wall time of the slowest chunk, and the wall time and peak RSS
of ``org report``. ``--jobs N``
measures N runs' jobs per repository too (N more requests each).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestrator.org.plan import plan  # noqa: E402
from orchestrator.org.run import data_branch, run_repositories  # noqa: E402
from orchestrator.source.github import ClientSettings, GitHubClient  # noqa: E402
from orchestrator.store import HistoryStore  # noqa: E402
from orchestrator.store.branch import BranchBackend  # noqa: E402
from tests.fakegithub import FakeGitHub, make_runs  # noqa: E402

ORG, STORE, TOKEN = "acme", "acme/orchestrator-store", "ghs_bench0123456789"
INSTALLATION_LIMIT = 12_500
NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)


def client(fake: FakeGitHub) -> GitHubClient:
    env = {"GITHUB_TOKEN": TOKEN}
    return GitHubClient(ClientSettings.resolve(fake.base_url, environ=env, throttle=False), environ=env)


def organisation(fake: FakeGitHub, count: int, rng: random.Random) -> tuple[dict[str, int], dict[str, int]]:
    """The organisation's repositories with their workflows and runs; returns the runs seeded and
    the workflows, per repository."""
    names = [f"repo-{i:04d}" for i in range(count)]
    archived = set(rng.sample(names, count // 10))
    disabled = set(rng.sample(sorted(set(names) - archived), max(1, count // 50)))
    private = set(rng.sample(names, count // 2))  # private: standard runners are billed
    fake.add_org_repos(ORG, names, archived=archived, disabled=disabled, private=private)
    fake.add_repo(STORE)
    seeded: dict[str, int] = {}
    workflow_counts: dict[str, int] = {}
    next_id = 1
    for name in names:
        full = f"{ORG}/{name}"
        workflows = rng.randint(3, 30)
        total = rng.randint(150, 450)
        files = {}
        runs = []
        for w in range(workflows):
            path = f".github/workflows/wf{w}.yml"
            fake.add_workflow(w + 1, f"wf{w}", path, repo=full)
            cron = f"{rng.randrange(60)} {rng.randrange(24)} * * *"
            files[path] = (f"name: wf{w}\non:\n  schedule:\n    - cron: '{cron}'\njobs:\n  a:\n"
                           "    runs-on: ubuntu-latest\n    steps: [{run: make}]\n").encode()
            share = total // workflows
            batch = make_runs(share, NOW - timedelta(days=60), spacing=timedelta(hours=60 * 24 / max(share, 1)),
                              first_id=next_id, workflow_id=w + 1, name=f"wf{w}", path=path)
            next_id += share
            runs.extend(batch)
        fake.put_files("main", files, repo=full)
        seeded[full] = fake.seed_runs(runs, repo=full)
        workflow_counts[full] = workflows
    return seeded, workflow_counts


def a_day_passes(fake: FakeGitHub, workflow_counts: dict[str, int], first_id: int) -> dict[str, int]:
    """One new run per workflow of every repository, created after the first run's syncs (the
    fake's clock, which the syncs' cursors follow, is the machine's)."""
    added: dict[str, int] = {}
    created = datetime.now(timezone.utc) - timedelta(minutes=10)
    for full, workflows in workflow_counts.items():
        runs = []
        for w in range(workflows):
            runs.extend(make_runs(1, created + timedelta(seconds=w), first_id=first_id, workflow_id=w + 1,
                                  name=f"wf{w}", path=f".github/workflows/wf{w}.yml"))
            first_id += 1
        added[full] = fake.seed_runs(runs, repo=full)
    return added


def run_organisation(fake: FakeGitHub, chunks: list[list[str]], out: Path, parallel: int,
                     jobs: int) -> tuple[list[dict], list[float]]:
    """Every chunk through its own ``workflow-orchestrator org run --sync-only`` process, at most
    ``parallel`` at once (as the matrix's jobs run); the results per repository and each chunk's
    wall time."""
    env = {**os.environ, "BENCH_TOKEN": TOKEN}

    def chunk(index: int, names: list[str]) -> tuple[list[dict], float]:
        command = [sys.executable, "-m", "orchestrator", "org", "run", "--repositories", ",".join(names),
                   "--store-repo", STORE, "--out", str(out / f"chunk-{index}"), "--sync-only", "--jobs", str(jobs),
                   "--api-url", fake.base_url, "--token-env", "BENCH_TOKEN", "--json"]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
        seconds = time.perf_counter() - started
        answer = json.loads(done.stdout)
        if not answer.get("success"):
            raise SystemExit(f"org run failed: {answer.get('message')}")
        return answer["data"]["repositories"], seconds

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        answers = list(pool.map(lambda item: chunk(*item), enumerate(chunks)))
    return [r for found, _ in answers for r in found], [seconds for _, seconds in answers]


def requests_per_repository(fake: FakeGitHub) -> tuple[Counter, Counter]:
    """Listing requests (``.../actions/runs``) and all requests, per source repository."""
    listing, everything = Counter(), Counter()
    for exchange in fake.requests:
        parts = exchange.path.split("/")
        if len(parts) > 3 and parts[1] == "repos":
            repo = f"{parts[2]}/{parts[3]}"
            everything[repo] += 1
            if exchange.path.endswith("/actions/runs"):
                listing[repo] += 1
    return listing, everything


def ratios(listing: Counter, floors: dict[str, int], repos: list[str]) -> str:
    values = [listing[r] / floors[r] for r in repos]
    return f"mean {sum(values) / len(values):.3f}, max {max(values):.3f}"



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=18, help="repositories per matrix job (18: 49 jobs for 880)")
    parser.add_argument("--parallel", type=int, default=50, help="org run processes at once")
    parser.add_argument("--recommend-sample", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=0, help="runs per repository whose jobs are measured")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with FakeGitHub(repo="acme/placeholder", token=TOKEN, record_bodies=False) as fake, \
            tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        seeded, workflow_counts = organisation(fake, args.repos, rng)
        print(f"simulated {args.repos} repositories, {sum(seeded.values()):,} runs in {time.perf_counter() - started:.0f} s")
        fake.clear_requests()
        # A GitHub App installation on a large organisation gets up to 12,500 requests an hour
        # (15,000 on Enterprise Cloud); all jobs share that one limit, as on GitHub.
        fake.set_rate_limit(remaining=INSTALLATION_LIMIT, limit=INSTALLATION_LIMIT, reset_in=3600)
        planned = plan(client(fake), ORG, args.chunk, installation=True)
        chunks = [job["repositories"].split(",") for job in planned["matrix"]["include"]]
        gone = rng.sample(planned["repositories"], max(1, len(planned["repositories"]) // 50))
        for name in gone:  # listed by the plan, deleted before their job runs
            fake.drop_repo(name)
        print(f"plan: {len(planned['repositories'])} repositories, {len(planned['left_out'])} left out, "
              f"{planned['jobs']} jobs, {planned['requests']} requests")
        out = Path(scratch) / "reports"
        started = time.perf_counter()
        results, chunk_seconds = run_organisation(fake, chunks, out, args.parallel, args.jobs)
        run_seconds = time.perf_counter() - started

        listing, everything = requests_per_repository(fake)
        used = len(fake.requests)
        fake.set_rate_limit(remaining=10**9, limit=10**9)  # checking the result is not part of the bill
        ok = [r["repository"] for r in results if not r["error"]]
        floors = {r: math.ceil(seeded[r] / 100) for r in ok}
        lost = 0
        reader = client(fake)
        for repo in ok:
            stored = len(HistoryStore(BranchBackend(reader, STORE, data_branch(repo))).runs())
            lost += max(0, seeded[repo] - stored)
        failed = [r for r in results if r["error"]]
        print(f"run: {len(ok)} synced, {len(failed)} failed, {len(chunks)} chunks in {run_seconds:.0f} s with "
              f"{args.parallel} processes at once; slowest chunk {max(chunk_seconds):.0f} s (median "
              f"{sorted(chunk_seconds)[len(chunk_seconds) // 2]:.0f} s); {used:,} requests of the installation's "
              f"{INSTALLATION_LIMIT:,} per hour")
        print(f"listing requests per repository / floor ⌈runs/100⌉: {ratios(listing, floors, ok)} (target ≤ 1.1); "
              f"requests per repository: mean {sum(everything[r] for r in ok) / len(ok):.1f} to it (repository + "
              f"workflows + listing{' + jobs' if args.jobs else ''}) and {everything[STORE] / len(ok):.1f} to the store "
              "repository (its branch read and written)")
        print(f"runs lost: {lost} (target 0)")
        named = {r["repository"] for r in failed}
        print(f"failed repositories named with a reason: {len(named)} of {len(gone)} gone "
              f"({'all' if named == set(gone) and all(r['error']['message'] for r in failed) else 'NOT all'})")
        for r in failed[:3]:
            print(f"  {r['repository']}: {r['error']['kind']}: {r['error']['message'][:100]}")

        sample = [r for r in ok][: args.recommend_sample]
        started = time.perf_counter()
        recommended = run_repositories(client(fake), sample, STORE, out / "recommended", jobs=args.jobs)
        print(f"recommend: {len(sample)} repositories synced again and recommended end to end in "
              f"{time.perf_counter() - started:.0f} s ({sum(1 for r in recommended['repositories'] if r['error'])} failed)")

        added = a_day_passes(fake, {r: workflow_counts[r] for r in ok}, first_id=10**7)
        fake.clear_requests()
        fake.set_rate_limit(remaining=INSTALLATION_LIMIT, limit=INSTALLATION_LIMIT, reset_in=3600)
        started = time.perf_counter()
        again, again_chunks = run_organisation(fake, [[r for r in c if r in set(ok)] for c in chunks],
                                               Path(scratch) / "next-day", args.parallel, args.jobs)
        again_seconds = time.perf_counter() - started
        next_listing, next_everything = requests_per_repository(fake)
        # The next day's floor: one page per 100 runs created since the first run's syncs (all of
        # them new; the window's overlap holds no older run here).
        next_floors = {r: max(1, math.ceil(added[r] / 100)) for r in ok}
        print(f"next day ({sum(added.values()):,} new runs, {again_seconds:.0f} s, slowest chunk {max(again_chunks):.0f} s, "
              f"{sum(1 for r in again if r['error'])} failed): listing / floor ⌈window runs/100⌉: "
              f"{ratios(next_listing, next_floors, ok)}; requests per repository: mean "
              f"{sum(next_everything[r] for r in ok) / len(ok):.1f} to it and {next_everything[STORE] / len(ok):.1f} "
              "to the store repository")

        # org report as the report job runs it: its own process, so its peak memory is its own
        # (this one holds the fake GitHub and every branch). The peak is the process's VmHWM:
        # getrusage's ru_maxrss survives exec, so a child started from this big process would
        # report this one's size.
        script = ("import re, sys\nfrom orchestrator.cli import main\ncode = main(sys.argv[1:])\n"
                  "status = open('/proc/self/status').read()\n"
                  "print(re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr)\nsys.exit(code)")
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", script, "org", "report", str(out), "--out", str(Path(scratch) / "summary.md"),
                               "--csv", str(Path(scratch) / "org.csv"), "--json"], capture_output=True, text=True, cwd=ROOT,
                              check=False)
        seconds = time.perf_counter() - started
        peak = int(done.stderr.strip().splitlines()[-1]) / 1024
        report = json.loads(done.stdout)
        print(f"report: {report['message'][:160]}")
        print(f"org report (its own process): {seconds:.1f} s (target ≤ 30 s); peak RSS {peak:.0f} MB (target ≤ 1,024 MB)")
        worst = max(listing[r] / floors[r] for r in ok)
        good = worst <= 1.1 and lost == 0 and named == set(gone) and seconds <= 30
        return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
