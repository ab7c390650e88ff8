"""Score candidate slots: what a scheduled run is expected to cost at each minute of the week.

The week is a grid of 10,080 UTC minutes (Monday 00:00 = 0). For one workflow every cell gets

    cost = failure  × P(failure | hour, weekday)          hour odds learned within workflows
         + drop     × P(GitHub drops the tick | minute, hour)
         + delay    × expected start delay in hours
         + duration × (predicted p50 duration at that hour / its median over hours − 1)
         + overlap  × average number of other runs active during the run's p90 window
         + round_minute × roundness of the minute (1 at :00, ½ at :15/:30/:45, ¼ at other ×5,
                          halving each minute after :00)

and a candidate cron's cost is the mean over its ticks. The weights are :class:`Weights`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import ValidationError
from ..learn.delay import block_resample, week_blocks
from ..model import FAILURE, SUCCESS, RunRecord

__all__ = [
    "Weights",
    "FailureModel",
    "WEEK_MINUTES",
    "minute_of_week",
    "circular_smooth",
    "run_occupancy",
    "window_occupancy",
    "BusyOccupancy",
    "cost_table",
]

WEEK_MINUTES = 7 * 1440
#: Events that compete with scheduled runs for runners and concurrency groups.
BUSY_EVENTS = frozenset({"push", "pull_request", "pull_request_target", "merge_group"})
#: Runs of code under review: whether they fail follows when their authors push unfinished work,
#: not what the hour does to a run, so they do not inform the hour effects of scheduled runs.
CODE_IN_FLUX_EVENTS = frozenset({"pull_request", "pull_request_target"})


@dataclass(frozen=True)
class Weights:
    """Documented, configurable weights of the slot cost (see docs/schedule.md).

    The unit is "one failed run": ``failure`` and ``drop`` weigh a probability, ``delay`` an
    hour of delay, ``overlap`` one other run competing for the whole window, ``duration`` a
    doubling of the run time, ``round_minute`` the top of the hour beyond what delays show.
    ``min_improvement`` is the cost a move must save to be proposed rather than "keep";
    ``prior_strength`` the pseudo-observations a thin hour or minute is shrunk with;
    ``cold_start_runs`` the completed runs in the repository below which the hash picks the slot.
    """

    failure: float = 1.0
    drop: float = 1.0
    delay: float = 0.5
    duration: float = 0.2
    overlap: float = 0.05
    round_minute: float = 0.03
    min_improvement: float = 0.005
    prior_strength: float = 20.0
    cold_start_runs: int = 50

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
                raise ValidationError(f"weights.{item.name}", value, "a finite number ≥ 0")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> "Weights":
        """Build from user input (a JSON object); unknown names are refused by name."""
        if not data:
            return cls()
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError("weights", unknown, f"only {', '.join(sorted(known))}")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def minute_of_week(when: datetime) -> int:
    """UTC minute of the week, Monday 00:00 = 0."""
    return when.weekday() * 1440 + when.hour * 60 + when.minute


def roundness(minutes: np.ndarray) -> np.ndarray:
    """The prior against busy minutes: 1 at :00, ½ at :15/:30/:45, ¼ at other multiples of 5,
    and a tail halving each minute after the top of the hour, whose backlog spills over."""
    m = np.asarray(minutes) % 60
    round_class = np.where(m == 0, 1.0, np.where(m % 15 == 0, 0.5, np.where(m % 5 == 0, 0.25, 0.0)))
    return np.maximum(round_class, 0.5 ** m.astype(float))


class FailureModel:
    """Failure probability by hour of day and weekday, identified only within workflows.

    A fixed-effects logistic model

        logit P(failure) = α[stratum] + β[hour] + γ[weekday]

    where a stratum is one workflow, event and branch in one week. Every stratum has its own
    level, so a workflow that is broken for months, a broken branch pushed twenty times at
    midnight, or a nightly job that only ever runs at hour 0 explains its own failures: a stratum
    whose runs all fall in one hour says nothing about hours (its α absorbs it), and the hour
    effects are learned from strata with runs at several hours. ``pull_request`` runs are left
    out (see ``CODE_IN_FLUX_EVENTS``) but still count in the raw per-hour figures of
    :meth:`hour_stats`. β and γ are shrunk towards 0 (no effect) with a ridge of
    ``prior_strength × hour_prior_scale`` (logit units), neighbouring hours are pulled together
    (``neighbour_weight``), and the fit is a penalised Newton iteration on the profile likelihood.

    Each workflow may deviate from the pooled hours as far as its own within-stratum evidence
    shows (one penalised Newton step from the pooled curve). The level used for predictions is
    the workflow's recency-weighted failure rate (``half_life_days``) freed of the hours it ran
    at, because failures come in blocks that last months.
    """

    def __init__(
        self,
        prior_strength: float = 20.0,
        half_life_days: float = 30.0,
        level_prior_runs: float = 2.0,
        neighbour_weight: float = 0.5,
        iterations: int = 30,
        stratum_prior_runs: float = 0.05,
        hour_prior_scale: float = 1.0,
        min_prior_strength: float = 2.0,
        max_prior_strength: float = 400.0,
    ) -> None:
        self.hour_prior_scale = hour_prior_scale
        self.min_prior_strength = min_prior_strength
        self.max_prior_strength = max_prior_strength
        self.prior_strength = prior_strength
        self.neighbour_weight = neighbour_weight
        self.half_life_days = half_life_days
        self.level_prior_runs = level_prior_runs
        self.iterations = iterations
        self.stratum_prior_runs = stratum_prior_runs

    def fit(self, runs: Sequence[RunRecord], now: datetime) -> "FailureModel":
        everything = [r for r in runs if r.outcome in (SUCCESS, FAILURE)]
        raw_hours = np.array([r.created_at.hour for r in everything], dtype=int)
        raw_failed = np.array([r.outcome == FAILURE for r in everything], dtype=float)
        self.hour_runs_ = np.bincount(raw_hours, minlength=24)
        self.hour_failures_ = np.bincount(raw_hours, weights=raw_failed, minlength=24)
        judged = [r for r in everything if r.event not in CODE_IN_FLUX_EVENTS]
        self.workflows_ = sorted({r.workflow_key for r in judged})
        self._wf_index = {w: i for i, w in enumerate(self.workflows_)}
        self._wf = np.array([self._wf_index[r.workflow_key] for r in judged], dtype=int)
        self._hours = np.array([r.created_at.hour for r in judged], dtype=int)
        self._days = np.array([r.created_at.weekday() for r in judged], dtype=int)
        self._failed = np.array([r.outcome == FAILURE for r in judged], dtype=float)
        age_days = np.array([(now - r.created_at).total_seconds() / 86400 for r in judged], dtype=float)
        self._recency = 0.5 ** (np.clip(age_days, 0, None) / self.half_life_days)
        self._blocks = week_blocks([r.created_at for r in judged])
        strata: dict[tuple[Any, ...], int] = {}
        self._strata = np.array(
            [
                strata.setdefault((r.workflow_key, r.event or "", r.head_branch or "", block), len(strata))
                for r, block in zip(judged, self._blocks)
            ],
            dtype=int,
        )
        self._n_strata = len(strata)
        self._fit_arrays(np.arange(len(judged)))
        return self

    # ----- fitting ----------------------------------------------------------------------------
    def _fit_arrays(self, pick: np.ndarray, start: np.ndarray | None = None, learn_prior: bool = True) -> None:
        s, h, d, y, wf = self._strata[pick], self._hours[pick], self._days[pick], self._failed[pick], self._wf[pick]
        n_s, n_wf = self._n_strata, len(self.workflows_)
        self.n_runs_ = len(pick)
        overall = float(y.mean()) if len(y) else 0.0
        self.overall_failure_rate_ = overall
        p_bar = min(max(overall, 0.02), 0.98)
        # A stratum's level starts at (and is weakly held towards) its workflow's failure rate.
        wf_n = np.bincount(wf, minlength=n_wf)
        wf_rate = (np.bincount(wf, weights=y, minlength=n_wf) + p_bar) / (wf_n + 1.0)
        s_wf = np.zeros(n_s, dtype=int)
        s_wf[s] = wf
        tau = self.stratum_prior_runs * p_bar * (1 - p_bar)
        centre = _logit(wf_rate)[s_wf]
        s_n = np.bincount(s, minlength=n_s)
        alpha = _logit((np.bincount(s, weights=y, minlength=n_s) + wf_rate[s_wf]) / (s_n + 1.0))
        beta = np.zeros(31) if start is None else start.copy()
        arrays = (s, h, d, y, n_s, tau, centre)
        if learn_prior:
            strength = self.prior_strength * self.hour_prior_scale
            self._penalty = self._penalty_matrix(strength, strength)
            alpha, beta, hessian = self._newton(arrays, alpha, beta)
            self._penalty = self._learned_penalty(beta, hessian)
        alpha, beta, hessian = self._newton(arrays, alpha, beta)
        self._beta = beta
        self._covariance = np.linalg.inv(hessian)
        p = _sigmoid(alpha[s] + beta[h] + beta[24 + d])
        w = p * (1 - p)
        # Runs that can inform an hour: their stratum also ran at other hours.
        s_h = np.bincount(s * 24 + h, minlength=n_s * 24).reshape(n_s, 24)
        mixed = (s_h > 0).sum(axis=1) > 1
        self.hour_comparable_runs_ = s_h[mixed].sum(axis=0)
        # Each workflow's own hours: one penalised Newton step from the pooled curve, using the
        # within-stratum residuals (single-hour strata have none) and their profiled information.
        # Residuals are taken within their stratum (its mean residual removed, in proportion to
        # each run's weight), so a stratum that ran at one hour adds nothing, prior pull included.
        w_s = np.maximum(np.bincount(s, weights=w, minlength=n_s), 1e-12)
        within = (y - p) - w * (np.bincount(s, weights=y - p, minlength=n_s) / w_s)[s]
        w_sh = np.bincount(s * 24 + h, weights=w, minlength=n_s * 24).reshape(n_s, 24)
        info = w_sh - w_sh**2 / w_s[:, None]
        wf_info = np.zeros((n_wf, 24))
        np.add.at(wf_info, s_wf, info)
        resid = np.bincount(wf * 24 + h, weights=within, minlength=n_wf * 24).reshape(n_wf, 24)
        lam = max(self.prior_strength * p_bar * (1 - p_bar), self._penalty[0, 0])
        self.workflow_hour_effect_ = circular_smooth(resid, self.neighbour_weight) / (
            circular_smooth(wf_info, self.neighbour_weight) + lam
        )
        self._level_inputs = (wf, h, d, y, self._recency[pick], p_bar)
        self._set_levels()

    def _newton(
        self, arrays: tuple[Any, ...], alpha: np.ndarray, beta: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Penalised Newton iterations with the stratum levels profiled out (Schur complement),
        so only within-stratum contrasts inform β; returns α, β and the profiled Hessian."""
        s, h, d, y, n_s, tau, centre = arrays
        alpha, beta = alpha.copy(), beta.copy()
        hessian = self._penalty.copy()
        for _ in range(self.iterations):
            p = _sigmoid(alpha[s] + beta[h] + beta[24 + d])
            w, r = p * (1 - p), y - p
            g_alpha = np.bincount(s, weights=r, minlength=n_s) - tau * (alpha - centre)
            w_s = np.bincount(s, weights=w, minlength=n_s) + tau
            a_h = np.bincount(s * 24 + h, weights=w, minlength=n_s * 24).reshape(n_s, 24)
            a_d = np.bincount(s * 7 + d, weights=w, minlength=n_s * 7).reshape(n_s, 7)
            a = np.hstack([a_h, a_d])
            xtwx = np.zeros((31, 31))
            xtwx[:24, 24:] = np.bincount(h * 7 + d, weights=w, minlength=168).reshape(24, 7)
            xtwx[24:, :24] = xtwx[:24, 24:].T
            xtwx[np.arange(31), np.arange(31)] = np.concatenate(
                [np.bincount(h, weights=w, minlength=24), np.bincount(d, weights=w, minlength=7)]
            )
            g_beta = np.concatenate(
                [np.bincount(h, weights=r, minlength=24), np.bincount(d, weights=r, minlength=7)]
            ).astype(float)
            g_beta -= self._penalty @ beta
            hessian = xtwx + self._penalty - (a.T / w_s) @ a
            step_beta = np.linalg.solve(hessian, g_beta - a.T @ (g_alpha / w_s))
            step_alpha = (g_alpha - a @ step_beta) / w_s
            step_beta = np.clip(step_beta, -1.0, 1.0)
            alpha += np.clip(step_alpha, -3.0, 3.0)
            beta += step_beta
            if np.abs(step_beta).max() < 1e-4 and np.abs(step_alpha).max(initial=0.0) < 1e-3:
                break
        return alpha, beta, hessian

    def _learned_penalty(self, beta: np.ndarray, hessian: np.ndarray) -> np.ndarray:
        """How hard to shrink, learned from the data (empirical Bayes, method of moments): the
        spread of the unshrunk hour (weekday) effects beyond what their noise explains is the
        prior variance. With no real hour effect the spread is all noise and the effects are
        shrunk to nothing, so the best of 24 noisy hours is not mistaken for a good hour."""
        information = np.diag(hessian - self._penalty)
        unshrunk = beta + (self._penalty @ beta) / np.maximum(information, 1e-9)
        strengths = []
        for cols in (slice(0, 24), slice(24, 31)):
            info, raw = information[cols], unshrunk[cols]
            ok = info > 1.0
            if ok.sum() < 4:
                strengths.append(self.max_prior_strength)
                continue
            centred = raw[ok] - np.average(raw[ok], weights=info[ok])
            spread = float(np.mean(centred**2) - np.mean(1.0 / info[ok]))
            strength = 1.0 / spread if spread > 0 else self.max_prior_strength
            strengths.append(float(np.clip(strength, self.min_prior_strength, self.max_prior_strength)))
        self.hour_prior_strength_, self.weekday_prior_strength_ = strengths
        return self._penalty_matrix(*strengths)

    def _penalty_matrix(self, strength: float, weekday_strength: float) -> np.ndarray:
        """Ridge towards "no effect" plus a pull between neighbouring hours (circular)."""
        penalty = np.diag(np.concatenate([np.full(24, strength), np.full(7, weekday_strength)]))
        smooth = strength * self.neighbour_weight
        for hour in range(24):
            nxt = (hour + 1) % 24
            penalty[hour, hour] += smooth
            penalty[nxt, nxt] += smooth
            penalty[hour, nxt] -= smooth
            penalty[nxt, hour] -= smooth
        return penalty

    def _set_levels(self) -> None:
        """Each workflow's recent level (logit), so that at its own runs' hours and weekdays the
        model reproduces its recency-weighted failure rate (shrunk with ``level_prior_runs``)."""
        wf, h, d, y, recency, p_bar = self._level_inputs
        n_wf = len(self.workflows_)
        offset = self._beta[h] + self._beta[24 + d] + self.workflow_hour_effect_[wf, h]
        weight_sum = np.bincount(wf, weights=recency, minlength=n_wf)
        fail_sum = np.bincount(wf, weights=recency * y, minlength=n_wf)
        k = self.level_prior_runs
        level = _logit((fail_sum + k * p_bar) / (weight_sum + k))
        for _ in range(8):
            p = _sigmoid(level[wf] + offset)
            p0 = _sigmoid(level)
            grad = fail_sum - np.bincount(wf, weights=recency * p, minlength=n_wf) + k * (p_bar - p0)
            hess = np.bincount(wf, weights=recency * p * (1 - p), minlength=n_wf) + k * p0 * (1 - p0)
            level += np.clip(grad / np.maximum(hess, 1e-9), -3.0, 3.0)
        self.workflow_level_ = level
        self.workflow_runs_ = weight_sum

    # ----- uncertainty ------------------------------------------------------------------------
    def resampled(self, rng: np.random.Generator) -> "FailureModel":
        """A copy fitted on a week-block bootstrap resample of the same runs, with the hour and
        weekday effects then drawn from their (Laplace) posterior, so that hours with few
        comparable runs carry their uncertainty (for confidence)."""
        clone = FailureModel(
            self.prior_strength,
            self.half_life_days,
            self.level_prior_runs,
            self.neighbour_weight,
            self.iterations,
            self.stratum_prior_runs,
            self.hour_prior_scale,
            self.min_prior_strength,
            self.max_prior_strength,
        )
        clone.__dict__.update({k: v for k, v in self.__dict__.items() if k.startswith("_") or k == "workflows_"})
        clone._fit_arrays(block_resample(self._blocks, rng), start=self._beta, learn_prior=False)
        clone._beta = rng.multivariate_normal(clone._beta, clone._covariance, method="cholesky")
        clone._set_levels()
        return clone

    # ----- predictions and figures ------------------------------------------------------------
    @property
    def hour_factor_(self) -> np.ndarray:
        """Failure odds at each UTC hour relative to the repository's typical (median) hour."""
        return np.exp(self._beta[:24] - np.median(self._beta[:24]))

    @property
    def weekday_factor_(self) -> np.ndarray:
        return np.exp(self._beta[24:] - np.median(self._beta[24:]))

    def grid(self, workflow_key: str) -> np.ndarray:
        """Failure probability for every UTC minute of the week (hour × weekday resolution)."""
        hour = self._beta[:24]
        if workflow_key in self._wf_index:
            i = self._wf_index[workflow_key]
            level, hour = self.workflow_level_[i], hour + self.workflow_hour_effect_[i]
        else:
            level = _logit(np.array(self.overall_failure_rate_)) - hour.mean() - self._beta[24:].mean()
        per_hour = _sigmoid(level + hour[None, :] + self._beta[24:, None])
        return np.repeat(per_hour.reshape(-1), 60)

    def hour_stats(self) -> list[dict[str, Any]]:
        """Per UTC hour: runs and observed success rate across the repository (raw, for charts),
        the fitted failure-odds factor (within workflows), and the runs that informed it."""
        factor = self.hour_factor_
        return [
            {
                "hour": h,
                "runs": int(self.hour_runs_[h]),
                "success_rate": round(1 - self.hour_failures_[h] / self.hour_runs_[h], 4) if self.hour_runs_[h] else None,
                "failure_factor": round(float(factor[h]), 3),
                "comparable_runs": int(self.hour_comparable_runs_[h]),
            }
            for h in range(24)
        ]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def circular_smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """Add ``weight`` × the neighbours one step away and half that two steps away (wrapping,
    along the last axis)."""
    out = values.astype(float).copy()
    for distance, w in ((1, weight), (2, weight / 2)):
        out += w * (np.roll(values, distance, axis=-1) + np.roll(values, -distance, axis=-1))
    return out


def run_occupancy(runs: Sequence[RunRecord], max_minutes: float = 360.0) -> tuple[np.ndarray, float]:
    """Average number of these runs active at each UTC minute of the week, and the weeks spanned."""
    if not runs:
        return np.zeros(WEEK_MINUTES), 0.0
    first = min(r.created_at for r in runs)
    last = max(r.created_at for r in runs)
    weeks = max(1.0, (last - first).total_seconds() / (7 * 86400))
    starts = np.array([minute_of_week(r.started_at) for r in runs])
    lengths = np.array([min(max(r.duration_seconds / 60.0, 1.0), max_minutes) for r in runs])
    return window_occupancy(starts, np.floor(lengths), np.ones(len(runs)), weeks), weeks


class BusyOccupancy:
    """The repository's busy hours (push / pull_request runs active per minute of the week),
    with week-block bootstrap resamples of the same runs (for confidence)."""

    def __init__(self, runs: Sequence[RunRecord], max_minutes: float = 360.0) -> None:
        self.runs = len(runs)
        self.occupancy, self.weeks = run_occupancy(runs, max_minutes)
        self._starts = np.array([minute_of_week(r.started_at) for r in runs], dtype=int)
        self._lengths = np.floor([min(max(r.duration_seconds / 60.0, 1.0), max_minutes) for r in runs])
        self._blocks = week_blocks([r.created_at for r in runs])

    def resampled(self, rng: np.random.Generator) -> np.ndarray:
        pick = block_resample(self._blocks, rng)
        if not len(pick):
            return self.occupancy
        return window_occupancy(self._starts[pick], self._lengths[pick], np.ones(len(pick)), self.weeks)


def window_occupancy(starts: np.ndarray, lengths: np.ndarray, weights: np.ndarray, weeks: float) -> np.ndarray:
    """Expected active runs per UTC minute of the week for windows ``[start, start+length)``,
    summed over ``weeks`` of ticks and divided by them (circular: a window may wrap past Sunday)."""
    begin = np.asarray(starts, dtype=float).astype(int) % WEEK_MINUTES
    end = begin + np.clip(np.rint(lengths).astype(int), 1, WEEK_MINUTES)
    weight = np.asarray(weights, dtype=float)
    wraps = end > WEEK_MINUTES
    diff = np.zeros(WEEK_MINUTES + 1)
    np.add.at(diff, begin, weight)
    np.add.at(diff, np.where(wraps, WEEK_MINUTES, end), -weight)
    np.add.at(diff, np.zeros(int(wraps.sum()), dtype=int), weight[wraps])
    np.add.at(diff, end[wraps] - WEEK_MINUTES, -weight[wraps])
    return np.cumsum(diff)[:-1] / max(weeks, 1e-9)


def window_average(occupancy: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Mean of a circular weekly ``occupancy`` over windows (vectorised via a prefix sum)."""
    prefix = np.concatenate([[0.0], np.cumsum(np.concatenate([occupancy, occupancy]))])
    s = np.asarray(starts, dtype=int) % WEEK_MINUTES
    n = np.clip(np.rint(lengths).astype(int), 1, WEEK_MINUTES)
    return (prefix[s + n] - prefix[s]) / n


def cost_table(
    weights: Weights,
    failure: np.ndarray,
    delay_seconds: np.ndarray,
    drop: np.ndarray,
    p50_by_hour: np.ndarray,
    p90_by_hour: np.ndarray,
    others: np.ndarray,
) -> dict[str, np.ndarray]:
    """Every cost term for every UTC minute of the week, and their weighted sum under ``"total"``.

    ``failure``, ``delay_seconds`` and ``drop`` are per-minute-of-week arrays; durations are per
    UTC hour (seconds); ``others`` is the occupancy of every other run the slot competes with.
    """
    cells = np.arange(WEEK_MINUTES)
    hours = (cells // 60) % 24
    reference = float(np.median(p50_by_hour))
    starts = cells + delay_seconds / 60.0
    lengths = np.maximum(p90_by_hour[hours] / 60.0, 1.0)
    terms = {
        "failure": failure,
        "drop": drop,
        "delay": delay_seconds / 3600.0,
        "duration": p50_by_hour[hours] / reference - 1.0 if reference > 0 else np.zeros(WEEK_MINUTES),
        "overlap": window_average(others, np.rint(starts), lengths),
        "round_minute": roundness(cells % 60),
    }
    total = sum(getattr(weights, name) * value for name, value in terms.items())
    return {**terms, "total": total}
