"""The predictions log skips a prediction that only repeats the one in force, and no accuracy figure moves."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from orchestrator.api import WorkflowOrchestratorAPI
from orchestrator.learn import accuracy_report, new_prediction_entries
from orchestrator.model import format_time
from tests.factories import T0, record

RUNS = [record(i, at=T0 + timedelta(hours=6 * i), minutes=4 + i % 5, conclusion="failure" if i % 7 == 0 else "success")
        for i in range(1, 81)]
KEY = RUNS[0].workflow_key
OTHER = "octo/repo:.github/workflows/nightly.yml"


def entry(hours: float, p50: float, key: str | None = KEY, source: str = "recommend", **extra: Any) -> dict[str, Any]:
    """A log entry shaped like ``make_prediction_log_entries`` makes them, made ``hours`` after T0."""
    made = format_time(T0 + timedelta(hours=hours))
    return {"made_at": made, "source": source, "workflow_key": key, "at": made, "event": "schedule", "branch": None,
            "duration_p50_seconds": p50, "duration_p90_seconds": p50 * 1.5, "success_probability": 0.9,
            "baselines": {"last50_median": 300.0, "last50_p90": 420.0, "last_value": p50, "per_hour_mean": None,
                          "historical_rate": 0.85, "repeat_last": 1.0}, **extra}


#: Batches as successive commands would log them, and which of their entries are new.
BATCHES: list[tuple[list[dict[str, Any]], list[int]]] = [
    ([entry(10, 300.0)], [0]),
    ([entry(40, 300.0)], []),                                        # the same prediction again
    ([entry(70, 300.0, at="2025-01-01T00:00:00Z")], []),             # asked for another moment, same answer
    ([entry(100, 320.0)], [0]),                                      # the model moved
    ([entry(130, 320.0, source="predict")], [0]),                    # same values, another kind of request
    ([entry(160, 320.0, source="predict")], []),
    ([entry(190, 320.0, event="push")], [0]),
    ([entry(220, 300.0), entry(220, 320.0)], [0, 1]),                # two answers at once: a tie, kept
    ([entry(250, 300.0)], [0]),                                      # in force was a tie of two values
    ([entry(280, 300.0)], []),
    ([entry(280, 300.0), entry(280, 300.0, key=OTHER)], [1]),        # a workflow logged for the first time
    ([entry(310, 300.0), entry(310, 300.0, key=OTHER)], []),
    ([entry(340, 300.0, key=None)], [0]),                            # what accuracy cannot place is never dropped
    ([entry(350, 300.0), entry(5, 300.0)], [0, 1]),                  # one workflow made at two moments: kept
    ([entry(200, 300.0)], [0]),                                      # made before the latest: 320 in force then
]


def test_repeats_of_the_prediction_in_force_are_dropped_and_nothing_else() -> None:
    log: list[dict[str, Any]] = []
    for batch, new in BATCHES:
        fresh = new_prediction_entries(log, batch)
        assert fresh == [batch[i] for i in new], batch
        log.extend(fresh)


def test_dropping_repeats_changes_no_accuracy_figure() -> None:
    everything: list[dict[str, Any]] = []
    deduplicated: list[dict[str, Any]] = []
    for batch, _new in BATCHES:
        everything.extend(batch)
        deduplicated.extend(new_prediction_entries(deduplicated, batch))
    assert len(deduplicated) < len(everything)
    full, kept = accuracy_report(everything, RUNS), accuracy_report(deduplicated, RUNS)
    assert full["matched_runs"] == kept["matched_runs"] > 0
    assert json.dumps(kept, sort_keys=True) == json.dumps(full, sort_keys=True)
    for key in (KEY, OTHER):
        assert json.dumps(accuracy_report(deduplicated, RUNS, workflow_key=key), sort_keys=True) == \
            json.dumps(accuracy_report(everything, RUNS, workflow_key=key), sort_keys=True)


def test_dropping_repeats_changes_no_figure_for_any_log_made_in_time_order() -> None:
    rng, dropped = random.Random(7), 0
    for _trial in range(20):
        everything: list[dict[str, Any]] = []
        deduplicated: list[dict[str, Any]] = []
        for hours in sorted(rng.sample(range(480), 60)):
            batch = [entry(hours, rng.choice([300.0, 310.0]), key=rng.choice([KEY, OTHER]), source=rng.choice(["recommend", "predict"]))
                     for _ in range(rng.choice([1, 1, 2, 3]))]
            everything.extend(batch)
            deduplicated.extend(new_prediction_entries(deduplicated, batch))
        assert json.dumps(accuracy_report(deduplicated, RUNS), sort_keys=True) == \
            json.dumps(accuracy_report(everything, RUNS), sort_keys=True)
        dropped += len(everything) - len(deduplicated)
    assert dropped > 0


def test_asking_the_same_question_twice_logs_and_writes_once(tmp_path: Path) -> None:
    asked_at = RUNS[-1].created_at + timedelta(hours=1)
    api = WorkflowOrchestratorAPI(data_dir=tmp_path, clock=lambda: asked_at)
    api.store.commit(runs=RUNS)
    contexts = [{"workflow": "CI", "at": format_time(asked_at), "event": "push"},
                {"workflow": "CI", "at": format_time(asked_at + timedelta(hours=1)), "event": "push"}]
    assert api.predict_runs(contexts).success
    logged = {p: p.read_bytes() for p in (tmp_path / "predictions").iterdir()}
    assert api.predict_runs(contexts).success
    assert len(api.store.predictions()) == 2
    assert {p: p.read_bytes() for p in (tmp_path / "predictions").iterdir()} == logged
