"""Schedule stage: read workflow crons, score frequency-preserving alternatives, report conflicts,
liveness and timeouts. :func:`recommend` is the one entry point the shells call.

The scoring modules need numpy; they are loaded on first use (PEP 562 ``__getattr__``), so a
command that only needs :mod:`.decision` (the CLI's defaults, ``health``) starts fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

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

_LAZY = {
    "recommend": "recommend",
    "schedule_timezones": "recommend",
    "Weights": "scoring",
    "FailureModel": "failure",
    "Cron": "cron",
    "frequency_signature": "cron",
    "WorkflowFile": "workflows",
    "WorkflowFileError": "workflows",
    "read_workflows": "workflows",
    "parse_workflow": "workflows",
    "find_conflicts": "conflicts",
    "recommend_timeout": "timeouts",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    loaded = import_module(f".{module}", __name__)
    # Importing ``.recommend`` binds the submodule as this package's attribute ``recommend``;
    # every public name of the module is bound now, so the function wins over the module.
    for public, home in _LAZY.items():
        if home == module:
            globals()[public] = getattr(loaded, public)
    return globals()[name]
