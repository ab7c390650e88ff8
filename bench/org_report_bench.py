"""Speed and memory of ``org report`` on an organisation of 1,000 repositories.

Usage: python bench/org_report_bench.py [REPOSITORIES]   (target: ≤ 30 s wall, ≤ 1 GB peak RSS)

The per-repository reports are synthesised directly (not recommended: that is ``org run``'s cost,
not the report's) but at real sizes: one recommendation and the repository-level fields of the
real recommender's answer on a small synthetic history are the template, and each workflow gets its
own name, path, crons (daily, hourly, weekdays, every N minutes, weekly, monthly, several entries,
a ``timezone:``), durations, success rate, runners (GitHub-hosted sizes and shared self-hosted
pools), cost per run (the real cost model), liveness warnings and timeouts. 3–30 workflows per
repository; 2% of the repositories failed. The files are written first (untimed, one at a time so
the generator's memory stays small); then ``merge_reports`` (which reads them), ``render_markdown``
and ``write_csv`` are timed, and the process's peak RSS is printed.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import copy  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from orchestrator.cost.estimate import run_cost  # noqa: E402
from orchestrator.cost.rates import RateTable  # noqa: E402
from orchestrator.org.merge import merge_reports  # noqa: E402
from orchestrator.org.render import render_markdown, write_csv  # noqa: E402

TARGET_SECONDS, TARGET_MB = 30.0, 1024.0
FAILED_SHARE = 0.02
PRICED_ON = date(2025, 6, 1)
HOSTED = [(["ubuntu-latest"], 70), (["windows-latest"], 5), (["macos-14"], 3), (["ubuntu-22.04-8core"], 3),
          (["ubuntu-24.04-arm"], 2)]
#: Shared self-hosted pools: the organisation's runner groups.
POOLS = [(["self-hosted", "linux"], 8), (["self-hosted", "linux", "x64"], 4), (["self-hosted", "gpu"], 2),
         (["self-hosted", "windows"], 3)]
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Tokyo"]


def _template() -> tuple[dict[str, Any], dict[str, Any]]:
    """One real recommendation and the rest of a real recommend answer, from the recommender."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from orchestrator.schedule import recommend
    from tests.test_schedule_recommend import NOW, REPO, History, _workflow

    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        _workflow(directory, "nightly", "0 6 * * *")
        history = History(1)
        history.scheduled("nightly", "0 6 * * *", 60, delay_min=20, drop=0.2, fail=0.3)
        data = recommend(history.runs, directory, REPO, NOW, bootstrap=5)
    data = json.loads(json.dumps(data))
    rec = data.pop("recommendations")[0]
    return rec, data


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _crons(rng: random.Random) -> list[str]:
    h, m, d = rng.randrange(24), rng.randrange(60), rng.randrange(7)
    kind = _pick(rng, [("midnight", 14), ("daily0", 14), ("daily", 18), ("hourly0", 9), ("hourly", 6),
                       ("weekdays", 14), ("quarter", 5), ("half", 3), ("five", 1), ("weekly", 9), ("monthly", 4),
                       ("several", 3)])
    return {
        "midnight": ["0 0 * * *"], "daily0": [f"0 {h} * * *"], "daily": [f"{m} {h} * * *"],
        "hourly0": ["0 * * * *"], "hourly": [f"{m} * * * *"], "weekdays": [f"0 {h} * * 1-5"],
        "quarter": ["*/15 * * * *"], "half": ["*/30 * * * *"], "five": ["*/5 * * * *"],
        "weekly": [f"0 {h} * * {d}"], "monthly": [f"0 {h} 1 * *"],
        "several": [f"0 {h} * * 1-5", f"30 {(h + 6) % 24} * * 0,6"],
    }[kind]


def _moved(cron: str, rng: random.Random) -> str:
    """The cron off the round minute (and sometimes another hour), as the recommender moves them."""
    fields = cron.split(" ")
    if fields[0].isdigit():
        fields[0] = str(rng.choice([m for m in range(60) if m % 5]))
    elif fields[0].startswith("*/"):
        step = int(fields[0][2:])
        fields[0] = f"{rng.randrange(1, step)}-59/{step}"
    if fields[1].isdigit() and rng.random() < 0.4:
        fields[1] = str((int(fields[1]) + rng.randrange(1, 24)) % 24)
    return " ".join(fields)


def _workflow(rng: random.Random, template: dict[str, Any], index: int, table: RateTable, public: bool) -> dict[str, Any]:
    rec = copy.deepcopy(template)
    name = rng.choice(["nightly", "build", "release", "deps", "cleanup", "e2e", "docs", "stale", "sync", "report",
                       "backup", "scan", "bench", "canary"]) + f"-{index}"
    current = _crons(rng)
    change = rng.random() < 0.55
    after = [_moved(c, rng) for c in current] if change else current
    p50 = min(rng.lognormvariate(6.3, 0.9), 4 * 3600)  # a median near 9 minutes, a long tail
    p90 = p50 * rng.uniform(1.1, 1.8)
    success = min(0.999, max(0.05, rng.betavariate(9, 1.2)))
    pool = _pick(rng, POOLS) if rng.random() < 0.15 else None
    jobs = {f"job{j}": list(pool or _pick(rng, HOSTED)) for j in range(rng.choice([1, 1, 1, 2, 2, 3, 4, 6]))}
    cost = run_cost(p50, jobs, PRICED_ON, table, public)
    warnings = []
    if rng.random() < 0.08:
        warnings.append(f"{rng.randrange(2, 30)} of {rng.randrange(30, 60)} scheduled ticks had no run (13%)")
    if rng.random() < 0.03:
        warnings.append("Last scheduled run was 12 days ago, but the cron fires at least every 1 day: the schedule "
                        "may be disabled or failing to trigger")
    no_timeout = [j for j in jobs if rng.random() < 0.6]
    zone = rng.choice(ZONES) if rng.random() < 0.05 else "UTC"
    rec.update(
        workflow=name, path=f".github/workflows/{name}.yml", workflow_key=f".github/workflows/{name}.yml",
        current_schedule=current, recommended_schedule=after[0], recommended_schedules=after, timezone=zone,
        change=change, confidence=round(rng.uniform(0.2, 1.0), 2) if change else round(rng.uniform(0, 0.6), 2),
        predicted_success_rate=round(success, 4), expected_duration_seconds=round(p50, 1),
        duration_p90_seconds=round(p90, 1), cost_per_run=cost, runners=jobs, runs=rng.randrange(10, 2000),
    )
    rec["liveness"]["warnings"] = warnings
    rec["timeout_minutes"].update(jobs={j: (None if j in no_timeout else 30.0) for j in jobs},
                                  jobs_without_timeout=no_timeout)
    for slot in rec["slot_forecasts"].values():
        slot.update(expected_duration_seconds=round(p50, 1), duration_p90_seconds=round(p90, 1), cost_per_run=cost)
    return rec


def generate(directory: Path, repositories: int, seed: int = 7) -> int:
    """Write ``repositories`` report files under ``directory`` (in chunks, as ``org run`` jobs do)."""
    rng = random.Random(seed)
    template, rest = _template()
    table = RateTable.load()
    workflows = 0
    for index in range(repositories):
        name = f"acme/repo-{index:04d}"
        public = rng.random() < 0.3
        report: dict[str, Any] = {"repository": name, "generated_at": "2025-06-01T04:00:00Z",
                                  "visibility": "public" if public else "private", "error": None, "sync": None,
                                  "recommend": None}
        if rng.random() < FAILED_SHARE:
            kind = rng.choice(["NotFound", "RateLimited", "Forbidden", "SourceError"])
            report["error"] = {"kind": kind, "message": f"{kind}: GET /repos/{name}/actions/runs answered 4xx"}
        else:
            count = rng.randint(3, 30)
            recs = [_workflow(rng, template, i, table, public) for i in range(count)]
            report["recommend"] = dict(copy.deepcopy(rest), repository=name, recommendations=recs)
            workflows += count
        chunk = directory / f"chunk-{index // 10:03d}"
        chunk.mkdir(exist_ok=True)
        (chunk / f"{name.replace('/', '__')}.json").write_text(
            json.dumps(report, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return workflows


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main(argv: list[str]) -> None:
    repositories = int(argv[1]) if len(argv) > 1 else 1000
    with tempfile.TemporaryDirectory(prefix="org-report-bench-") as scratch:
        root = Path(scratch)
        reports = root / "reports"
        reports.mkdir()
        started = time.perf_counter()
        workflows = generate(reports, repositories)
        size = sum(p.stat().st_size for p in reports.rglob("*.json"))
        print(f"generated {repositories:,} reports ({workflows:,} workflows, {size / 1e6:.1f} MB of JSON) in "
              f"{time.perf_counter() - started:.1f} s (untimed); peak RSS so far {_rss_mb():.0f} MB")

        started = time.perf_counter()
        report = merge_reports([reports])
        merged = time.perf_counter()
        markdown = render_markdown(report)
        rendered = time.perf_counter()
        rows = write_csv(report, root / "org.csv")
        done = time.perf_counter()
        data = json.dumps(report, ensure_ascii=False)
        wall, peak = done - started, _rss_mb()

        print(f"merge_reports {merged - started:.2f} s, render_markdown {rendered - merged:.2f} s, "
              f"write_csv {done - rendered:.2f} s")
        print(f"repositories {report['repositories']['count']:,} ({report['repositories']['failed_count']} failed), "
              f"workflows {report['workflows_count']:,}, CSV rows {rows:,}, Markdown {len(markdown.encode()):,} bytes, "
              f"JSON {len(data.encode()) / 1e6:.1f} MB")
        runs = report["scheduled_runs"]
        print(f"runs per day {runs['runs_per_day_before']:,.0f}; at :00 {runs['top_of_hour_share_before']:.0%} → "
              f"{runs['top_of_hour_share_after']:.0%}; est. ${report['cost']['usd_per_30_days']:,.0f} per 30 days; "
              f"conflicts {report['conflicts']['count_before']:,} → {report['conflicts']['count']:,}")
        ok = wall <= TARGET_SECONDS and peak <= TARGET_MB
        print(f"wall {wall:.2f} s (target ≤ {TARGET_SECONDS:.0f} s), peak RSS {peak:.0f} MB "
              f"(target ≤ {TARGET_MB:.0f} MB): {'OK' if ok else 'MISSED'}")
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main(sys.argv)
