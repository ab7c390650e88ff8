"""Speed of the schedule recommender on a large history (issue 12's figure: 100k runs, 6 workflows).

Usage: python bench/recommend_speed.py [RUNS]   (run it with ``taskset -c 0,1`` to match the target)

Times ``recommend()`` alone, after the history exists and the libraries are imported, with no
predictor (the learning stage's fit is measured by ``bench/learn_speed.py``): the failure, delay,
busy-hour and duration-shape models and their 40 week-block resamples. Every workflow has a daily
schedule and a third of the runs are scheduled ones, so every term has data. Prints the wall
time, the peak RSS and the recommendations, so a change that alters them shows.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

from orchestrator.learn.synthetic import synthetic_runs  # noqa: E402
from orchestrator.schedule import recommend  # noqa: E402

WORKFLOWS = 6


def main(argv: list[str]) -> None:
    n_runs = int(argv[1]) if len(argv) > 1 else 100_000
    runs = [replace(r, event="schedule") if i % 3 == 0 else r
            for i, r in enumerate(synthetic_runs(n_runs, WORKFLOWS, seed=1, repositories=1))]
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        for w in range(WORKFLOWS):
            (directory / f"wf{w}.yml").write_text(
                f"name: wf{w}\non:\n  schedule:\n    - cron: '{(w * 7) % 60} {w * 3} * * *'\n"
                "jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n")
        now = max(r.created_at for r in runs) + timedelta(hours=1)
        started = time.perf_counter()
        result = recommend(runs, directory, now=now)
        elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n_runs} runs, {WORKFLOWS} scheduled workflows: recommend() {elapsed:.2f} s without the model fit "
          f"(issue 12's 8 s target is for the whole command, fit included), peak RSS {peak:.0f} MB")
    for rec in result["recommendations"]:
        print(f"  {rec['workflow']}: {', '.join(rec['current_schedule'])} -> {rec['recommended_schedule']} "
              f"(confidence {rec['confidence']})")


if __name__ == "__main__":
    main(sys.argv)
