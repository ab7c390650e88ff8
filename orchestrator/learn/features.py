"""Features that use only what was known before a moment: no run ever sees itself or its future.

:class:`History` turns a runs frame into sorted per-group timelines whose row ``i`` holds
statistics over the group's runs *finished* up to and including row ``i``. The state of a
workflow at time ``t`` is then the last row finished strictly before ``t`` (one
``searchsorted``): a run's own duration and outcome, and anything that finished after it was
created, can never reach its features. Training rows and live predictions go through the same
:meth:`History.features_at`, so what the model learns from is exactly what it will be given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .frame import default_branches, local_clock

__all__ = ["History", "EVENTS", "DURATION_FEATURES", "SUCCESS_FEATURES", "LAST_K"]

#: Window of the "last k runs" baselines (what the workflow-time-predictor Action reports).
LAST_K = 50
#: Events given their own category; anything else is "other". Fixed, so a model never depends
#: on which events happened to appear in one store.
EVENTS = ("push", "pull_request", "schedule", "workflow_dispatch", "pull_request_target",
          "merge_group", "release", "issue_comment", "workflow_run", "repository_dispatch")

#: Joins a workflow key to an event, branch, hour or actor in a timeline's group key. Not NUL:
#: numpy and pandas drop NUL characters when they concatenate strings, which silently made
#: "wf" + "1" and "wf1" + "" the same key. Names never hold control characters (the run model
#: turns them into spaces), so this one cannot occur inside a part.
KEY_SEPARATOR = "\x1f"

#: Inputs of the duration model; every ``log_*`` is relative to ``log_med50`` except that one.
DURATION_FEATURES = (
    "log_med50", "rel_med5", "rel_med20", "rel_p90", "rel_ewm", "rel_last", "log_std20", "rel_event_med",
    "rel_branch_last", "rel_branch_med5", "log_branch_n", "log_inflight", "err_last", "err_med5", "err_med50",
    "log_n", "log_event_n", "fail_ewm", "streak", "last_success", "hour", "dow", "event", "is_default",
    "attempt", "log_since_created", "log_since_finished", "log_actor_runs", "actor_rel", "is_bot",
)
#: Inputs of the success model.
SUCCESS_FEATURES = (
    "succ_ewm_fast", "succ_ewm_mid", "succ_ewm_slow", "succ_rate50", "succ_rate_all", "event_succ_ewm",
    "streak", "last_success", "log_n", "log_event_n", "hour", "dow", "event", "is_default", "attempt",
    "log_since_created", "log_since_finished", "log_med50",
)


@dataclass
class _Timeline:
    """Rows sorted by (group, time); ``locate`` finds each query's last row strictly before t."""

    keys: np.ndarray
    times: np.ndarray
    starts: dict
    stats: dict[str, np.ndarray]
    #: Each row's group as an integer, one per key: what the rolling statistics group by (pandas
    #: hashes object keys again on every ``groupby``; integers cost almost nothing).
    codes: np.ndarray

    @classmethod
    def build(cls, keys: np.ndarray, times: np.ndarray, columns: dict[str, np.ndarray]) -> "_Timeline":
        codes, _ = pd.factorize(np.asarray(keys, dtype=object))  # hashing beats sorting strings
        order = np.lexsort((times, codes))
        keys, times, codes = keys[order], times[order], codes[order]
        change = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(keys) else np.zeros(0, dtype=np.int64)
        bounds = np.r_[change, len(keys)]
        starts = {keys[b]: (int(b), int(e)) for b, e in zip(bounds[:-1], bounds[1:])}
        return cls(keys, times, starts, {name: np.asarray(col)[order] for name, col in columns.items()}, codes)

    def group_index(self) -> np.ndarray:
        """Position of each row inside its group (0 for the first run)."""
        index = np.arange(len(self.keys))
        firsts = np.zeros(len(self.keys), dtype=np.int64)
        for begin, end in self.starts.values():
            firsts[begin:end] = begin
        return index - firsts

    def count_before(self, keys: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each query: how many rows of its group have time < t, and where that group begins."""
        found = np.zeros(len(keys), dtype=np.int64)
        begin = np.full(len(keys), -1, dtype=np.int64)
        if len(keys) == 0:
            return found, begin
        inverse, uniq = pd.factorize(np.asarray(keys, dtype=object))
        order = np.argsort(inverse, kind="stable")
        cuts = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
        for i, key in enumerate(uniq):
            span = self.starts.get(key)
            if span is None:
                continue
            chosen = order[cuts[i]:cuts[i + 1]]
            found[chosen] = np.searchsorted(self.times[span[0]:span[1]], times[chosen], side="left")
            begin[chosen] = span[0]
        return found, begin

    def locate(self, keys: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Row index of the last run of the same group with time < t, or -1 when there is none."""
        found, begin = self.count_before(keys, times)
        return np.where(found > 0, begin + found - 1, -1)

    def take(self, name: str, rows: np.ndarray, missing: float = np.nan) -> np.ndarray:
        values = self.stats[name]
        out = values[np.clip(rows, 0, max(len(values) - 1, 0))] if len(values) else np.full(len(rows), missing)
        return np.where(rows >= 0, out, missing)


def _rolling(series: pd.Series, groups: np.ndarray, window: int, how: str, q: float = 0.5) -> np.ndarray:
    roller = series.groupby(groups, sort=False).rolling(window, min_periods=1)
    result = roller.quantile(q) if how == "quantile" else getattr(roller, how)()
    return result.reset_index(level=0, drop=True).sort_index().to_numpy()


def _ewm(series: pd.Series, groups: np.ndarray, alpha: float) -> np.ndarray:
    result = series.groupby(groups, sort=False).ewm(alpha=alpha).mean()
    return result.reset_index(level=0, drop=True).sort_index().to_numpy()


def _streak(groups: np.ndarray, success: np.ndarray) -> np.ndarray:
    """Signed length of the current run of equal outcomes: +3 = three successes in a row."""
    new_block = np.r_[True, (groups[1:] != groups[:-1]) | (success[1:] != success[:-1])]
    block = np.cumsum(new_block)
    length = pd.Series(np.ones(len(block))).groupby(block).cumsum().to_numpy()
    return np.where(success > 0.5, length, -length)


class History:
    """Everything the learners may know about a store, queried "as of" any moment."""

    def __init__(self, frame: pd.DataFrame, timezones: Mapping[str, str] | None = None) -> None:
        """``timezones`` maps workflow keys to the IANA zone their schedule names (hour and weekday
        features are read on that clock); other workflows use UTC."""
        self.timezones = dict(timezones or {})
        self.default_branch = default_branches(frame)
        judged = frame[frame["success"].notna()]
        workflow = judged["workflow"].to_numpy(dtype=object)
        event = (judged["workflow"] + KEY_SEPARATOR + judged["event"]).to_numpy(dtype=object)
        created_hour, _ = local_clock(workflow, judged["created"].to_numpy(), self.timezones)
        hour = (judged["workflow"] + KEY_SEPARATOR + created_hour.astype(str)).to_numpy(dtype=object)
        finished = judged["finished"].to_numpy()
        base = {"duration": judged["duration"].to_numpy(), "success": judged["success"].to_numpy()}
        self._wf = self._workflow_timeline(workflow, finished, base)
        self._event = self._event_timeline(event, finished, base)
        outcome = (judged["workflow"] + KEY_SEPARATOR + judged["success"].astype(int).astype(str)).to_numpy(dtype=object)
        self._outcome = self._median_timeline(outcome, finished, base["duration"])
        self._hour = self._mean_timeline(hour, finished, base["duration"])
        self._hour_median = self._median_timeline(hour, finished, base["duration"])
        branch = (judged["workflow"] + KEY_SEPARATOR + judged["branch"]).to_numpy(dtype=object)
        self._branch = self._branch_timeline(branch, finished, base["duration"])
        self._created = _Timeline.build(
            frame["workflow"].to_numpy(dtype=object), frame["created"].to_numpy(),
            {"created": frame["created"].to_numpy()},
        )
        # Runs in flight in the same repository compete for runners: queue time is part of the
        # measured duration. A judged run with no valid duration has no usable end, so it is left out.
        flying = frame[~(frame["success"].notna() & frame["duration"].isna())]
        repo = _repository(flying["workflow"].to_numpy(dtype=object))
        self._starts = _Timeline.build(repo, flying["created"].to_numpy(), {})
        ended = flying["finished"].notna().to_numpy()
        self._ends = _Timeline.build(repo[ended], flying["finished"].to_numpy()[ended], {})
        # Who triggered a run is known when it is created: count every run they triggered before.
        actor_keys = _actor_keys(frame["workflow"].to_numpy(dtype=object), frame["actor"].to_numpy(dtype=object))
        self._actor_runs = _Timeline.build(actor_keys, frame["created"].to_numpy(), {})
        self._actor = self._actor_timeline(judged)

    def _actor_timeline(self, judged: pd.DataFrame) -> _Timeline:
        """Per repository and actor: how far their runs ran from their workflow's level at the time.

        A first-time contributor's pull-request runs wait for a maintainer's approval, and a
        bot's dependency bumps skip most jobs: who triggered a run is known when it is created.
        """
        workflow = judged["workflow"].to_numpy(dtype=object)
        created = judged["created"].to_numpy()
        level = np.log1p(self._wf.take("med50", self._wf.locate(workflow, created)))
        departure = np.log1p(judged["duration"].to_numpy()) - level
        keep = np.isfinite(departure)
        keys = _actor_keys(workflow, judged["actor"].to_numpy(dtype=object))[keep]
        line = _Timeline.build(keys, judged["finished"].to_numpy()[keep], {"departure": departure[keep]})
        line.stats["ewm"] = _ewm(pd.Series(line.stats["departure"]), line.codes, 0.3)
        return line

    @staticmethod
    def _workflow_timeline(keys: np.ndarray, finished: np.ndarray, base: dict) -> _Timeline:
        line = _Timeline.build(keys, finished, base)
        groups, duration, success = line.codes, line.stats["duration"], line.stats["success"]
        # A run whose length is unknown still counts for outcomes; "last value" is the last known.
        line.stats["last_duration"] = pd.Series(duration).groupby(groups, sort=False).ffill().to_numpy()
        log_d = pd.Series(np.log1p(duration))
        dur, succ = pd.Series(duration), pd.Series(success)
        line.stats.update(
            n=line.group_index() + 1.0,
            med3=_rolling(dur, groups, 3, "median"),
            med5=_rolling(dur, groups, 5, "median"),
            med10=_rolling(dur, groups, 10, "median"),
            med20=_rolling(dur, groups, 20, "median"),
            med50=_rolling(dur, groups, LAST_K, "median"),
            longest=dur.groupby(groups, sort=False).cummax().to_numpy(),
            p90=_rolling(dur, groups, LAST_K, "quantile", 0.9),
            p90_20=_rolling(dur, groups, 20, "quantile", 0.9),
            ewm=_ewm(log_d, groups, 0.3),
            std20=np.nan_to_num(_rolling(log_d, groups, 20, "std")),
            mean_all=_expanding_mean(dur, groups),
            succ_ewm_fast=_ewm(succ, groups, 0.5),
            succ_ewm_mid=_ewm(succ, groups, 0.15),
            succ_ewm_slow=_ewm(succ, groups, 0.04),
            succ_rate50=_rolling(succ, groups, LAST_K, "mean"),
            succ_rate_all=_expanding_mean(succ, groups),
            streak=_streak(groups, success),
            finished=line.times,
        )
        line.stats["relevel"] = _relevel(groups, duration, line.stats["med50"])
        # How wrong each naive predictor has recently been for this workflow, so the model can
        # learn when to follow the last value (regime shifts) and when the median (noise).
        for name, column in (("err_last", "last_duration"), ("err_med5", "med5"), ("err_med50", "med50")):
            previous = pd.Series(np.log1p(line.stats[column])).groupby(groups, sort=False).shift(1).to_numpy()
            line.stats[name] = _ewm(pd.Series(np.abs(log_d.to_numpy() - previous)), groups, 0.1)
        return line

    @staticmethod
    def _event_timeline(keys: np.ndarray, finished: np.ndarray, base: dict) -> _Timeline:
        line = _Timeline.build(keys, finished, base)
        line.stats.update(
            n=line.group_index() + 1.0,
            med20=_rolling(pd.Series(line.stats["duration"]), line.codes, 20, "median"),
            succ_ewm=_ewm(pd.Series(line.stats["success"]), line.codes, 0.3),
        )
        return line

    @staticmethod
    def _median_timeline(keys: np.ndarray, finished: np.ndarray, duration: np.ndarray) -> _Timeline:
        """Median of the last 20 durations per key (a workflow's successes, its failures, its runs
        at one hour)."""
        line = _Timeline.build(keys, finished, {"duration": duration})
        line.stats["med20"] = _rolling(pd.Series(line.stats["duration"]), line.codes, 20, "median")
        return line

    @staticmethod
    def _mean_timeline(keys: np.ndarray, finished: np.ndarray, duration: np.ndarray) -> _Timeline:
        line = _Timeline.build(keys, finished, {"duration": duration})
        line.stats["mean"] = _expanding_mean(pd.Series(line.stats["duration"]), line.codes)
        return line

    @staticmethod
    def _branch_timeline(keys: np.ndarray, finished: np.ndarray, duration: np.ndarray) -> _Timeline:
        """Per workflow and branch: a pull request's runs resemble each other (same paths, same jobs)."""
        line = _Timeline.build(keys, finished, {"duration": duration})
        series = pd.Series(line.stats["duration"])
        line.stats.update(
            n=line.group_index() + 1.0,
            last=series.groupby(line.codes, sort=False).ffill().to_numpy(),
            med5=_rolling(series, line.codes, 5, "median"),
        )
        return line

    def inflight(self, workflows: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Runs of the same repository created before ``t`` and not finished before ``t``."""
        repo = _repository(workflows)
        started, _ = self._starts.count_before(repo, times)
        ended, _ = self._ends.count_before(repo, times)
        return np.maximum(0, started - ended).astype(float)

    def workflows(self) -> list[str]:
        return list(self._created.starts)

    def features_at(
        self,
        workflows: Sequence[str],
        times: np.ndarray,
        events: Sequence[str],
        branches: Sequence[str],
        is_default: np.ndarray,
        attempts: np.ndarray,
        actors: Sequence[str] | None = None,
        clock: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """Model inputs and baseline values for each (workflow, time) query, vectorised.

        ``bl_*`` columns are the baselines' predictions from the same information; ``n`` is the
        number of judged runs finished before ``t`` (0 = nothing known). ``clock`` (default
        ``times``) is when the run will be created, if later than the state ``times`` it is
        predicted from: a forecast made some runs ahead still knows the hour it is for.
        """
        wf = np.asarray(workflows, dtype=object)
        times = np.asarray(times, dtype=float)
        ev = np.asarray(events, dtype=object)
        rows = self._wf.locate(wf, times)
        ev_rows = self._event.locate(wf + KEY_SEPARATOR + ev, times)
        hour, dow = local_clock(wf, times if clock is None else np.asarray(clock, dtype=float), self.timezones)
        hour_keys = wf + KEY_SEPARATOR + hour.astype(str)
        hour_rows = self._hour.locate(hour_keys, times)
        hour_median_rows = self._hour_median.locate(hour_keys, times)
        created_rows = self._created.locate(wf, times)
        branch_rows = self._branch.locate(wf + KEY_SEPARATOR + np.asarray(branches, dtype=object), times)
        w, e = self._wf, self._event
        succ_rows = self._outcome.locate(wf + KEY_SEPARATOR + "1", times)
        fail_rows = self._outcome.locate(wf + KEY_SEPARATOR + "0", times)
        actor = np.asarray(actors if actors is not None else [""] * len(wf), dtype=object)
        known_actor = actor != ""
        actor_keys = _actor_keys(wf, actor)
        actor_count, _ = self._actor_runs.count_before(actor_keys, times)
        actor_rows = self._actor.locate(actor_keys, times)
        n = np.where(rows >= 0, w.take("n", rows), 0.0)
        med50 = w.take("med50", rows)
        log_med = np.log1p(med50)
        event_n = np.where(ev_rows >= 0, e.take("n", ev_rows), 0.0)
        out = {
            "n": n,
            "log_med50": log_med,
            "rel_med5": np.log1p(w.take("med5", rows)) - log_med,
            "rel_med20": np.log1p(w.take("med20", rows)) - log_med,
            "rel_p90": np.log1p(w.take("p90", rows)) - log_med,
            "rel_ewm": w.take("ewm", rows) - log_med,
            "rel_last": np.log1p(w.take("last_duration", rows)) - log_med,
            "log_std20": w.take("std20", rows),
            "err_last": w.take("err_last", rows),
            "err_med5": w.take("err_med5", rows),
            "err_med50": w.take("err_med50", rows),
            "rel_event_med": np.log1p(e.take("med20", ev_rows)) - log_med,
            "rel_branch_last": np.log1p(self._branch.take("last", branch_rows)) - log_med,
            "rel_branch_med5": np.log1p(self._branch.take("med5", branch_rows)) - log_med,
            "log_branch_n": np.log1p(np.where(branch_rows >= 0, self._branch.take("n", branch_rows), 0.0)),
            "log_inflight": np.log1p(self.inflight(wf, times)),
            "log_n": np.log1p(n),
            "log_event_n": np.log1p(event_n),
            "fail_ewm": 1.0 - w.take("succ_ewm_mid", rows),
            "succ_ewm_fast": w.take("succ_ewm_fast", rows),
            "succ_ewm_mid": w.take("succ_ewm_mid", rows),
            "succ_ewm_slow": w.take("succ_ewm_slow", rows),
            "succ_rate50": w.take("succ_rate50", rows),
            "succ_rate_all": w.take("succ_rate_all", rows),
            "event_succ_ewm": e.take("succ_ewm", ev_rows),
            "streak": w.take("streak", rows, 0.0),
            "last_success": w.take("success", rows),
            "hour": hour.astype(float),
            "dow": dow.astype(float),
            "event": _event_codes(ev),
            "is_default": np.asarray(is_default, dtype=float),
            "attempt": np.asarray(attempts, dtype=float),
            "log_since_created": np.log1p(np.maximum(0.0, times - self._created.take("created", created_rows))),
            "log_since_finished": np.log1p(np.maximum(0.0, times - w.take("finished", rows))),
            "log_actor_runs": np.where(known_actor, np.log1p(actor_count), np.nan),
            "actor_rel": np.where(known_actor, self._actor.take("ewm", actor_rows), np.nan),
            "is_bot": np.where(known_actor, np.char.endswith(actor.astype(str), "[bot]"), np.nan),
            # Candidate forecasts in seconds (``orchestrator.learn.combine`` chooses among them).
            "cand_med3": w.take("med3", rows),
            "cand_med5": w.take("med5", rows),
            "cand_med10": w.take("med10", rows),
            "cand_med20": w.take("med20", rows),
            "cand_ewm": np.expm1(w.take("ewm", rows)),
            "cand_relevel": w.take("relevel", rows),
            "cand_event_med": e.take("med20", ev_rows),
            "cand_hour_med": self._hour_median.take("med20", hour_median_rows),
            "cand_branch_med5": self._branch.take("med5", branch_rows),
            "cand_success_med": self._outcome.take("med20", succ_rows),
            "cand_failure_med": self._outcome.take("med20", fail_rows),
            "longest": w.take("longest", rows),
            "cand_p90_20": w.take("p90_20", rows),
            "bl_last50_median": med50,
            "bl_last50_p90": w.take("p90", rows),
            "bl_last_value": w.take("last_duration", rows),
            "bl_per_hour_mean": np.where(hour_rows >= 0, self._hour.take("mean", hour_rows), w.take("mean_all", rows)),
            "bl_historical_rate": w.take("succ_rate_all", rows),
            "bl_repeat_last": w.take("success", rows),
        }
        return pd.DataFrame(out)

    def training_frame(self, frame: pd.DataFrame, runs_ahead: int = 1, last: int | None = None) -> pd.DataFrame:
        """Features of every judged run as the forecast ``runs_ahead`` runs before it saw them,
        with targets and times attached (``state`` is the moment the forecast was made).

        ``runs_ahead=1`` is the state at the run's own creation. With ``k`` the state is at the
        creation of the workflow's judged run ``k - 1`` places earlier: what a store refitted
        then, and not since, knows when it is asked about this run. Runs with no such earlier run
        are left out, and with ``last`` only each workflow's latest ``last`` runs are kept.
        """
        judged = frame[frame["success"].notna()]
        created = judged["created"].to_numpy(dtype=float)
        state = created
        if runs_ahead > 1:
            order = judged.sort_values(["created"], kind="stable")
            earlier = order.groupby("workflow", sort=False)["created"].shift(runs_ahead - 1)
            state = earlier.reindex(judged.index).to_numpy(dtype=float)
        keep = np.isfinite(state)
        if last is not None:
            keep &= (judged.groupby("workflow", sort=False)["created"].rank(method="first", ascending=False) <= last).to_numpy()
        judged, state, created = judged[keep], state[keep], created[keep]
        feats = self.features_at(
            judged["workflow"].to_numpy(dtype=object), state,
            judged["event"].to_numpy(dtype=object), judged["branch"].to_numpy(dtype=object), judged["is_default"].to_numpy(), judged["attempt"].to_numpy(),
            judged["actor"].to_numpy(dtype=object), clock=created,
        )
        for column in ("workflow", "created", "finished", "duration", "success"):
            feats[column] = judged[column].to_numpy()
        feats["state"] = state
        return feats


def _repository(workflows: np.ndarray) -> np.ndarray:
    return np.array([w.split(":", 1)[0] for w in workflows], dtype=object)


def _actor_keys(workflows: np.ndarray, actors: np.ndarray) -> np.ndarray:
    return _repository(workflows) + KEY_SEPARATOR + actors.astype(object)


def _event_codes(events: np.ndarray) -> np.ndarray:
    lookup = {name: float(i) for i, name in enumerate(EVENTS)}
    return np.array([lookup.get(e, float(len(EVENTS))) for e in events], dtype=float)


def _expanding_mean(values: pd.Series, groups: np.ndarray) -> np.ndarray:
    """Mean of all known (non-NaN) values so far within each group."""
    total = values.fillna(0.0).groupby(groups, sort=False).cumsum().to_numpy()
    count = values.notna().astype(float).groupby(groups, sort=False).cumsum().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1.0), np.nan)


#: A run this far (in log terms, about ×1.3) from the median of the last 50 starts or continues
#: a level shift; this many such runs in a row, all on the same side, re-level the workflow.
SHIFT_LOG_RATIO = 0.25
SHIFT_RUNS = 3
#: A re-levelled median uses at most this many of the runs since the shift began.
SHIFT_WINDOW = 20


def _relevel(groups: np.ndarray, duration: np.ndarray, med50: np.ndarray) -> np.ndarray:
    """Change detection: the median since a level shift, or the median of the last 50 without one.

    A new test suite or a broken cache moves every later run the same way. When at least
    :data:`SHIFT_RUNS` runs in a row land beyond :data:`SHIFT_LOG_RATIO` on the same side of the
    median of the 50 runs before each, the level is the median of the runs since the shift began
    (at most :data:`SHIFT_WINDOW`), instead of a median that would take 25 runs to follow.
    """
    previous = pd.Series(med50).groupby(groups, sort=False).shift(1).to_numpy()
    ratio = np.log1p(duration) - np.log1p(previous)
    side = np.where(np.isfinite(ratio), np.sign(ratio) * (np.abs(ratio) > SHIFT_LOG_RATIO), 0.0)
    new_block = np.r_[True, (groups[1:] != groups[:-1]) | (side[1:] != side[:-1])] if len(side) else np.zeros(0, bool)
    length = pd.Series(np.ones(len(side))).groupby(np.cumsum(new_block)).cumsum().to_numpy()
    out = np.asarray(med50, dtype=float).copy()
    for i in np.flatnonzero((side != 0) & (length >= SHIFT_RUNS)):
        window = duration[i - int(min(length[i], SHIFT_WINDOW)) + 1: i + 1]
        known = window[np.isfinite(window)]
        if known.size:
            out[i] = float(np.median(known))
    return out
