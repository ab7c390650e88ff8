"""Failure probability by hour of day and weekday, learned only from runs that can be compared.

Which workflows run at which hour is not random: a nightly job that was broken for a month fails
at its own hour, and pooled raw rates would paint that hour red. So hour effects are identified
within strata of one workflow and branch in one ISO week, whatever triggered the runs: a nightly
job's scheduled runs at 04:00 are compared with its own dispatches and pushes at other hours that
week, and an hourly job compares all 24 hours every week. A stratum whose runs all fall in one
hour says nothing about hours; a broken spell, shared by the workflow's runs at every hour of
those weeks, is absorbed by its strata's levels.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

import numpy as np

from ..learn.delay import week_blocks
from ..model import FAILURE, SUCCESS, RunRecord
from .scoring import circular_smooth

__all__ = ["FailureModel", "CODE_IN_FLUX_EVENTS", "logit"]

#: Runs of code under review: whether they fail follows when their authors push unfinished work,
#: not what the hour does to a run, so they do not inform the hour effects of scheduled runs.
CODE_IN_FLUX_EVENTS = frozenset({"pull_request", "pull_request_target"})
#: Ridge (logit units) on each trigger's effect: weak, since triggers are few and well observed.
EVENT_PRIOR_STRENGTH = 1.0
#: The ridge (logit units) of the first fit, whose nearly unshrunk effects the empirical-Bayes
#: step reads: just enough to keep hours without runs at 0.
FIRST_PASS_STRENGTH = 1.0
#: Columns of the design: 24 hours, 7 weekdays, then one per trigger.
HOURS, WEEKDAYS = 24, 7


class FailureModel:
    """A fixed-effects logistic model with the stratum levels profiled out:

        logit P(failure) = α[stratum] + β[hour] + γ[weekday] + δ[event]

    where a stratum is one workflow and branch in one week (see the module docstring), and δ lets
    a trigger fail more or less often than another (a push tests new code; a dispatch is often a
    retry). ``pull_request`` runs are left out (``CODE_IN_FLUX_EVENTS``) but still count in the
    raw per-hour figures of :meth:`hour_stats`.

    β and γ are a pooled random effect across the repository's workflows: shrunk towards 0 (no
    effect) with a ridge whose strength is learned from the data (empirical Bayes, see
    :meth:`_learned_penalty`), so they are shrunk only as much as the evidence is thin;
    neighbouring hours are pulled together (``neighbour_weight``). Each workflow may deviate from
    the pooled hours as far as its own within-stratum evidence shows (one penalised Newton step
    from the pooled curve). The level used for predictions is the workflow's recency-weighted
    failure rate (``half_life_days``) freed of the hours and triggers it ran at, because
    failures come in blocks that last months.
    """

    def __init__(
        self,
        prior_strength: float = 20.0,
        half_life_days: float = 30.0,
        level_prior_runs: float = 2.0,
        neighbour_weight: float = 0.5,
        iterations: int = 30,
        stratum_prior_runs: float = 0.05,
        min_prior_strength: float = 2.0,
        max_prior_strength: float = 400.0,
    ) -> None:
        self.prior_strength = prior_strength
        self.half_life_days = half_life_days
        self.level_prior_runs = level_prior_runs
        self.neighbour_weight = neighbour_weight
        self.iterations = iterations
        self.stratum_prior_runs = stratum_prior_runs
        self.min_prior_strength = min_prior_strength
        self.max_prior_strength = max_prior_strength

    def fit(self, runs: Sequence[RunRecord], now: datetime) -> "FailureModel":
        everything = [r for r in runs if r.outcome in (SUCCESS, FAILURE)]
        raw_hours = np.array([r.created_at.hour for r in everything], dtype=int)
        raw_failed = np.array([r.outcome == FAILURE for r in everything], dtype=float)
        self.hour_runs_ = np.bincount(raw_hours, minlength=HOURS)
        self.hour_failures_ = np.bincount(raw_hours, weights=raw_failed, minlength=HOURS)
        judged = [r for r in everything if r.event not in CODE_IN_FLUX_EVENTS]
        self.workflows_ = sorted({r.workflow_key for r in judged})
        self._wf_index = {w: i for i, w in enumerate(self.workflows_)}
        self.events_ = sorted({r.event or "" for r in judged})
        self._event_index = {e: i for i, e in enumerate(self.events_)}
        self._n_cols = HOURS + WEEKDAYS + len(self.events_)
        self._wf = np.array([self._wf_index[r.workflow_key] for r in judged], dtype=int)
        self._cols = np.array(
            [
                [r.created_at.hour for r in judged],
                [HOURS + r.created_at.weekday() for r in judged],
                [HOURS + WEEKDAYS + self._event_index[r.event or ""] for r in judged],
            ],
            dtype=int,
        ).reshape(3, -1)
        self._failed = np.array([r.outcome == FAILURE for r in judged], dtype=float)
        age_days = np.array([(now - r.created_at).total_seconds() / 86400 for r in judged], dtype=float)
        self._recency = 0.5 ** (np.clip(age_days, 0, None) / self.half_life_days)
        self._blocks = week_blocks([r.created_at for r in judged])
        strata: dict[tuple[Any, ...], int] = {}
        self._strata = np.array(
            [
                strata.setdefault((r.workflow_key, r.head_branch or "", block), len(strata))
                for r, block in zip(judged, self._blocks)
            ],
            dtype=int,
        )
        self._n_strata = len(strata)
        self._aggregate()
        self._fit_arrays(np.ones(len(self._c_n)))
        return self

    def _aggregate(self) -> None:
        """Runs → cells of one stratum, hour, weekday and trigger (counts, failures, recency).

        The likelihood depends on runs only through these sums, and a week-block resample only
        reweights whole weeks, hence whole cells: fitting (and refitting 40 times) costs cells,
        not runs.
        """
        k = self._n_cols
        code = (self._strata * k + self._cols[0]) * k * k + self._cols[1] * k + self._cols[2]
        _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
        inverse = np.asarray(inverse).reshape(-1)
        m = len(first)
        self._c_strata, self._c_cols, self._c_wf = self._strata[first], self._cols[:, first], self._wf[first]
        self._c_n = np.bincount(inverse, minlength=m).astype(float)
        self._c_y = np.bincount(inverse, weights=self._failed, minlength=m)
        self._c_recency = np.bincount(inverse, weights=self._recency, minlength=m)
        self._c_recency_y = np.bincount(inverse, weights=self._recency * self._failed, minlength=m)
        weeks, self._c_week = np.unique(self._blocks[first], return_inverse=True)
        self._c_week = np.asarray(self._c_week).reshape(-1)
        self._n_weeks = len(weeks)
        # A stratum with a single cell (one hour, weekday and trigger) says nothing about any of
        # them: its level absorbs it exactly. The Newton fit runs on the other strata only,
        # renumbered densely, which on a history with many branches is most of the saving.
        cells_per_stratum = np.bincount(self._c_strata, minlength=self._n_strata)
        self._informative = np.flatnonzero(cells_per_stratum[self._c_strata] >= 2)
        kept, dense = np.unique(self._c_strata[self._informative], return_inverse=True)
        self._dense_strata, self._n_dense = np.asarray(dense).reshape(-1), len(kept)

    # ----- fitting ----------------------------------------------------------------------------
    def _fit_arrays(
        self, weight: np.ndarray, start: tuple[np.ndarray, np.ndarray] | None = None, learn_prior: bool = True
    ) -> None:
        """Fit on the cells, each counted ``weight`` times (1 for the history, a week's
        multiplicity for a resample), warm-started from ``start`` (α, β) when given."""
        cols, wf = self._c_cols, self._c_wf
        n, y = self._c_n * weight, self._c_y * weight
        n_wf = len(self.workflows_)
        self.n_runs_ = int(round(n.sum()))
        overall = float(y.sum() / n.sum()) if n.sum() else 0.0
        self.overall_failure_rate_ = overall
        p_bar = min(max(overall, 0.02), 0.98)
        # Runs that can inform an hour: their stratum also ran at other hours.
        all_s, n_all = self._c_strata, self._n_strata
        s_h = np.bincount(all_s * HOURS + cols[0], weights=n, minlength=n_all * HOURS).reshape(n_all, HOURS)
        mixed = (s_h > 0).sum(axis=1) > 1
        self.hour_comparable_runs_ = np.rint(s_h[mixed].sum(axis=0)).astype(int)
        # A stratum's level starts at (and is weakly held towards) its workflow's failure rate.
        wf_rate = (np.bincount(wf, weights=y, minlength=n_wf) + p_bar) / (np.bincount(wf, weights=n, minlength=n_wf) + 1.0)
        keep = self._informative
        s, cols_k, wf_k, n, y = self._dense_strata, cols[:, keep], wf[keep], n[keep], y[keep]
        h, n_s = cols_k[0], self._n_dense
        s_wf = np.zeros(n_s, dtype=int)
        s_wf[s] = wf_k
        tau = self.stratum_prior_runs * p_bar * (1 - p_bar)
        centre = logit(wf_rate)[s_wf]
        if start is None:
            s_n = np.bincount(s, weights=n, minlength=n_s)
            alpha = logit((np.bincount(s, weights=y, minlength=n_s) + wf_rate[s_wf]) / (s_n + 1.0))
            beta = np.zeros(self._n_cols)
        else:
            alpha, beta = start[0].copy(), start[1].copy()
        arrays = (s, cols_k, n, y, n_s, tau, centre)
        if learn_prior:
            # A first pass under a weak ridge gives nearly unshrunk effects and their information.
            self._penalty = self._penalty_matrix(FIRST_PASS_STRENGTH, FIRST_PASS_STRENGTH, smooth=0.0)
            alpha, beta, hessian = self._newton(arrays, alpha, beta)
            self._penalty = self._learned_penalty(beta, hessian)
        alpha, beta, hessian = self._newton(arrays, alpha, beta)
        self._alpha, self._beta = alpha, beta
        self._covariance = np.linalg.inv(hessian)
        p = _sigmoid(alpha[s] + beta[cols_k].sum(axis=0))
        w, resid_cell = n * p * (1 - p), y - n * p
        # Each workflow's own hours: one penalised Newton step from the pooled curve, using the
        # within-stratum residuals (single-hour strata have none) and their profiled information.
        # Residuals are taken within their stratum (its mean residual removed, in proportion to
        # each run's weight), so a stratum that ran at one hour adds nothing, prior pull included.
        w_s = np.maximum(np.bincount(s, weights=w, minlength=n_s), 1e-12)
        within = resid_cell - w * (np.bincount(s, weights=resid_cell, minlength=n_s) / w_s)[s]
        w_sh = np.bincount(s * HOURS + h, weights=w, minlength=n_s * HOURS).reshape(n_s, HOURS)
        info = w_sh - w_sh**2 / w_s[:, None]
        wf_info = np.zeros((n_wf, HOURS))
        np.add.at(wf_info, s_wf, info)
        resid = np.bincount(wf_k * HOURS + h, weights=within, minlength=n_wf * HOURS).reshape(n_wf, HOURS)
        lam = np.maximum(self.prior_strength * p_bar * (1 - p_bar), np.diag(self._penalty)[:HOURS])
        self.workflow_hour_effect_ = circular_smooth(resid, self.neighbour_weight) / (
            circular_smooth(wf_info, self.neighbour_weight) + lam
        )
        self._level_inputs = (wf, cols, self._c_recency * weight, self._c_recency_y * weight, p_bar)
        self._set_levels()

    def _newton(
        self, arrays: tuple[Any, ...], alpha: np.ndarray, beta: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Penalised Newton iterations with the stratum levels profiled out (Schur complement),
        so only within-stratum contrasts inform β; returns α, β and the profiled Hessian."""
        s, cols, n, y, n_s, tau, centre = arrays
        k = self._n_cols
        alpha, beta = alpha.copy(), beta.copy()
        hessian = self._penalty.copy()
        for _ in range(self.iterations):
            p = _sigmoid(alpha[s] + beta[cols].sum(axis=0))
            w, r = n * p * (1 - p), y - n * p
            g_alpha = np.bincount(s, weights=r, minlength=n_s) - tau * (alpha - centre)
            w_s = np.bincount(s, weights=w, minlength=n_s) + tau
            a = sum(np.bincount(s * k + c, weights=w, minlength=n_s * k) for c in cols).reshape(n_s, k)
            xtwx = sum(np.bincount(c1 * k + c2, weights=w, minlength=k * k) for c1 in cols for c2 in cols)
            g_beta = sum(np.bincount(c, weights=r, minlength=k) for c in cols) - self._penalty @ beta
            hessian = xtwx.reshape(k, k) + self._penalty - (a.T / w_s) @ a
            step_beta = np.linalg.solve(hessian, g_beta - a.T @ (g_alpha / w_s))
            step_alpha = (g_alpha - a @ step_beta) / w_s
            step_beta = np.clip(step_beta, -1.0, 1.0)
            alpha += np.clip(step_alpha, -3.0, 3.0)
            beta += step_beta
            if np.abs(step_beta).max() < 1e-4 and np.abs(step_alpha).max(initial=0.0) < 1e-3:
                break
        return alpha, beta, hessian

    def _learned_penalty(self, beta: np.ndarray, hessian: np.ndarray) -> np.ndarray:
        """How hard to shrink each effect, learned from the data (empirical Bayes).

        Hours: a real hour effect is sparse (a flaky dependency two to four hours a night, the
        rest of the day ordinary), which one normal prior over 24 hours cannot express: the many
        ordinary hours make its variance small and it flattens the bad window too. So each hour's
        unshrunk effect is read as either no effect or an effect from a spread learned from the
        data (a spike-and-slab mixture fitted by EM, :func:`sparse_shrinkage`), and its ridge is
        set so that the fit lands on that posterior mean: a noisy hour is shrunk to nothing, an
        hour whose evidence stands out keeps most of it. Weekdays: one normal prior whose
        variance is the spread of the unshrunk effects beyond their noise (method of moments).
        With no real effect, the spread is all noise and everything is shrunk to nothing, so the
        best of 24 noisy hours is not mistaken for a good hour.
        """
        information = np.diag(hessian - self._penalty)
        unshrunk = beta + (self._penalty @ beta) / np.maximum(information, 1e-9)
        hours = slice(0, HOURS)
        hour_strength = sparse_shrinkage(unshrunk[hours], information[hours], self.max_prior_strength)
        hour_strength = np.clip(hour_strength, self.min_prior_strength, self.max_prior_strength)
        info, raw = information[HOURS : HOURS + WEEKDAYS], unshrunk[HOURS : HOURS + WEEKDAYS]
        ok = info > 1.0
        weekday_strength = self.max_prior_strength
        if ok.sum() >= 4:
            centred = raw[ok] - np.average(raw[ok], weights=info[ok])
            spread = float(np.mean(centred**2) - np.mean(1.0 / info[ok]))
            if spread > 0:
                weekday_strength = float(np.clip(1.0 / spread, self.min_prior_strength, self.max_prior_strength))
        self.hour_prior_strength_, self.weekday_prior_strength_ = hour_strength, weekday_strength
        return self._penalty_matrix(hour_strength, weekday_strength, smooth=0.0)

    def _penalty_matrix(self, hour: np.ndarray | float, weekday: float, smooth: float | None = None) -> np.ndarray:
        """Ridge towards "no effect" (per hour, per weekday, per trigger), plus a pull between
        neighbouring hours (circular; ``neighbour_weight`` × the hour ridge unless given)."""
        events = self._n_cols - HOURS - WEEKDAYS
        hour = np.broadcast_to(np.asarray(hour, dtype=float), (HOURS,))
        penalty = np.diag(np.concatenate([hour, np.full(WEEKDAYS, weekday), np.full(events, EVENT_PRIOR_STRENGTH)]))
        pull = float(np.min(hour)) * self.neighbour_weight if smooth is None else smooth
        for h in range(HOURS):
            nxt = (h + 1) % HOURS
            penalty[h, h] += pull
            penalty[nxt, nxt] += pull
            penalty[h, nxt] -= pull
            penalty[nxt, h] -= pull
        return penalty

    def _set_levels(self) -> None:
        """Each workflow's recent level (logit), so that at its own runs' hours, weekdays and
        triggers the model reproduces its recency-weighted failure rate (shrunk with
        ``level_prior_runs``)."""
        wf, cols, recency, recency_y, p_bar = self._level_inputs
        n_wf = len(self.workflows_)
        offset = self._beta[cols].sum(axis=0) + self.workflow_hour_effect_[wf, cols[0]]
        weight_sum = np.bincount(wf, weights=recency, minlength=n_wf)
        fail_sum = np.bincount(wf, weights=recency_y, minlength=n_wf)
        k = self.level_prior_runs
        level = logit((fail_sum + k * p_bar) / (weight_sum + k))
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
            self.min_prior_strength,
            self.max_prior_strength,
        )
        clone.__dict__.update(
            {k: v for k, v in self.__dict__.items() if k.startswith("_") or k in ("workflows_", "events_")}
        )
        weeks = np.bincount(rng.integers(0, self._n_weeks, self._n_weeks), minlength=self._n_weeks)
        clone._fit_arrays(weeks[self._c_week].astype(float), start=(self._alpha, self._beta), learn_prior=False)
        clone._beta = rng.multivariate_normal(clone._beta, clone._covariance, method="cholesky")
        clone._set_levels()
        return clone

    # ----- predictions and figures ------------------------------------------------------------
    @property
    def hour_factor_(self) -> np.ndarray:
        """Failure odds at each UTC hour relative to the repository's typical (median) hour."""
        return np.exp(self._beta[:HOURS] - np.median(self._beta[:HOURS]))

    @property
    def weekday_factor_(self) -> np.ndarray:
        weekdays = self._beta[HOURS : HOURS + WEEKDAYS]
        return np.exp(weekdays - np.median(weekdays))

    def grid(self, workflow_key: str, event: str = "schedule") -> np.ndarray:
        """Failure probability of an ``event`` run for every UTC minute of the week (hour ×
        weekday resolution)."""
        hour, weekday = self._beta[:HOURS], self._beta[HOURS : HOURS + WEEKDAYS]
        trigger = self._beta[HOURS + WEEKDAYS + self._event_index[event]] if event in self._event_index else 0.0
        if workflow_key in self._wf_index:
            i = self._wf_index[workflow_key]
            level, hour = self.workflow_level_[i] + trigger, hour + self.workflow_hour_effect_[i]
        else:
            level = logit(np.array(self.overall_failure_rate_)) - hour.mean() - weekday.mean()
        per_hour = _sigmoid(level + hour[None, :] + weekday[:, None])
        return np.repeat(per_hour.reshape(-1), 60)

    def hour_evidence(self, window: Sequence[int]) -> dict[str, Any]:
        """How the ``window`` hours compare with the other hours, within workflows.

        Only strata with runs both inside and outside the window count (the comparisons the
        model learns from). ``weeks_worse`` of ``weeks`` is the persistence test: in how many
        weeks the window's runs failed more often than the same workflows' runs at other hours
        that week; ``workflows_worse`` of ``workflows`` counts the workflows whose runs show it
        over the whole history. ``odds`` is the fitted failure odds of the window relative to
        the other hours (pooled across workflows).
        """
        inside = np.isin(self._c_cols[0], np.asarray(list(window), dtype=int))
        s, n, y, n_s = self._c_strata, self._c_n, self._c_y, self._n_strata
        n_in = np.bincount(s, weights=n * inside, minlength=n_s)
        n_out = np.bincount(s, weights=n * ~inside, minlength=n_s)
        f_in = np.bincount(s, weights=y * inside, minlength=n_s)
        f_out = np.bincount(s, weights=y * ~inside, minlength=n_s)
        both = (n_in > 0) & (n_out > 0)
        weight = np.where(both, n_in * n_out / np.maximum(n_in + n_out, 1), 0.0)
        gap = np.where(both, f_in / np.maximum(n_in, 1) - f_out / np.maximum(n_out, 1), 0.0)
        stratum_week = np.zeros(n_s, dtype=int)
        stratum_week[s] = self._c_week
        stratum_wf = np.zeros(n_s, dtype=int)
        stratum_wf[s] = self._c_wf
        by_week = np.bincount(stratum_week, weights=weight * gap)
        week_seen = np.bincount(stratum_week, weights=both) > 0
        by_wf = np.bincount(stratum_wf, weights=weight * gap, minlength=len(self.workflows_))
        wf_seen = np.bincount(stratum_wf, weights=both, minlength=len(self.workflows_)) > 0
        hours = self._beta[:HOURS]
        rest = [h for h in range(HOURS) if h not in set(window)]
        odds = float(np.exp(hours[list(window)].mean() - np.median(hours[rest]))) if rest else 1.0
        return {
            "odds": odds,
            "weeks": int(week_seen.sum()),
            "weeks_worse": int((by_week[week_seen] > 0).sum()),
            "workflows": int(wf_seen.sum()),
            "workflows_worse": int((by_wf[wf_seen] > 0).sum()),
        }

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
            for h in range(HOURS)
        ]


def sparse_shrinkage(raw: np.ndarray, information: np.ndarray, max_strength: float) -> np.ndarray:
    """Per-hour ridge strengths that reproduce a spike-and-slab posterior mean.

    Whether hour ``h`` has an effect at all is judged on its neighbourhood (``h−1..h+1``, each
    hour's unshrunk effect ``raw`` weighted by its ``information``, circular), because a real
    hour effect spans neighbouring hours (a flaky window of two to four hours) while noise does
    not: each neighbourhood mean is ``N(0, v)`` (no effect) with probability ``1 − π`` or
    ``N(0, v + σ²)`` (an effect) with probability ``π``, π and σ² fitted by EM. An hour keeps
    ``P(effect) · σ² / (σ² + vₕ)`` of its own unshrunk effect, and the ridge ``λ`` with
    ``raw · info / (info + λ)`` equal to that is returned (``max_strength`` where it is nothing).
    """
    info = np.maximum(information, 1e-9)
    x = raw - np.average(raw, weights=info)
    near_info = info + np.roll(info, 1) + np.roll(info, -1)
    near_x = (info * x + np.roll(info * x, 1) + np.roll(info * x, -1)) / near_info
    v = 1.0 / near_info
    pi, s2 = 0.2, max(float(np.average(near_x**2, weights=near_info) - np.mean(v)), 0.05)
    for _ in range(100):
        slab = pi * _normal(near_x, v + s2)
        spike = (1 - pi) * _normal(near_x, v)
        r = slab / np.maximum(slab + spike, 1e-300)
        pi = float(np.clip(r.mean(), 1e-3, 0.5))
        # The slab's variance: each excess over its noise, weighted by how likely it is an effect.
        s2 = float(np.clip(np.sum(r * (near_x**2 - v)) / max(r.sum(), 1e-9), 0.05, 25.0))
    keep = r * s2 / (s2 + 1.0 / info)  # share of the hour's own unshrunk effect kept
    return np.where(keep > 1e-6, info * (1.0 / np.maximum(keep, 1e-6) - 1.0), max_strength)


def _normal(x: np.ndarray, variance: np.ndarray | float) -> np.ndarray:
    return np.exp(-(x**2) / (2 * variance)) / np.sqrt(2 * np.pi * variance)


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 − p)), clipped away from 0 and 1."""
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))
