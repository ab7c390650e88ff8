"""Step outputs (``GITHUB_OUTPUT``) and the job summary file (``GITHUB_STEP_SUMMARY``).

Outputs use the multi-line ``name<<DELIMITER`` form for every value, with a fresh random
delimiter that is checked absent from the value: a workflow name containing a newline followed
by something that looks like a delimiter must not be able to end the value early and inject
another output. GitHub caps outputs at 1 MB per job and the summary at 1 MiB per step; both
writers stay well under, the summary by dropping whole sections and saying so.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Iterable, Mapping

from ..errors import OrchestratorError

__all__ = [
    "MAX_OUTPUT_BYTES",
    "MAX_SUMMARY_BYTES",
    "OutputError",
    "format_output",
    "write_outputs",
    "fit_summary",
    "write_summary",
]

#: Per value and for all values of the step; GitHub's limit is 1 MB for all outputs of a job.
MAX_OUTPUT_BYTES = 256 * 1024
MAX_TOTAL_OUTPUT_BYTES = 900 * 1000
#: GitHub refuses a step summary over 1 MiB; keep a margin for the trimming note.
MAX_SUMMARY_BYTES = 1024 * 1024 - 4096

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class OutputError(OrchestratorError):
    """A step output could not be written as GitHub would read it."""


def format_output(name: str, value: str, delimiter: str | None = None) -> str:
    """One ``name<<DELIM`` block; ``delimiter`` is only passed by tests to force a collision."""
    if not _NAME.match(name):
        raise OutputError(f"output name {name!r} is not valid; expected letters, digits, '-' or '_'")
    if len(value.encode()) > MAX_OUTPUT_BYTES:
        raise OutputError(f"output {name} is {len(value.encode())} bytes; at most {MAX_OUTPUT_BYTES} are written")
    delim = delimiter or f"ghadelimiter_{secrets.token_hex(16)}"
    if delim in value or delim in name:
        raise OutputError(f"output {name}: its value contains the delimiter {delim}; refusing to write it")
    return f"{name}<<{delim}\n{value}\n{delim}\n"


def write_outputs(path: Path | None, outputs: Mapping[str, str]) -> None:
    """Append every output to the ``GITHUB_OUTPUT`` file; nothing is written if any is invalid."""
    blocks = [format_output(name, value) for name, value in outputs.items()]
    total = sum(len(block.encode()) for block in blocks)
    if total > MAX_TOTAL_OUTPUT_BYTES:
        raise OutputError(f"step outputs total {total} bytes; GitHub allows 1 MB per job")
    if path is None:
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("".join(blocks))


def fit_summary(sections: Iterable[str], limit: int = MAX_SUMMARY_BYTES, note: str = "") -> str:
    """Join Markdown ``sections`` within ``limit`` bytes, dropping whole sections from the end.

    Sections are independent blocks (a table, a chart with its ``<details>``), so dropping whole
    ones never leaves a fence or a ``<details>`` open. When a section is dropped the ``note``
    (where to find the full report) is appended with how much was left out.
    """
    parts = [section.rstrip("\n") + "\n\n" for section in sections if section.strip()]
    kept: list[str] = []
    used = 0
    for index, part in enumerate(parts):
        size = len(part.encode())
        if used + size > limit:
            dropped = len(parts) - index
            full = sum(len(p.encode()) for p in parts)
            kept.append(
                f"> **Summary trimmed:** {dropped} section(s) left out to stay under GitHub's 1 MiB "
                f"step summary limit ({full:,} bytes in full). {note}".rstrip() + "\n"
            )
            break
        kept.append(part)
        used += size
    return "".join(kept)


def write_summary(path: Path | None, markdown: str) -> None:
    """Append ``markdown`` to the job summary file, if the runner gave one."""
    if path is None:
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(markdown)
