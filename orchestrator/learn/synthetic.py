"""A generated run history with known structure, for the speed benchmark and the tests.

Each workflow has its own typical duration (log-normal spread, heavy right tail), pull-request
runs a little shorter than pushes, a slow drift, and outcomes that fail in blocks (a Markov
chain that stays red for a while once it breaks), which is what real histories look like.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from ..model import RunRecord

__all__ = ["synthetic_runs"]

START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def synthetic_runs(n_runs: int, n_workflows: int, seed: int = 0, repositories: int = 5) -> list[RunRecord]:
    """``n_runs`` completed runs spread over ``n_workflows`` workflows and about a year."""
    rng = np.random.default_rng(seed)
    typical = np.exp(rng.uniform(np.log(20), np.log(3600), n_workflows))
    stay_red = rng.uniform(0.6, 0.95, n_workflows)
    break_rate = rng.uniform(0.01, 0.15, n_workflows)
    workflow = rng.integers(0, n_workflows, n_runs)
    created = np.sort(rng.uniform(0, 365 * 86400, n_runs))
    is_pr = rng.random(n_runs) < 0.6
    drift = 1 + 0.3 * created / (365 * 86400)
    duration = typical[workflow] * drift * np.where(is_pr, 0.8, 1.0) * rng.lognormal(0, 0.25, n_runs)
    duration *= np.where(rng.random(n_runs) < 0.03, rng.uniform(2, 6, n_runs), 1.0)
    red = np.zeros(n_workflows, dtype=bool)
    runs = []
    for i in range(n_runs):
        w = workflow[i]
        red[w] = rng.random() < (stay_red[w] if red[w] else break_rate[w])
        at = START + timedelta(seconds=float(created[i]))
        runs.append(RunRecord(
            id=i + 1, repository=f"org/repo{w % repositories}", name=f"wf{w}", created_at=at,
            updated_at=at + timedelta(seconds=float(duration[i]) * (0.6 if red[w] else 1.0)),
            run_started_at=at, path=f".github/workflows/wf{w}.yml", workflow_id=1000 + int(w),
            event="pull_request" if is_pr[i] else "push", head_branch=f"pr-{i % 97}" if is_pr[i] else "main",
            conclusion="failure" if red[w] else "success",
        ))
    return runs
