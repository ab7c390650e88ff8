"""Reading the values of a repository report, which another version (or a hand) may have written:
every figure is checked for its type on the way in, never trusted."""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from ..cost.rates import SELF_HOSTED

__all__ = ["as_mapping", "as_number", "as_strings", "rounded", "runner_group", "share_of", "workflow_ref"]


def runner_group(labels: Sequence[Any]) -> str:
    """A job's ``runs-on`` labels as one group name: lower-cased, each once, ``self-hosted`` first
    and the rest sorted (GitHub matches labels as a set, whatever their order or case)."""
    seen: list[str] = []
    for label in labels:
        text = str(label).strip().lower()
        if text and text not in seen:
            seen.append(text)
    rest = sorted(v for v in seen if v != SELF_HOSTED)
    return ",".join(([SELF_HOSTED] if SELF_HOSTED in seen else []) + rest) or "(none)"


def as_number(value: Any) -> float | None:
    """A finite number, else ``None`` (a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def as_strings(value: Any) -> list[str]:
    """A string or a list of scalars as strings; anything else as none."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and not isinstance(v, (dict, list))]
    return []


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def share_of(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole > 0 else None


def workflow_ref(row: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """A workflow row named by repository, workflow and path, with ``keys`` of its figures."""
    return {"repository": row["repository"], "workflow": row["workflow"], "path": row["path"],
            **{k: row[k] for k in keys}}
