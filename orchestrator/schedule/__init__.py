"""Schedule stage: read workflow crons, score frequency-preserving alternatives, report conflicts,
liveness and timeouts. :func:`recommend` is the one entry point the shells call."""

from .conflicts import find_conflicts
from .cron import Cron, frequency_signature
from .recommend import recommend, schedule_timezones
from .scoring import FailureModel, Weights
from .timeouts import recommend_timeout
from .workflows import WorkflowFile, WorkflowFileError, parse_workflow, read_workflows

__all__ = [
    "recommend",
    "schedule_timezones",
    "Weights",
    "Cron",
    "frequency_signature",
    "FailureModel",
    "WorkflowFile",
    "WorkflowFileError",
    "read_workflows",
    "parse_workflow",
    "find_conflicts",
    "recommend_timeout",
]
