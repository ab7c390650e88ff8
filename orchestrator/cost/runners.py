"""Which runner SKU a job runs on, read from its ``runs-on`` labels (or the jobs API's ``labels``).

SKUs are GitHub's billing SKU names (``linux``, ``windows_8_core``, ``linux_4_core_arm``,
``macos_xl``, ...), so a rate file can be checked line by line against GitHub's price list and
its usage reports. GitHub-hosted standard images have fixed labels (``ubuntu-24.04``,
``windows-latest``, ``macos-14``, ``ubuntu-24.04-arm``, ``ubuntu-slim``) and are free in public
repositories; larger runners are named by their owners, so a core count is read from names such
as ``ubuntu-22.04-16core`` or ``linux-8-cores``, ``arm`` marks arm64 and ``gpu`` a GPU runner.
``self-hosted`` (or a ``group:``) is self-hosted. An expression (``${{ matrix.os }}``) cannot be
read here and is reported as unknown rather than guessed; the jobs API, when fetched, names the
labels it resolved to.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from .rates import SELF_HOSTED

__all__ = ["labels_of", "sku_for", "is_standard", "UNKNOWN"]

UNKNOWN = "unknown"
_CORES = re.compile(r"(\d+)[-_]?cores?\b")
#: ``arm`` or ``arm64`` as a word of a label (``ubuntu-24.04-arm``, ``linux-arm64-4core``; not ``farm``).
_ARM = re.compile(r"(?:^|[^a-z0-9])arm(?:64)?(?:$|[^a-z0-9])")
#: The labels of GitHub's standard hosted images (``macos-14-large`` and friends are larger runners).
_STANDARD_LABEL = re.compile(r"^(?:(?:ubuntu|windows|macos)-(?:latest|\d+(?:\.\d+)?)(?:-arm|-intel)?|ubuntu-slim|windows-11-arm)$")


def labels_of(runs_on: Any) -> tuple[str, ...]:
    """``runs-on`` as its labels: a string, a list, or ``{group, labels}``."""
    if isinstance(runs_on, str):
        return (runs_on,)
    if isinstance(runs_on, list):
        return tuple(str(v) for v in runs_on)
    if isinstance(runs_on, dict):
        labels = runs_on.get("labels")
        found = labels_of(labels) if labels is not None else ()
        # A group is self-hosted unless its labels name a GitHub-hosted larger runner (those are
        # reached through runner groups too: ``{group: big, labels: ubuntu-22.04-16core}``).
        hosted = any(_CORES.search(str(v).lower()) or is_standard((str(v),)) for v in found)
        return (*found, SELF_HOSTED) if "group" in runs_on and not hosted else found
    return ()


def is_standard(labels: Sequence[str]) -> bool:
    """A GitHub-hosted standard runner (free in public repositories): one standard image label."""
    return len(labels) == 1 and _STANDARD_LABEL.match(labels[0].strip().lower()) is not None


def sku_for(labels: Sequence[str]) -> str:
    """The billing SKU of a job with these labels (``unknown`` when they cannot say)."""
    text = " ".join(labels).lower()
    if not text or "${{" in text:
        return UNKNOWN
    if SELF_HOSTED in text:
        return SELF_HOSTED
    cores = int(match.group(1)) if (match := _CORES.search(text)) else None
    windows = "windows" in text
    if "macos" in text:
        return "macos_xl" if "xlarge" in text else "macos_l" if "large" in text else "macos"
    if "gpu" in text:
        return "windows_4_core_gpu" if windows else "linux_4_core_gpu"
    if _ARM.search(text):
        return f"{'windows' if windows else 'linux'}_{cores or 2}_core_arm"
    if windows:
        return f"windows_{cores}_core" if cores and cores > 2 else "windows"
    if "ubuntu" in text or "linux" in text:
        if "slim" in text:
            return "linux_slim"
        return "linux_2_core_advanced" if cores == 2 else f"linux_{cores}_core" if cores else "linux"
    return UNKNOWN
