"""Terminal building blocks: one-line cells, display width, aligned tables and key lines.

Standard library only, on purpose: every CLI command renders through this module, including a
cold ``health`` that should answer in well under half a second, and the Docker image pins its
dependencies in a hashed lock. A table is a few lines of arithmetic, not worth an import.

Widths count terminal columns, not code points: East Asian wide characters take two columns and
combining marks none, so a workflow named in Japanese or with an emoji still lines up.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Collection, Sequence

__all__ = ["one_line", "width", "truncate", "table", "pairs", "ELLIPSIS", "BLANK"]

ELLIPSIS = "…"
#: How an unknown value shows in a cell or key line.
BLANK = "-"
#: Characters that move the cursor, recolour or reorder a terminal line: C0 and C1 controls
#: (ESC starts ANSI sequences, CSI is U+009B), DEL, line/paragraph separators and the bidi
#: embedding, override and isolate controls ("Trojan Source" reordering). Each becomes a space,
#: so an escape sequence shows as harmless text such as `` [31m`` instead of acting.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r" {2,}")


def one_line(text: object) -> str:
    """``text`` as one line that cannot disturb a terminal: controls become spaces, runs of
    spaces collapse, the ends are trimmed. Every repository-controlled string passes through it."""
    return _SPACES.sub(" ", _UNSAFE.sub(" ", str(text))).strip()


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def width(text: str) -> int:
    """How many terminal columns ``text`` takes (ASCII fast path: most cells are ASCII)."""
    if text.isascii():
        return len(text)
    return sum(_char_width(c) for c in text)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` columns, ending in ``…`` when anything was cut."""
    if width(text) <= limit:
        return text
    kept, used = [], 0
    for char in text:
        step = _char_width(char)
        if used + step > limit - 1:
            break
        kept.append(char)
        used += step
    return "".join(kept) + ELLIPSIS


def _pad(text: str, size: int, right: bool) -> str:
    gap = " " * (size - width(text))
    return gap + text if right else text + gap


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "",
          limits: Sequence[int | None] = (), optional: Collection[int] = (), gap: int = 2) -> list[str]:
    """Rows under upper-case headers, columns ``gap`` spaces apart, like ``kubectl get``.

    ``align`` holds ``l`` or ``r`` per column (numbers read best right-aligned); ``limits`` the
    most columns a cell may take (``None``: no limit), longer cells end in ``…``. Cells are made
    one line here too, so a caller's forgotten :func:`one_line` cannot break the layout.
    Columns listed in ``optional`` are left out when no row has anything in them (every cell
    empty or ``-``): a store without paths needs no column of dashes. Trailing spaces are
    trimmed, so the last column is ragged but every column starts (or, when right-aligned, ends)
    at the same place on every line. No rows, no table: a header over nothing says nothing.
    """
    if not rows:
        return []
    empty = {i for i in optional if all(i >= len(row) or one_line(row[i]) in ("", BLANK) for row in rows)}
    if empty:
        keep = [i for i in range(len(headers)) if i not in empty]
        headers = [headers[i] for i in keep]
        rows = [[row[i] if i < len(row) else "" for i in keep] for row in rows]
        align = "".join(align[i] if i < len(align) else "l" for i in keep)
        limits = [limits[i] if i < len(limits) else None for i in keep]
    count = len(headers)
    limit_of = [limits[i] if i < len(limits) else None for i in range(count)]
    right = [i < len(align) and align[i] == "r" for i in range(count)]
    body = []
    for row in rows:
        cells = [one_line(row[i]) if i < len(row) else "" for i in range(count)]
        body.append([truncate(c, limit_of[i]) if limit_of[i] else c for i, c in enumerate(cells)])
    head = [h.upper() for h in headers]
    sizes = [max([width(head[i])] + [width(r[i]) for r in body]) for i in range(count)]
    return [(" " * gap).join(_pad(c, sizes[i], right[i]) for i, c in enumerate(line)).rstrip()
            for line in [head, *body]]


def pairs(items: Sequence[tuple[str, str]], indent: str = "") -> list[str]:
    """``key  value`` lines with the values aligned: the layout of a single answer."""
    if not items:
        return []
    size = max(width(key) for key, _ in items)
    return [f"{indent}{_pad(key, size, False)}  {one_line(value)}".rstrip() for key, value in items]
