"""The two value types of the learning API, importable without pandas or scikit-learn.

The CLI builds :class:`RunContext` objects from user input before it knows whether a model is
needed; keeping them here lets ``import orchestrator.learn`` stay cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..errors import ValidationError

__all__ = ["RunContext", "Prediction"]


@dataclass(frozen=True)
class RunContext:
    """A run that might be created: which workflow, when, and optionally for which event/branch/actor.

    ``branch=None`` means the workflow's default branch; ``event=None`` its most common event;
    ``actor=None`` (the login that triggers the run) its most common actor.
    """

    workflow_key: str
    at: datetime
    event: str | None = None
    branch: str | None = None
    actor: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValidationError("at", self.at.isoformat(), "an aware UTC time, e.g. 2025-01-31T09:30:00Z")


@dataclass(frozen=True)
class Prediction:
    """Model output for one context; ``None`` where the workflow has no usable history."""

    duration_p50_seconds: float | None
    duration_p90_seconds: float | None
    success_probability: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {
            "duration_p50_seconds": self.duration_p50_seconds,
            "duration_p90_seconds": self.duration_p90_seconds,
            "success_probability": self.success_probability,
        }
