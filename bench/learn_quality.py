"""Quality benchmark: rolling-origin backtest on the GHAminer history, model vs every baseline.

Usage: python bench/learn_quality.py [DATA_DIR]   (default ../shared/data/ghaminer)
       python bench/learn_quality.py --generated [RUNS] [WORKFLOWS] [SEED]   (default 20000 30 0:
       the generated history of ``orchestrator.learn.synthetic``, a second, independent check)
       python bench/learn_quality.py [DATA_DIR] --per-repository   (also fit and score each
       repository's history on its own, as a user whose store holds one repository sees it)

The three CSV snapshots overlap, so runs are merged by (id, attempt) exactly as the store does.
Prints one table per target: p50 MAE (seconds and relative to the median), p90 coverage,
pinball loss at 0.9, Brier; overall and per workflow with at least 50 scored runs.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

from orchestrator.learn.backtesting import backtest_predictions, summarize_backtest
from orchestrator.learn.synthetic import synthetic_runs
from orchestrator.source.importers import read_files
from orchestrator.store.merge import merge_runs

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ghaminer"
MIN_ROWS = 50
#: Repositories with fewer runs are left out of the per-repository table (too few folds to score).
MIN_REPOSITORY_RUNS = 200
#: GitHub-hosted runners stop a job after 6 h. GHAminer has no ``run_started_at``, so a re-run
#: days later stretches ``updated_at - created_at`` far beyond that; those few spans dominate a
#: mean error in seconds and no predictor can foresee them. The second table scores only runs
#: within the limit (same predictions, same models) to show the gain on typical runs.
TYPICAL_SECONDS = 6 * 3600


def _fmt(value: object, pattern: str = "{:.3f}") -> str:
    return "-" if value is None else pattern.format(value)


def _print_summary(title: str, summary: dict) -> None:
    print(f"\n## {title}")
    print(f"{'method':<16}{'n':>7}{'p50 MAE s':>12}{'MAE/median':>12}{'p90 cov':>9}{'pinball90':>11}")
    for name, m in summary["duration"].items():
        print(f"{name:<16}{m['n']:>7}{_fmt(m['p50_mae_seconds'], '{:.1f}'):>12}{_fmt(m['p50_mae_relative']):>12}"
              f"{_fmt(m['p90_coverage']):>9}{_fmt(m['pinball_90'], '{:.1f}'):>11}")
    print(f"{'method':<16}{'n':>7}{'Brier':>12}")
    for name, m in summary["success"].items():
        print(f"{name:<16}{m['n']:>7}{_fmt(m['brier'], '{:.4f}'):>12}")
    print(f"p50 MAE / best baseline: {_fmt(summary['p50_mae_vs_best_baseline'])}   "
          f"Brier / best baseline: {_fmt(summary['brier_vs_best_baseline'])}")


def _load(argv: list[str]) -> tuple[list, str]:
    if len(argv) > 1 and argv[1] == "--generated":
        n_runs, n_workflows, seed = (int(a) for a in (argv[2:] + ["20000", "30", "0"][len(argv) - 2:])[:3])
        return synthetic_runs(n_runs, n_workflows, seed=seed), f"generated ({n_workflows} workflows, seed {seed})"
    data = Path(argv[1]) if len(argv) > 1 else DEFAULT
    files = sorted(p for p in data.iterdir() if p.suffix in (".csv", ".json"))
    return list(merge_runs({}, read_files(files).runs)[0].values()), f"{len(files)} files"


def _print_per_repository(runs: list) -> None:
    """One line per repository: models fitted and scored on that repository's runs alone."""
    by_repository: dict[str, list] = defaultdict(list)
    for run in runs:
        by_repository[run.repository].append(run)
    print("\n## each repository alone (models fitted on its runs only)")
    print(f"{'repository':<40}{'runs':>6}{'scored':>7}{'model':>9}{'last50':>9}{'last':>9}"
          f"{'p50 ratio':>10}{'p90 cov':>8}{'Brier ratio':>12}")
    for repository, own in sorted(by_repository.items(), key=lambda item: -len(item[1])):
        if len(own) < MIN_REPOSITORY_RUNS:
            continue
        report = summarize_backtest(backtest_predictions(own))
        overall, duration = report["overall"], report["overall"]["duration"]
        print(f"{repository[:39]:<40}{len(own):>6}{report['scored_runs']:>7}"
              f"{_fmt(duration['model']['p50_mae_seconds'], '{:.1f}'):>9}"
              f"{_fmt(duration['last50_median']['p50_mae_seconds'], '{:.1f}'):>9}"
              f"{_fmt(duration['last_value']['p50_mae_seconds'], '{:.1f}'):>9}"
              f"{_fmt(overall['p50_mae_vs_best_baseline']):>10}{_fmt(duration['model']['p90_coverage'], '{:.2f}'):>8}"
              f"{_fmt(overall['brier_vs_best_baseline']):>12}")


def main(argv: list[str]) -> None:
    per_repository = "--per-repository" in argv
    argv = [a for a in argv if a != "--per-repository"]
    runs, source = _load(argv)
    started = time.perf_counter()
    table = backtest_predictions(runs)
    report = summarize_backtest(table)
    elapsed = time.perf_counter() - started
    print(f"{len(runs)} distinct runs from {source}; {report['folds']} folds from "
          f"{report['origins'][0]}; {report['scored_runs']} runs predicted; backtest took {elapsed:.1f} s")
    _print_summary("overall", report["overall"])
    typical = summarize_backtest(table[~(table["duration"] > TYPICAL_SECONDS)])
    _print_summary(f"overall, runs whose span is at most {TYPICAL_SECONDS // 3600} h", typical["overall"])
    for key, summary in report["workflows"].items():
        if summary["duration"]["model"]["n"] >= MIN_ROWS:
            _print_summary(key, summary)
    if per_repository:
        _print_per_repository(runs)


if __name__ == "__main__":
    main(sys.argv)
