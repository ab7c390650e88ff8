"""Generated repository histories with the shapes issue 11 names, for ``bench/learn_quality.py``.

Why a generator next to GHAminer: the hidden histories our predictions are scored on have shapes
the GHAminer set shows rarely or not at all, and a learner tuned on GHAminer alone can fit its
quirks. Each shape here is one workflow of a fake repository ``shapes/seed-N`` with a known cause,
so a table restricted to one workflow tells which shape a method handles and which it does not.

==================  ===========================================================================
workflow file       shape (what in a real repository produces it)
==================  ===========================================================================
``ci.yml``          level shifts: the duration steps up or down ×1.5–3 at 2–4 random points (a
                    new test suite, a broken or a fixed cache); isolated failures stop part-way,
                    a rare ``startup_failure`` takes no time
``tests.yml``       bimodal: successes take minutes, failures end within seconds (a failing
                    lint step stops the job); failures come in blocks (a broken main) and alone;
                    a rare hung run is ``timed_out`` at its 45-minute limit
``integration.yml`` a real hour-of-day effect: runs created 13:00–19:00 UTC take ×1.8 (shared
                    runners and services are busy then)
``nightly.yml``     the confound: scheduled daily at 03:17 UTC (plus a few manual
                    ``workflow_dispatch`` runs at other hours); a slow spell of 3–6 weeks (×2.5)
                    falls entirely on scheduled runs, so it looks like "03:00 is slow" without
                    being one
``e2e.yml``         half the runs ``cancelled`` (``concurrency: cancel-in-progress``): present in
                    the store, never scored, and their partial durations must not be learned
``labeler.yml``,    tiny workflows: runs take 4–45 s, so at minute resolution nearly all are 0
``title-lint.yml``, ("under a minute"); 3% take 1–2 minutes. ``title-lint`` fails often, and
``greet.yml``       fast
``release.yml``     thin: 5–30 runs over the whole history, on tag pushes
==================  ===========================================================================

Every history also carries ``push``/``pull_request``/``schedule``/``workflow_dispatch`` events,
feature and Dependabot branches, four maintainers, outside contributors and a bot (Dependabot's
runs are shorter). Durations are whole minutes rounded down, as a source that reports minutes
gives them, and runs have no ``run_started_at`` (like GHAminer), so ``duration_seconds`` is
``updated_at - created_at``; a run still going when the history ends is stored in progress.
A history has 2,000–6,000 runs over 180 days; everything follows from the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from orchestrator.model import RunRecord

__all__ = ["SHAPES", "shape_history"]

START = datetime(2025, 1, 6, tzinfo=timezone.utc)  # a Monday
DAYS = 180
SPAN = DAYS * 86400.0
MAINTAINERS = ("alice", "bob", "carol", "dave")
CONTRIBUTORS = ("erin", "frank", "grace", "heidi", "ivan", "judy")
BOT = "dependabot[bot]"

#: workflow file → (display name, shape), in the order of the module docstring's table.
SHAPES: dict[str, tuple[str, str]] = {
    "ci.yml": ("CI", "level shifts"),
    "tests.yml": ("Tests", "bimodal failures"),
    "integration.yml": ("Integration", "hour of day"),
    "nightly.yml": ("Nightly", "confounded hour"),
    "e2e.yml": ("E2E", "half cancelled"),
    "labeler.yml": ("Labeler", "tiny"),
    "title-lint.yml": ("PR title", "tiny, failing"),
    "greet.yml": ("Greetings", "tiny"),
    "release.yml": ("Release", "thin"),
}
#: Share of the busy workflows' runs (all but ``nightly`` and ``release``, whose counts follow
#: from their schedule and their thinness).
WEIGHTS = {"ci.yml": 0.28, "tests.yml": 0.20, "integration.yml": 0.12, "e2e.yml": 0.14,
           "labeler.yml": 0.09, "title-lint.yml": 0.09, "greet.yml": 0.08}


@dataclass
class _Runs:
    """One workflow's generated runs as parallel arrays (times in seconds after :data:`START`)."""

    created: np.ndarray
    seconds: np.ndarray
    conclusion: np.ndarray
    event: np.ndarray
    branch: np.ndarray
    actor: np.ndarray


def _work_times(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` sorted creation times when people push: mostly weekdays, around 14:00 UTC ± 3.5 h."""
    days = rng.integers(0, DAYS, 3 * n + 10)
    weekday = (days % 7) < 5  # START is a Monday
    days = days[weekday | (rng.random(len(days)) < 0.3)][:n]
    hours = np.mod(rng.normal(14.0, 3.5, n), 24.0)
    return np.sort(days * 86400.0 + hours * 3600.0)


def _triggers(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Event, branch and actor of ``n`` push / pull-request runs: a third are pushes to main by a
    maintainer; the rest belong to pull requests (several runs each), a tenth of them Dependabot's."""
    n_prs = max(1, n // 4)
    pr_author = rng.choice(np.array(MAINTAINERS + CONTRIBUTORS + (BOT,), dtype=object), n_prs,
                           p=[0.1] * 4 + [0.08] * 6 + [0.12])
    pr = rng.integers(0, n_prs, n)
    push = rng.random(n) < 0.33
    event = np.where(push, "push", "pull_request").astype(object)
    actor = np.where(push, rng.choice(np.array(MAINTAINERS, dtype=object), n), pr_author[pr]).astype(object)
    branch = np.array([("main" if p else f"dependabot/npm_and_yarn/pkg-{k}" if a == BOT else f"feature/{k}")
                       for p, a, k in zip(push, actor, pr)], dtype=object)
    return event, branch, actor


def _blocks(rng: np.random.Generator, n: int, break_rate: float, stay_red: float, isolated: float) -> np.ndarray:
    """Failure flags in time order: a Markov chain that stays red a while once broken, plus
    independent one-off failures (a flaky test)."""
    red = np.zeros(n, dtype=bool)
    state = False
    for i in range(n):
        state = rng.random() < (stay_red if state else break_rate)
        red[i] = state
    return red | (rng.random(n) < isolated)


def _busy(rng: np.random.Generator, n: int,
          lognormal_sd: float) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Creation times, per-run noise and triggers of a push / pull-request workflow."""
    created = _work_times(rng, n)
    return created, rng.lognormal(0.0, lognormal_sd, n), _triggers(rng, n)


def _ci(rng: np.random.Generator, n: int) -> _Runs:
    created, noise, (event, branch, actor) = _busy(rng, n, 0.15)
    level = np.full(n, rng.uniform(360, 900))
    for cut in np.sort(rng.uniform(0.1, 0.9, rng.integers(2, 5))) * SPAN:
        level[created >= cut] *= rng.uniform(1.5, 3.0) ** rng.choice((-1, 1))
    seconds = np.clip(level, 90, 3 * 3600) * np.where(event == "pull_request", 0.9, 1.0)
    seconds *= np.where(actor == BOT, 0.6, 1.0) * noise
    failed = rng.random(n) < 0.07
    seconds = np.where(failed, seconds * rng.uniform(0.3, 0.9, n), seconds)
    startup = rng.random(n) < 0.005
    conclusion = np.where(startup, "startup_failure", np.where(failed, "failure", "success"))
    return _Runs(created, np.where(startup, 0.0, seconds), conclusion, event, branch, actor)


def _tests(rng: np.random.Generator, n: int) -> _Runs:
    created, noise, (event, branch, actor) = _busy(rng, n, 0.2)
    failed = _blocks(rng, n, break_rate=0.03, stay_red=0.85, isolated=0.05)
    hung = ~failed & (rng.random(n) < 0.005)
    seconds = np.where(failed, rng.uniform(3, 50, n), rng.uniform(480, 1200) * noise)
    seconds = np.where(hung, 45 * 60.0, seconds)
    conclusion = np.where(hung, "timed_out", np.where(failed, "failure", "success"))
    return _Runs(created, seconds, conclusion, event, branch, actor)


def _integration(rng: np.random.Generator, n: int) -> _Runs:
    created, noise, (event, branch, actor) = _busy(rng, n, 0.12)
    hour = (created // 3600) % 24
    seconds = rng.uniform(600, 1200) * np.where((hour >= 13) & (hour < 19), 1.8, 1.0) * noise
    failed = rng.random(n) < 0.06
    seconds = np.where(failed, seconds * 0.5, seconds)
    return _Runs(created, seconds, np.where(failed, "failure", "success"), event, branch, actor)


def _nightly(rng: np.random.Generator) -> _Runs:
    spell_start = rng.uniform(0.3, 0.7) * SPAN
    spell_end = spell_start + rng.integers(21, 43) * 86400.0
    scheduled = np.arange(DAYS) * 86400.0 + (3 * 3600 + 17 * 60) + rng.uniform(0, 900, DAYS)
    manual = _work_times(rng, int(rng.integers(30, 70)))
    manual = manual[(manual < spell_start) | (manual >= spell_end)]
    created = np.concatenate([scheduled, manual])
    order = np.argsort(created, kind="stable")
    created = created[order]
    is_manual = (np.arange(len(order)) >= DAYS)[order]
    n = len(created)
    in_spell = (created >= spell_start) & (created < spell_end)
    seconds = rng.uniform(1200, 2100) * np.where(in_spell, 2.5, 1.0) * rng.lognormal(0.0, 0.1, n)
    failed = rng.random(n) < 0.08
    seconds = np.where(failed, seconds * rng.uniform(0.2, 1.0, n), seconds)
    event = np.where(is_manual, "workflow_dispatch", "schedule").astype(object)
    # A scheduled run's actor is whoever last edited the cron.
    actor = np.where(is_manual, rng.choice(np.array(MAINTAINERS, dtype=object), n), "alice").astype(object)
    return _Runs(created, seconds, np.where(failed, "failure", "success"), event,
                 np.full(n, "main", dtype=object), actor)


def _e2e(rng: np.random.Generator, n: int) -> _Runs:
    created, noise, (event, branch, actor) = _busy(rng, n, 0.2)
    seconds = rng.uniform(360, 840) * noise
    cancelled = rng.random(n) < 0.5
    failed = ~cancelled & (rng.random(n) < 0.1)
    seconds = np.where(cancelled, seconds * rng.uniform(0.05, 0.7, n), seconds)
    conclusion = np.where(cancelled, "cancelled", np.where(failed, "failure", "success"))
    return _Runs(created, seconds, conclusion, event, branch, actor)


def _tiny(rng: np.random.Generator, n: int, fail_rate: float, event_name: str) -> _Runs:
    created = _work_times(rng, n)
    _, branch, actor = _triggers(rng, n)
    seconds = np.where(rng.random(n) < 0.03, rng.uniform(60, 150, n), rng.uniform(4, 45, n))
    failed = rng.random(n) < fail_rate
    seconds = np.where(failed, rng.uniform(3, 20, n), seconds)
    return _Runs(created, seconds, np.where(failed, "failure", "success"),
                 np.full(n, event_name, dtype=object), branch, actor)


def _release(rng: np.random.Generator) -> _Runs:
    n = int(rng.integers(5, 31))
    created = np.sort(rng.uniform(0, SPAN, n))
    seconds = rng.uniform(240, 900) * rng.lognormal(0.0, 0.3, n)
    failed = rng.random(n) < 0.1
    return _Runs(created, seconds, np.where(failed, "failure", "success"), np.full(n, "push", dtype=object),
                 np.array([f"v1.{i}.0" for i in range(n)], dtype=object),
                 rng.choice(np.array(MAINTAINERS, dtype=object), n))


def shape_history(seed: int) -> list[RunRecord]:
    """The runs of repository ``shapes/seed-<seed>``, sorted by creation (ids unique across seeds)."""
    rng = np.random.default_rng(seed)
    total = int(rng.integers(2000, 6001))
    nightly, release = _nightly(rng), _release(rng)
    busy = total - len(nightly.created) - len(release.created)
    counts = {name: int(round(busy * share)) for name, share in WEIGHTS.items()}
    generated = {
        "ci.yml": _ci(rng, counts["ci.yml"]),
        "tests.yml": _tests(rng, counts["tests.yml"]),
        "integration.yml": _integration(rng, counts["integration.yml"]),
        "nightly.yml": nightly,
        "e2e.yml": _e2e(rng, counts["e2e.yml"]),
        "labeler.yml": _tiny(rng, counts["labeler.yml"], 0.01, "pull_request_target"),
        "title-lint.yml": _tiny(rng, counts["title-lint.yml"], 0.12, "pull_request"),
        "greet.yml": _tiny(rng, counts["greet.yml"], 0.01, "pull_request_target"),
        "release.yml": release,
    }
    rows = [(float(runs.created[i]), file, runs, i) for file, runs in generated.items() for i in range(len(runs.created))]
    rows.sort(key=lambda row: (row[0], row[1]))
    repository = f"shapes/seed-{seed}"
    end = START + timedelta(seconds=SPAN)
    numbers: dict[str, int] = {}
    records = []
    for index, (created, file, runs, i) in enumerate(rows):
        numbers[file] = numbers.get(file, 0) + 1
        created_at = START + timedelta(seconds=int(created))
        updated_at = created_at + timedelta(minutes=int(runs.seconds[i] // 60))
        running = updated_at > end
        records.append(RunRecord(
            id=seed * 10_000_000 + index + 1, repository=repository, name=SHAPES[file][0],
            created_at=created_at, updated_at=created_at if running else updated_at,
            run_number=numbers[file], workflow_id=1000 + list(SHAPES).index(file),
            path=f".github/workflows/{file}", event=str(runs.event[i]), head_branch=str(runs.branch[i]),
            status="in_progress" if running else "completed",
            conclusion=None if running else str(runs.conclusion[i]), actor=str(runs.actor[i]),
        ))
    return records
