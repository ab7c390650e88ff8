"""The schedule delay/drop model: tick matching and what it learns by minute and hour."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from orchestrator.learn.delay import ScheduleDelayModel, TickObservation, block_resample, match_ticks

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def test_runs_pair_with_the_latest_tick_before_them() -> None:
    ticks = [T0 + timedelta(hours=h) for h in range(6)]
    created = [
        T0 + timedelta(minutes=7),  # tick 0, 7 min late
        T0 + timedelta(hours=1, minutes=20),  # tick 1
        T0 + timedelta(hours=1, minutes=3),  # tick 1 again, earlier: this one wins
        T0 + timedelta(hours=4, minutes=1),  # tick 4; ticks 2 and 3 were dropped
    ]
    observed = match_ticks("o/r:x", ticks, created)
    assert [o.delay_seconds for o in observed] == [420.0, 180.0, None, None, 60.0]
    assert [o.dropped for o in observed] == [False, False, True, True, False]
    assert observed[-1].tick == ticks[4]  # tick 5, after the last run, says nothing yet


def test_a_run_far_after_its_tick_is_not_counted() -> None:
    ticks = [T0, T0 + timedelta(days=1)]
    observed = match_ticks(
        "o/r:x", ticks, [T0 + timedelta(hours=5), T0 + timedelta(days=1, minutes=2)], max_delay_seconds=3600
    )
    assert [(o.tick, o.delay_seconds) for o in observed] == [(ticks[1], 120.0)]


def _observations(
    rng: np.random.Generator, minute: int, mean_delay: float, drop: float, n: int, hour_scale: dict[int, float] | None = None
) -> list[TickObservation]:
    out = []
    for i in range(n):
        tick = T0 + timedelta(hours=i, minutes=minute)
        scale = (hour_scale or {}).get(tick.hour, 1.0)
        dropped = rng.random() < drop * scale
        out.append(TickObservation("o/r:x", tick, None if dropped else float(rng.exponential(mean_delay * scale))))
    return out


def test_learns_that_the_top_of_the_hour_is_slower_and_drops_more() -> None:
    rng = np.random.default_rng(3)
    obs = (
        _observations(rng, 0, 900, 0.2, 400) + _observations(rng, 30, 420, 0.08, 400) + _observations(rng, 17, 90, 0.01, 400)
    )
    model = ScheduleDelayModel().fit(obs)
    delay, drop = model.predict([0, 30, 17], [12, 12, 12])
    assert delay[0] > delay[1] > delay[2]
    assert drop[0] > drop[1] > drop[2]
    assert delay[0] == pytest.approx(900, rel=0.2) and delay[2] == pytest.approx(90, rel=0.3)
    profile = model.minute_profile()
    assert len(profile) == 60 and profile[0]["ticks"] == 400 and profile[5]["ticks"] == 0
    assert (
        profile[5]["median_delay_seconds"] is None
        and profile[0]["median_delay_seconds"] > profile[17]["median_delay_seconds"]
    )


def test_beats_a_single_average_on_unseen_ticks() -> None:
    """The dummy baseline (one mean for every minute) against the per-minute model."""
    rng = np.random.default_rng(5)
    make = lambda: _observations(rng, 0, 900, 0.1, 300) + _observations(rng, 41, 60, 0.01, 300)  # noqa: E731
    train, test = make(), make()
    model = ScheduleDelayModel().fit(train)
    ran = [o for o in test if not o.dropped]
    actual = np.array([o.delay_seconds for o in ran])
    predicted, _ = model.predict([o.tick.minute for o in ran], [o.tick.hour for o in ran])
    dummy = np.mean([o.delay_seconds for o in train if not o.dropped])
    assert np.abs(actual - predicted).mean() < 0.8 * np.abs(actual - dummy).mean()


def test_hour_of_day_load_is_learned() -> None:
    rng = np.random.default_rng(7)
    obs = _observations(rng, 0, 300, 0.05, 24 * 40, hour_scale={h: 3.0 for h in range(13, 17)})
    delay, drop = ScheduleDelayModel().fit(obs).predict([0, 0], [14, 3])
    assert delay[0] > 2 * delay[1] and drop[0] > drop[1]


def test_a_minute_never_seen_is_assumed_no_worse_than_the_best_seen() -> None:
    rng = np.random.default_rng(11)
    obs = _observations(rng, 0, 900, 0.2, 300, hour_scale={3: 0.5})
    delay, drop = ScheduleDelayModel().fit(obs).predict([23, 23, 0], [3, 14, 14])
    assert delay[0] == delay[1] <= delay[2]  # no hour pattern borrowed for an unseen minute
    assert drop[0] <= drop[2]


def test_no_data_means_no_effect_and_predicting_unfitted_fails() -> None:
    model = ScheduleDelayModel()
    with pytest.raises(RuntimeError, match="fit"):
        model.predict([0], [0])
    delay, drop = model.fit([]).predict([0, 17], [3, 3])
    assert delay.tolist() == [0.0, 0.0] and drop.tolist() == [0.0, 0.0]


def test_resampling_draws_whole_weeks() -> None:
    rng = np.random.default_rng(13)
    obs = [TickObservation("o/r:x", T0 + timedelta(days=d), float(rng.exponential(600))) for d in range(7 * 30)]
    model = ScheduleDelayModel().fit(obs)
    clone = model.resampled(np.random.default_rng(1))
    assert clone.n_ticks_ == pytest.approx(model.n_ticks_, rel=0.25)
    assert clone.predict([0], [0])[0][0] == pytest.approx(model.predict([0], [0])[0][0], rel=0.3)


def test_block_resample_keeps_blocks_together() -> None:
    blocks = np.array([4, 4, 9, 9, 9, 2])
    for seed in range(5):
        pick = block_resample(blocks, np.random.default_rng(seed))
        counts = np.bincount(pick, minlength=6)
        assert counts[0] == counts[1] and counts[2] == counts[3] == counts[4]
        assert len(pick) == counts[0] * 2 + counts[2] * 3 + counts[5]
    assert block_resample(np.array([], dtype=int), np.random.default_rng(0)).size == 0


def test_an_unseen_minute_is_not_assumed_better_than_an_observed_one_of_its_kind() -> None:
    rng = np.random.default_rng(17)
    obs = _observations(rng, 0, 900, 0.2, 300) + _observations(rng, 46, 60, 0.01, 300)
    model = ScheduleDelayModel().fit(obs)
    delay, _ = model.predict([55, 55, 33], [9, 20, 9])
    assert not model.minute_seen_[55] and model.minute_seen_[33] and model.minute_seen_[1]
    assert delay[0] == delay[1] == pytest.approx(model.minute_delay_[46])  # :55 is no better than :46
    top = model.predict([0], [9])[0][0]
    assert delay[2] < 0.2 * top  # :33 is estimated from its class (:46), not from :00
