"""Generators of seed runs for the fake: many runs, dense days, a mix of outcomes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def make_runs(
    count: int,
    start: datetime,
    spacing: timedelta = timedelta(minutes=7),
    first_id: int = 1,
    workflow_id: int = 1,
    name: str = "CI",
    path: str = ".github/workflows/ci.yml",
    duration: timedelta = timedelta(minutes=4),
) -> list[dict[str, Any]]:
    """``count`` completed runs created every ``spacing`` from ``start``; every 10th one fails."""
    runs = []
    for i in range(count):
        created = start + spacing * i
        runs.append({
            "id": first_id + i, "run_number": first_id + i, "workflow_id": workflow_id, "name": name, "path": path,
            "event": "schedule" if i % 3 == 0 else "push", "head_branch": "main", "status": "completed",
            "conclusion": "failure" if i % 10 == 9 else "success", "created_at": created,
            "run_started_at": created + timedelta(seconds=20), "updated_at": created + timedelta(seconds=20) + duration,
            "run_attempt": 1, "actor": "octocat",
        })
    return runs
