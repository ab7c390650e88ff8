"""Speed benchmark: fit + predict on a generated 100k-run, 50-workflow history; peak RSS.

Usage: python bench/learn_speed.py [RUNS] [WORKFLOWS]

Run it pinned to two cores (``taskset -c 0,1`` on Linux) to match the target machine. Timing
starts after the history exists and the libraries are imported, so it measures learning, not
generation or imports; peak RSS is the whole process's (history objects included).
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import timedelta

import pandas  # noqa: F401  (imported before timing: the target excludes library import)
import sklearn.ensemble  # noqa: F401
import sklearn.linear_model  # noqa: F401

from orchestrator.learn import RunContext, fit_predictor
from orchestrator.learn.synthetic import synthetic_runs

N_CONTEXTS = 5000


def main(argv: list[str]) -> None:
    n_runs = int(argv[1]) if len(argv) > 1 else 100_000
    n_workflows = int(argv[2]) if len(argv) > 2 else 50
    runs = synthetic_runs(n_runs, n_workflows)
    later = runs[-1].created_at
    contexts = [RunContext(runs[i % n_runs].workflow_key, later + timedelta(minutes=i)) for i in range(N_CONTEXTS)]
    started = time.perf_counter()
    predictor = fit_predictor(runs)
    fitted = time.perf_counter()
    predictions = predictor.predict_runs(contexts)
    predictor.describe(runs[0].workflow_key)
    done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert len(predictions) == N_CONTEXTS
    print(f"{n_runs} runs, {n_workflows} workflows: fit {fitted - started:.2f} s, "
          f"predict {N_CONTEXTS} contexts + describe {done - fitted:.2f} s, "
          f"total {done - started:.2f} s; peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main(sys.argv)
