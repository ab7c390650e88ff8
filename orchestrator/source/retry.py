"""How long to wait before trying GitHub again: jittered backoff and rate-limit resets, bounded.

Kept apart from the client so the policy is one small, testable object: sync must never sleep
for an hour because a header said so, and never hammer a struggling server in lock step.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

#: GitHub asks clients hit by a secondary rate limit without ``retry-after`` to wait a minute.
SECONDARY_LIMIT_WAIT = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and waits for one request.

    ``attempts`` bounds tries on transient failures (5xx, resets, timeouts); ``max_wait`` bounds any
    single wait, including a rate-limit reset — a longer one stops the sync cleanly instead.
    """

    attempts: int = 4
    base_seconds: float = 1.0
    cap_seconds: float = 30.0
    max_wait: float = 60.0
    rate_limit_waits: int = 2
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, failures: int) -> float:
        """Full-jitter exponential backoff: uniform in [0, min(cap, base·2^(n-1))]."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, failures - 1))
        return self.rng.uniform(0, ceiling)


def rate_limit_wait(headers: Mapping[str, str], now: float) -> float:
    """Seconds GitHub asks us to wait, from ``retry-after`` or ``x-ratelimit-reset`` (≥ 0).

    Without either header (a secondary limit), GitHub's documented one minute.
    """
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
    reset = headers.get("x-ratelimit-reset")
    if reset is not None and headers.get("x-ratelimit-remaining") == "0":
        try:
            return max(0.0, float(reset) - now) + 1.0
        except ValueError:
            pass
    return SECONDARY_LIMIT_WAIT
