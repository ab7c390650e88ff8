"""Learning from run history: leak-free features, duration / success models, baselines, evaluation.

``RunContext`` and ``Prediction`` are plain dataclasses and import instantly; everything else
pulls in pandas and scikit-learn, so it is loaded on first use (PEP 562 ``__getattr__``) and a
CLI command that never predicts never pays for those imports.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .contexts import Prediction, RunContext

__all__ = [
    "RunContext",
    "Prediction",
    "Predictor",
    "fit_predictor",
    "clear_cache",
    "backtest",
    "accuracy_report",
    "make_prediction_log_entries",
    "new_prediction_entries",
    "resource_impact",
]

_LAZY = {
    "Predictor": "predictor",
    "fit_predictor": "predictor",
    "clear_cache": "predictor",
    "backtest": "backtesting",
    "accuracy_report": "accuracy",
    "make_prediction_log_entries": "accuracy",
    "new_prediction_entries": "accuracy",
    "resource_impact": "impact",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
