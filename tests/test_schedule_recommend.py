"""recommend(): decisions, reasons, confidence, cold start, conflicts, liveness, timeouts."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.errors import UsageError, ValidationError
from orchestrator.learn import Prediction, RunContext
from orchestrator.model import RunRecord
from orchestrator.schedule import Cron, FailureModel, Weights, frequency_signature, recommend, recommend_timeout

REPO = "octo/demo"
NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)


def _workflow(directory: Path, name: str, cron: str | None, extra: str = "") -> None:
    trigger = f"  schedule:\n    - cron: '{cron}'\n" if cron else "  push:\n"
    (directory / f"{name}.yml").write_text(
        f"name: {name}\non:\n{trigger}jobs:\n  main:\n    runs-on: ubuntu-latest\n{extra}    steps: [{{run: make}}]\n",
        encoding="utf-8",
    )


class History:
    """Builds runs the way GitHub reports them, with a fixed random stream."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.runs: list[RunRecord] = []

    def add(self, name: str, created: datetime, event: str, failed: bool, minutes: float = 5.0, repo: str = REPO) -> None:
        self.runs.append(
            RunRecord(
                id=len(self.runs) + 1,
                repository=repo,
                name=name,
                created_at=created,
                run_started_at=created,
                updated_at=created + timedelta(minutes=minutes),
                path=f".github/workflows/{name}.yml",
                event=event,
                head_branch="main",
                status="completed",
                conclusion="failure" if failed else "success",
            )
        )

    def scheduled(
        self,
        name: str,
        cron: str,
        days: int,
        delay_min: float,
        drop: float,
        fail: float,
        end: datetime = NOW,
        minutes: float = 5.0,
    ) -> None:
        for tick in Cron.parse(cron).ticks(end - timedelta(days=days), end):
            if self.rng.random() >= drop:
                created = tick + timedelta(minutes=float(self.rng.exponential(delay_min)))
                self.add(name, created, "schedule", bool(self.rng.random() < fail), minutes)

    def pushes(self, name: str, days: int, per_hour: int, fail_by_hour: dict[int, float], end: datetime = NOW) -> None:
        for hour in range(days * 24):
            for _ in range(per_hour):
                at = end - timedelta(days=days) + timedelta(hours=hour, minutes=float(self.rng.uniform(0, 60)))
                self.add(name, at, "push", bool(self.rng.random() < fail_by_hour.get(at.hour, 0.05)))


@pytest.fixture
def learned(tmp_path: Path) -> tuple[list[RunRecord], Path]:
    """Hours 5-7 fail half the time; :00 is late and drops ticks while :17 is prompt."""
    _workflow(tmp_path, "nightly", "0 6 * * *")
    _workflow(tmp_path, "lint", "17 * * * *", "    timeout-minutes: 10\n")
    _workflow(tmp_path, "ci", None)
    (tmp_path / "broken.yml").write_text("on: [push\n", encoding="utf-8")
    history = History(1)
    bad_hours = {5: 0.5, 6: 0.5, 7: 0.5}
    history.scheduled("nightly", "0 6 * * *", 60, delay_min=20, drop=0.2, fail=0.5)
    history.scheduled("lint", "17 * * * *", 60, delay_min=1, drop=0.0, fail=0.05)
    history.scheduled("hourly", "0 * * * *", 60, delay_min=20, drop=0.2, fail=0.05)
    history.pushes("ci", 60, 1, bad_hours)
    return history.runs, tmp_path


def test_moves_off_the_failing_hour_and_the_top_of_the_hour(learned: tuple[list[RunRecord], Path]) -> None:
    runs, directory = learned
    result = recommend(runs, directory, REPO, NOW)
    nightly = next(r for r in result["recommendations"] if r["workflow"] == "nightly")
    moved = Cron.parse(nightly["recommended_schedule"])
    assert nightly["change"] and nightly["current_schedule"] == ["0 6 * * *"]
    assert moved.hours[0] not in (4, 5, 6, 7, 8) and moved.minutes[0] % 5 != 0
    assert frequency_signature(moved) == frequency_signature(Cron.parse("0 6 * * *"))
    # Its own 50% failures are partly its own (it never ran elsewhere), partly the hours ci shows bad.
    assert 0.6 < nightly["predicted_success_rate"] < 0.95
    assert 0.5 < nightly["confidence"] <= 1.0
    reasons = "\n".join(nightly["reasoning"])
    assert nightly["reasoning"][1].startswith("05:00–08:00 UTC runs fail") and "more often than other hours" in reasons
    assert "raw success there" in reasons and "moving to 13:" in nightly["reasoning"][1]
    assert "at :00" in reasons and "Off the top of the hour" in reasons
    assert nightly["recommended_human"].endswith("(UTC)") and nightly["current_human"] == ["At 06:00 AM (UTC)"]


def test_result_is_json_and_carries_chart_data_and_file_errors(learned: tuple[list[RunRecord], Path]) -> None:
    runs, directory = learned
    result = json.loads(json.dumps(recommend(runs, directory, REPO, NOW)))
    assert len(result["hourly_success"]) == 24 and len(result["minute_delays"]) == 60 and len(result["busy_hours"]) == 24
    assert result["minute_delays"][0]["median_delay_seconds"] > result["minute_delays"][17]["median_delay_seconds"]
    assert result["errors"] == [{"path": ".github/workflows/broken.yml", "message": result["errors"][0]["message"]}]
    assert [u["workflow"] for u in result["unscheduled"]] == ["ci"]
    assert {r["workflow"] for r in result["recommendations"]} == {"nightly", "lint"}


def test_keep_when_no_slot_saves_enough(learned: tuple[list[RunRecord], Path]) -> None:
    runs, directory = learned
    result = recommend(runs, directory, REPO, NOW, Weights(min_improvement=10.0))
    for rec in result["recommendations"]:
        assert not rec["change"] and rec["recommended_schedule"] == rec["current_schedule"][0]
        assert rec["reasoning"][0].startswith("Keep ")


def test_weights_change_the_decision(learned: tuple[list[RunRecord], Path]) -> None:
    runs, directory = learned
    only_failures = Weights(drop=0, delay=0, duration=0, overlap=0, round_minute=0)
    rec = next(
        r for r in recommend(runs, directory, REPO, NOW, only_failures)["recommendations"] if r["workflow"] == "nightly"
    )
    assert Cron.parse(rec["recommended_schedule"]).hours[0] not in (5, 6, 7)


def test_cold_start_hashes_the_minute_keeps_the_hour_and_says_so(tmp_path: Path) -> None:
    _workflow(tmp_path, "nightly", "0 6 * * 1-5")
    _workflow(tmp_path, "other", "30 6 * * 1-5")
    first = recommend([], tmp_path, REPO, NOW)
    again = recommend([], tmp_path, REPO, NOW)
    assert first["cold_start"] and first["recommendations"] == again["recommendations"]
    minutes = set()
    for rec in first["recommendations"]:
        cron = Cron.parse(rec["recommended_schedule"])
        assert cron.hours == (6,) and cron.weekdays == (1, 2, 3, 4, 5) and cron.minutes[0] % 5 != 0
        assert rec["confidence"] < 0.5 and "low confidence" in rec["reasoning"][1]
        minutes.add(cron.minutes[0])
    assert len(minutes) == 2  # different paths, different minutes


def test_cold_start_leaves_an_already_odd_minute_alone(tmp_path: Path) -> None:
    _workflow(tmp_path, "odd", "23 4 * * *")
    rec = recommend([], tmp_path, REPO, NOW)["recommendations"][0]
    assert not rec["change"] and rec["recommended_schedule"] == "23 4 * * *"


def test_conflicts_report_overlap_and_shared_concurrency(tmp_path: Path) -> None:
    group = "    concurrency: deploy\n"
    _workflow(tmp_path, "a", "0 3 * * *", group)
    _workflow(tmp_path, "b", "0 3 * * *", group)
    _workflow(tmp_path, "c", "0 15 * * *", group)
    history = History(2)
    for name in "abc":
        history.scheduled(name, {"a": "0 3 * * *", "b": "0 3 * * *", "c": "0 15 * * *"}[name], 10, 1, 0, 0, minutes=60)
    result = recommend(history.runs, tmp_path, REPO, NOW)
    assert len(result["conflicts"]) == 1
    conflict = result["conflicts"][0]
    assert conflict["paths"] == [".github/workflows/a.yml", ".github/workflows/b.yml"]
    assert conflict["shared_concurrency_group"] and 40 < conflict["minutes_per_day"] <= 60


def test_liveness_warns_about_stale_schedules_drops_and_inactivity(tmp_path: Path) -> None:
    _workflow(tmp_path, "nightly", "10 0 * * *")
    history = History(3)
    history.scheduled("nightly", "10 0 * * *", 40, delay_min=3, drop=0.3, fail=0.0, end=NOW - timedelta(days=10))
    history.add("ci", NOW - timedelta(days=55), "push", False)
    rec = recommend(history.runs, tmp_path, REPO, NOW)["recommendations"][0]
    live = rec["liveness"]
    assert live["dropped_ticks"] > 0 and live["drop_rate"] == pytest.approx(
        live["dropped_ticks"] / live["ticks_observed"], abs=1e-3
    )
    assert 0 < live["delay_seconds"]["median"] < 600
    text = "\n".join(live["warnings"])
    assert re.search(r"Last scheduled run was 1[01] days ago, but the cron fires at least every 24 hours", text)
    assert "60 days" in text and "had no run" in text
    assert any(line.startswith("Warning: Last scheduled run") for line in rec["reasoning"])


def test_timeout_from_p99_of_successes_with_margin_rounded_up() -> None:
    out = recommend_timeout([600.0] * 50, {"build": None, "test": 5.0})
    assert out["recommended_minutes"] == 15  # 10 min p99 + 25% = 12.5, rounded up to 15
    assert out["jobs_without_timeout"] == ["build"]
    assert any("below the p99" in w for w in out["warnings"]) and any("360" in w for w in out["warnings"])
    assert recommend_timeout([600.0] * 3, {})["recommended_minutes"] is None


class FakePredictor:
    """Stands in for the learning stage's predictor (same method names and shapes)."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.contexts: list[RunContext] = []

    def predict_runs(self, contexts: Sequence[RunContext]) -> list[Prediction]:
        if self.fail:
            raise RuntimeError("model not fitted")
        self.contexts.extend(contexts)
        return [
            Prediction(duration_p50_seconds=1200.0, duration_p90_seconds=1800.0, success_probability=0.9) for _ in contexts
        ]

    def describe(self, workflow_key: str) -> dict[str, Any]:
        return {"resource_impact": "medium"}


def test_predictor_supplies_duration_level_and_resource_impact(learned: tuple[list[RunRecord], Path]) -> None:
    runs, directory = learned
    predictor = FakePredictor()
    rec = next(
        r
        for r in recommend(runs, directory, REPO, NOW, predictor=predictor)["recommendations"]
        if r["workflow"] == "nightly"
    )
    assert rec["resource_impact"] == "medium" and 900 < rec["expected_duration_seconds"] < 1600
    assert {c.workflow_key for c in predictor.contexts} >= {f"{REPO}:.github/workflows/nightly.yml"}
    broken = recommend(runs, directory, REPO, NOW, predictor=FakePredictor(fail=True))["recommendations"][0]
    assert "learning model failed" in broken["duration_source"] and broken["expected_duration_seconds"] < 900


def test_repository_must_be_named_when_history_holds_several(tmp_path: Path) -> None:
    history = History(4)
    history.add("ci", NOW - timedelta(days=1), "push", False)
    history.add("ci", NOW - timedelta(days=1), "push", False, repo="octo/other")
    with pytest.raises(UsageError, match="--repo OWNER"):
        recommend(history.runs, tmp_path, None, NOW)


def test_a_naive_now_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="now"):
        recommend([], tmp_path, REPO, datetime(2025, 6, 1))


def test_weights_are_validated_by_name() -> None:
    with pytest.raises(ValidationError, match="weights"):
        Weights.from_mapping({"failure": 1, "speed": 2})
    with pytest.raises(ValidationError, match="weights.delay"):
        Weights.from_mapping({"delay": -1})
    assert Weights.from_mapping({"overlap": 0.5}).overlap == 0.5


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cron=st.sampled_from(
        ["0 * * * *", "*/15 * * * *", "0 6 * * *", "30 2 * * 1-5", "0 0 1 * *", "0 0,12 * * *", "45 23 * * 0"]
    ),
    zone=st.sampled_from([None, "America/New_York", "Asia/Kolkata"]),
    seed=st.integers(0, 10_000),
)
def test_every_recommendation_is_a_valid_cron_with_the_same_frequency(
    tmp_path: Path, cron: str, zone: str | None, seed: int
) -> None:
    directory = tmp_path / f"w{seed}-{abs(hash((cron, zone)))}"
    directory.mkdir()
    zone_line = f"      timezone: {zone}\n" if zone else ""
    (directory / "job.yml").write_text(f"on:\n  schedule:\n    - cron: '{cron}'\n{zone_line}jobs: {{}}\n", encoding="utf-8")
    history = History(seed)
    history.scheduled("job", cron, 20, delay_min=10, drop=0.1, fail=0.2)
    history.pushes("ci", 20, 1, {int(h): 0.6 for h in history.rng.integers(0, 24, 4)})
    rec = recommend(history.runs, directory, REPO, NOW, bootstrap=5)["recommendations"][0]
    moved = Cron.parse(rec["recommended_schedule"], zone)
    assert frequency_signature(moved) == frequency_signature(Cron.parse(cron, zone))
    assert moved.min_gap_minutes >= 5 and len(rec["recommended_schedule"].split()) == 5
    assert 0.0 <= rec["confidence"] <= 1.0


# ----- the failure model identifies hours only within workflows ---------------------------------
def _broken_nightly(history: History, name: str, days: int, broken: tuple[int, int]) -> None:
    """A nightly at 00:00 that fails nine runs in ten between ``broken`` days ago (start, end)."""
    for tick in Cron.parse("0 0 * * *").ticks(NOW - timedelta(days=days), NOW):
        age = (NOW - tick).days
        created = tick + timedelta(minutes=float(history.rng.exponential(5)))
        fail = 0.9 if broken[1] <= age < broken[0] else 0.05
        history.add(name, created, "schedule", bool(history.rng.random() < fail))


@pytest.fixture
def confounded(tmp_path: Path) -> tuple[list[RunRecord], Path]:
    """Hour 0 looks terrible only because the nightly that runs there was broken for two months."""
    _workflow(tmp_path, "devtools", "0 0 * * *")
    _workflow(tmp_path, "lint", "17 * * * *")
    _workflow(tmp_path, "ci", None)
    history = History(3)
    _broken_nightly(history, "devtools", 120, broken=(90, 20))
    history.scheduled("lint", "17 * * * *", 120, delay_min=1, drop=0.0, fail=0.08)
    history.pushes("ci", 120, 1, {})  # 5% failures at every hour
    return history.runs, tmp_path


def test_a_workflow_broken_at_its_own_hour_does_not_paint_the_hour_red(
    confounded: tuple[list[RunRecord], Path],
) -> None:
    runs, directory = confounded
    result = recommend(runs, directory, REPO, NOW)
    hours = result["hourly_success"]
    typical = np.median([h["success_rate"] for h in hours])
    assert hours[0]["success_rate"] < typical - 0.15  # the raw figure is confounded...
    assert 0.75 < hours[0]["failure_factor"] < 1.33  # ...the fitted odds are not
    devtools = next(r for r in result["recommendations"] if r["workflow"] == "devtools")
    failure_now, failure_after = devtools["score"]["entries"][0]["terms"]["failure"]
    assert abs(failure_now - failure_after) < 0.05  # no hour effect claimed beyond shrunk noise
    if devtools["change"]:  # then the saving is said term by term, failure risk not the main one
        assert not devtools["reasoning"][2].startswith("Saving per run by term: failure risk")
    assert devtools["reasoning"][1].startswith("00:00 UTC is an ordinary hour for failures")
    assert "compared within each workflow's week" in devtools["reasoning"][1]


def test_a_single_hour_workflow_contributes_nothing_to_the_hour_effects(
    confounded: tuple[list[RunRecord], Path],
) -> None:
    runs, _ = confounded
    healed = [replace(r, conclusion="success") if r.name == "devtools" else r for r in runs]
    broken_fit = FailureModel().fit(runs, NOW)
    healed_fit = FailureModel().fit(healed, NOW)
    assert np.abs(np.log(broken_fit.hour_factor_) - np.log(healed_fit.hour_factor_)).max() < 0.05
    others_at_midnight = sum(1 for r in runs if r.name != "devtools" and r.created_at.hour == 0)
    assert broken_fit.hour_comparable_runs_[0] == healed_fit.hour_comparable_runs_[0] == others_at_midnight


def test_a_real_hour_effect_within_workflows_is_found(tmp_path: Path) -> None:
    _workflow(tmp_path, "nightly", "0 14 * * *")
    _workflow(tmp_path, "ci", None)
    history = History(4)
    history.scheduled("nightly", "0 14 * * *", 90, delay_min=2, drop=0.0, fail=0.3)
    history.pushes("ci", 90, 1, {13: 0.35, 14: 0.35, 15: 0.35})
    result = recommend(history.runs, tmp_path, REPO, NOW)
    assert result["hourly_success"][14]["failure_factor"] > 2.0
    nightly = result["recommendations"][0]
    assert nightly["change"] and Cron.parse(nightly["recommended_schedule"]).hours[0] not in (12, 13, 14, 15, 16)
    failure_now, failure_after = nightly["score"]["entries"][0]["terms"]["failure"]
    assert failure_now - failure_after > 0.1 and nightly["confidence"] > 0.6
    assert "UTC runs fail" in nightly["reasoning"][1] and "in 14 of 14 weeks" in nightly["reasoning"][1]
    assert nightly["reasoning"][2].startswith("Saving per run by term: failure risk +")


def test_confidence_in_an_hour_effect_grows_with_the_evidence(tmp_path: Path) -> None:
    _workflow(tmp_path, "nightly", "7 14 * * *")
    _workflow(tmp_path, "ci", None)
    found = {}
    for days in (14, 90):
        history = History(4)
        history.scheduled("nightly", "7 14 * * *", days, delay_min=2, drop=0.0, fail=0.3)
        history.pushes("ci", days, 1, {13: 0.25, 14: 0.25, 15: 0.25})
        rec = recommend(history.runs, tmp_path, REPO, NOW)["recommendations"][0]
        failure_now, failure_after = rec["score"]["entries"][0]["terms"]["failure"]
        found[days] = (rec["change"] and rec["confidence"] >= 0.6, rec["confidence"], failure_now - failure_after)
    assert not found[14][0]  # two weeks of pushes cannot tell the hours apart: no confident move
    assert found[90][0] and found[90][1] > 0.9
    assert found[14][2] < 0.05 < 0.15 < found[90][2]


def test_when_only_the_minute_matters_the_hour_is_kept(tmp_path: Path) -> None:
    """No hour is better than another; :00 is late and drops ticks, other minutes are prompt.
    The move leaves the round minute and keeps the hour, whatever noise makes some hour cheapest."""
    _workflow(tmp_path, "nightly", "0 3 * * *")
    _workflow(tmp_path, "report", "23 11 * * *")
    _workflow(tmp_path, "sweep", "41 19 * * *")
    _workflow(tmp_path, "ci", None)
    history = History(7)
    history.scheduled("nightly", "0 3 * * *", 90, delay_min=25, drop=0.15, fail=0.2)
    history.scheduled("report", "23 11 * * *", 90, delay_min=1, drop=0.0, fail=0.2)
    history.scheduled("sweep", "41 19 * * *", 90, delay_min=1, drop=0.0, fail=0.2)
    history.pushes("ci", 90, 1, {})
    result = recommend(history.runs, tmp_path, REPO, NOW)
    nightly = next(r for r in result["recommendations"] if r["workflow"] == "nightly")
    moved = Cron.parse(nightly["recommended_schedule"])
    assert nightly["change"] and moved.hours == (3,) and moved.minutes[0] % 5 != 0
    assert nightly["confidence"] > 0.6
    entry = nightly["score"]["entries"][0]
    assert entry["current"] - entry["recommended"] >= Weights().min_improvement


PRIOR_CAVEAT = "rests on GitHub's documented top-of-hour load alone"


def test_a_move_resting_on_the_round_minute_prior_says_its_confidence_is_not_measured(tmp_path: Path) -> None:
    """Ticks only ever at :00, and prompt there: nothing measured favours another minute, so the
    move off :00 is GitHub's documented advice, and the reasons must not pass it off as evidence."""
    _workflow(tmp_path, "nightly", "0 3 * * *")
    _workflow(tmp_path, "ci", None)
    history = History(11)
    history.scheduled("nightly", "0 3 * * *", 90, delay_min=1, drop=0.0, fail=0.1)
    history.pushes("ci", 90, 1, {})
    nightly = next(r for r in recommend(history.runs, tmp_path, REPO, NOW)["recommendations"] if r["workflow"] == "nightly")
    assert nightly["change"] and Cron.parse(nightly["recommended_schedule"]).hours == (3,)
    reasons = "\n".join(nightly["reasoning"])
    assert "mostly the round-minute prior" in reasons and PRIOR_CAVEAT in reasons
    assert nightly["confidence"] < 0.2  # the prior is advice, not a measured saving: never a confident move


def test_a_measured_move_carries_no_prior_caveat(tmp_path: Path) -> None:
    _workflow(tmp_path, "nightly", "0 3 * * *")
    _workflow(tmp_path, "report", "23 11 * * *")
    _workflow(tmp_path, "ci", None)
    history = History(7)
    history.scheduled("nightly", "0 3 * * *", 90, delay_min=25, drop=0.15, fail=0.2)
    history.scheduled("report", "23 11 * * *", 90, delay_min=1, drop=0.0, fail=0.2)
    history.pushes("ci", 90, 1, {})
    nightly = next(r for r in recommend(history.runs, tmp_path, REPO, NOW)["recommendations"] if r["workflow"] == "nightly")
    assert nightly["change"] and PRIOR_CAVEAT not in "\n".join(nightly["reasoning"])


def test_confidence_for_a_new_hour_cannot_come_from_the_minute_prior() -> None:
    """A move to 08:16 that beats 00:00 in every resample only by leaving the round minute, and
    beats 00:16 (same hour, same minute prior) in about half of them, is not confident."""
    from types import SimpleNamespace

    from orchestrator.schedule.plan import _holds

    rng = np.random.default_rng(3)
    noise = rng.normal(0, 0.01, size=(200, 3))
    boot = np.array([1.0, 0.97, 0.965]) + noise
    entry = SimpleNamespace(rotations=[(0, 0), (0, 16), (8, 16)], costs=np.array([1.0, 0.97, 0.965]), boot=boot)
    net = np.zeros(3)
    assert 0.3 < _holds(entry, 2, net, Weights()).mean() < 0.7
    # the same move without changing the hour rests on the minute: it holds
    assert _holds(entry, 1, net, Weights()).mean() > 0.95


def test_duration_hours_are_compared_within_workflows() -> None:
    """ci was slow for a month while it ran only at midnight, then fast at every hour except 14,
    where it is slower week after week. Pooling durations by hour blames midnight for the slow
    month; compared within each workflow's week, midnight is ordinary and hour 14 is slow."""
    from orchestrator.schedule.slots import DurationShape

    history = History(5)
    start = NOW - timedelta(days=63)
    for day in range(63):
        history.add("nightly", start + timedelta(days=day), "schedule", False, minutes=60.0)
        for hour in range(24) if day >= 35 else (0, 0, 0, 0):
            at = start + timedelta(days=day, hours=hour, minutes=float(history.rng.uniform(0, 50)))
            slow = day < 35 or hour == 14
            history.add("ci", at, "push", False, minutes=(8.0 if slow else 4.0) * float(np.exp(history.rng.normal(0, 0.1))))
    shape = DurationShape().fit(history.runs)
    factor = np.exp(shape.log_factor_)
    assert abs(factor[0] - 1.0) < 0.05
    assert factor[14] > 1.15 and factor[14] == factor.max()
    assert shape.factor("unknown") == pytest.approx(factor)


# ----- schedule time zones reach the learner ------------------------------------------------------
def test_schedule_timezones_map_history_keys_to_the_zone_a_cron_names(tmp_path: Path) -> None:
    from orchestrator.schedule import schedule_timezones

    (tmp_path / "berlin.yml").write_text(
        "on:\n  schedule:\n    - cron: '0 9 * * *'\n      timezone: Europe/Berlin\njobs: {}\n", encoding="utf-8")
    _workflow(tmp_path, "utc", "0 9 * * *")
    history = History(0)
    history.scheduled("berlin", "0 9 * * *", 5, delay_min=1, drop=0.0, fail=0.0)
    history.scheduled("utc", "0 9 * * *", 5, delay_min=1, drop=0.0, fail=0.0)
    assert schedule_timezones(history.runs, tmp_path) == {f"{REPO}:.github/workflows/berlin.yml": "Europe/Berlin"}
    other = [replace(r, repository="octo/other") for r in history.runs]
    assert schedule_timezones(history.runs + other, tmp_path) == {}, "whose files these are is ambiguous"
    assert schedule_timezones(history.runs + other, tmp_path, "octo/other") == {
        "octo/other:.github/workflows/berlin.yml": "Europe/Berlin"}


def test_the_api_learns_a_zoned_schedules_hours_on_its_own_clock(tmp_path: Path) -> None:
    from orchestrator.api import WorkflowOrchestratorAPI
    from orchestrator.store import HistoryStore, LocalBackend

    (tmp_path / "wf").mkdir()
    (tmp_path / "wf" / "berlin.yml").write_text(
        "on:\n  schedule:\n    - cron: '0 9 * * *'\n      timezone: Europe/Berlin\njobs: {}\n", encoding="utf-8")
    history = History(0)
    history.scheduled("berlin", "0 7 * * *", 60, delay_min=1, drop=0.0, fail=0.1)
    api = WorkflowOrchestratorAPI(store=HistoryStore(LocalBackend(tmp_path / "store")), clock=lambda: NOW)
    api.store.commit(runs=history.runs, message="runs")
    answer = api.predict_runs([{"workflow": "berlin", "at": "2025-06-02T07:00:00Z"}], workflows_dir=tmp_path / "wf")
    assert answer.success, answer.error
    predictor = api._predictor(tmp_path / "wf")
    assert predictor.history_.timezones == {f"{REPO}:.github/workflows/berlin.yml": "Europe/Berlin"}
    X = predictor.history_.features_at(np.array([f"{REPO}:.github/workflows/berlin.yml"], dtype=object),
                                       np.array([datetime(2025, 6, 2, 7, tzinfo=timezone.utc).timestamp()]),
                                       ["schedule"], ["main"], np.ones(1), np.ones(1))
    assert X["hour"].tolist() == [9.0], "07:00 UTC is 09:00 in Berlin in summer"
