"""Workflow commands (``::error::``, ``::add-mask::``, ``::group::`` ...) written to the log.

The runner scans every log line for ``::command key=value,...::message``. Workflow names, branch
names and paths come from repositories we do not control, so everything we interpolate is escaped
the way actions/toolkit does it: ``%``, ``\\r``, ``\\n`` in the message, and additionally ``:`` and
``,`` in property values. Free-text log lines collapse control characters so no repository string
can start a line of its own and be read as a command.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator, TextIO

__all__ = [
    "escape_data",
    "escape_property",
    "command",
    "plain",
    "Log",
    "ConsoleLog",
]

ANNOTATION_LEVELS = ("error", "warning", "notice")


def escape_data(text: str) -> str:
    """Escape a command's message so it stays on one line and cannot end early."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (``title=``, ``file=``), where ``:`` and ``,`` are separators."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", **properties: str | int | None) -> str:
    """Format one workflow command line (without the trailing newline)."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items() if value not in (None, ""))
    head = f"::{name} {props}" if props else f"::{name}"
    return f"{head}::{escape_data(message)}"


def plain(text: str) -> str:
    """A single-line version of free text for ordinary log lines."""
    return "".join(" " if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029\x85" else c for c in text)


class Log:
    """The action's log: plain lines, annotations, masks and collapsible groups."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def info(self, text: str) -> None:
        """A plain line; leading ``::`` is defused because the runner would parse it."""
        line = plain(text)
        if line.lstrip().startswith("::"):
            line = " " + line.replace("::", ": :")
        self._write(line)

    def mask(self, secret: str) -> None:
        """Ask the runner to replace ``secret`` with ``***`` in every later log line."""
        if secret:
            self._write(command("add-mask", secret))

    def annotate(self, level: str, message: str, title: str | None = None, file: str | None = None) -> None:
        """Emit an ``::error``/``::warning``/``::notice`` annotation (shown on the run's page)."""
        if level not in ANNOTATION_LEVELS:
            raise ValueError(f"annotation level {level!r} is not one of {ANNOTATION_LEVELS}")
        self._write(command(level, message, title=title, file=file))

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """Fold the lines written inside into one collapsible section of the log."""
        self._write(command("group", plain(title)))
        try:
            yield
        finally:
            self._write(command("endgroup"))


class ConsoleLog(Log):
    """The same log for a person at a terminal (the demo): no runner reads it, so annotations
    and groups are written as readable lines instead of workflow commands, and nothing is masked
    (the demo has no secret)."""

    def mask(self, secret: str) -> None:
        if secret:
            raise ValueError("ConsoleLog cannot mask secrets; use Log where a runner reads the output")

    def annotate(self, level: str, message: str, title: str | None = None, file: str | None = None) -> None:
        if level not in ANNOTATION_LEVELS:
            raise ValueError(f"annotation level {level!r} is not one of {ANNOTATION_LEVELS}")
        where = f" ({file})" if file else ""
        self.info(f"{level}: {title}{where}: {message}" if title else f"{level}{where}: {message}")

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self.info(f"── {title}")
        yield
