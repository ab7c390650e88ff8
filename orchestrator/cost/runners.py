"""Which runner SKU a job runs on, read from its ``runs-on`` labels.

GitHub-hosted standard labels name the OS (``ubuntu-24.04``, ``windows-latest``,
``macos-14``); ``-arm`` images are arm64; larger runners are named by their owners, so a core count
is read from names such as ``ubuntu-22.04-16core`` or ``linux-8-cores``, and ``gpu`` marks a GPU
runner. ``self-hosted`` (or a ``group:``) is self-hosted. An expression (``${{ matrix.os }}``)
cannot be read here and is reported as unknown rather than guessed.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from .rates import SELF_HOSTED

__all__ = ["labels_of", "sku_for", "STANDARD", "UNKNOWN"]

UNKNOWN = "unknown"
#: Standard GitHub-hosted runners: free in public repositories.
STANDARD = frozenset({"linux-2", "windows-2", "macos", "linux-arm64-2"})
_CORES = re.compile(r"(\d+)[-_]?cores?\b")


def labels_of(runs_on: Any) -> tuple[str, ...]:
    """``runs-on`` as its labels: a string, a list, or ``{group, labels}``."""
    if isinstance(runs_on, str):
        return (runs_on,)
    if isinstance(runs_on, list):
        return tuple(str(v) for v in runs_on)
    if isinstance(runs_on, dict):
        labels = runs_on.get("labels")
        found = labels_of(labels) if labels is not None else ()
        return (*found, SELF_HOSTED) if "group" in runs_on else found
    return ()


def sku_for(labels: Sequence[str]) -> str:
    """The SKU of a job with these labels (``unknown`` when they cannot say)."""
    text = " ".join(labels).lower()
    if not text or "${{" in text:
        return UNKNOWN
    if SELF_HOSTED in text:
        return SELF_HOSTED
    cores = int(match.group(1)) if (match := _CORES.search(text)) else None
    if "macos" in text:
        return "macos-xl" if ("xlarge" in text or "large" in text or cores) else "macos"
    if "gpu" in text:
        return "linux-gpu-4"
    if "windows" in text:
        return f"windows-{cores or 2}"
    if "arm" in text:
        return f"linux-arm64-{cores or 2}"
    if "ubuntu" in text or "linux" in text:
        return f"linux-{cores or 2}"
    return UNKNOWN
