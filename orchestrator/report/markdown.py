"""Safe Markdown building blocks for the job summary.

Every string that comes from a repository (workflow names, paths, branches, crons, reasoning that
quotes them) passes through exactly one of these before it reaches Markdown, because GitHub
renders the summary as Markdown *with* HTML: a workflow named ``<img src=x onerror=...>``,
``[click](https://evil)``, ``| broken | table`` or ``@everyone`` must show as the text it is.

Pick the function for the context the text lands in:

* :func:`md` — ordinary Markdown text and table cells;
* :func:`code` — an inline code span (crons, paths), where entities would show literally;
* :func:`html` — inside raw HTML such as ``<summary>``, where Markdown is not parsed;
* :func:`mermaid_label` — a label inside a Mermaid diagram, whose grammar has its own separators.
"""

from __future__ import annotations

import re
from typing import Sequence

__all__ = ["md", "md_with_code", "code", "html", "mermaid_label", "table", "details", "one_line"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Punctuation that opens or closes an inline construct anywhere in a line: code, emphasis, links
# and images (``[``), tables (``|``), strikethrough (``~``), math (``$``), and ``#`` (headings,
# issue references). ``( ) . - + = { } ! ^`` do nothing in mid-line once ``[`` is escaped, so
# they stay readable; the block markers among them are escaped only where a line could begin.
# ``_`` inside a word never emphasises in GFM, so only an underscore at a word's edge is escaped
# (``pull_request`` stays as it is).
_MD_SPECIAL = re.compile(r"([\\`*\[\]#|~$]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
_BLOCK_MARKER = re.compile(r"^(\s*)(?:([-+=])|(\d+)([.)])(?=\s|$))")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_AUTOLINK = re.compile(r"://|(?<![\w.])www\.", re.IGNORECASE)
_MERMAID_KEYWORDS = frozenset(
    {"section", "title", "dateformat", "axisformat", "tickinterval", "excludes", "includes",
     "todaymarker", "weekday", "click", "acctitle", "accdescr", "x-axis", "y-axis", "bar", "line"}
)


def one_line(text: object, limit: int = 300) -> str:
    """``text`` as one line of at most ``limit`` characters; newlines and controls become spaces."""
    value = _CONTROL.sub(" ", str(text))
    return value if len(value) <= limit else value[: limit - 1] + "…"


def html(text: object, limit: int = 300) -> str:
    """Escape for raw HTML content or attribute values (``& < > " '``)."""
    return (
        one_line(text, limit)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def md(text: object, limit: int = 300) -> str:
    """Escape for Markdown text (including table cells) and keep it readable as plain text.

    Inline constructs are backslash-escaped; a leading list, heading or numbered-list marker
    too (the text may begin a line or a list item). ``<``, ``>`` and the ``&`` of anything that
    looks like an entity become entities, so no HTML can open. ``@`` becomes ``&#64;`` so a
    name cannot mention people, and ``://`` / ``www.`` are broken so nothing becomes an autolink.
    Quotes, colons, parentheses and full stops stay as they are.
    """
    escaped = _MD_SPECIAL.sub(r"\\\1", one_line(text, limit)).replace("\\](", "\\]\\(")  # no "](" at all
    escaped = _BLOCK_MARKER.sub(_escaped_marker, escaped, count=1)
    escaped = _ENTITY.sub("&amp;", escaped).replace("<", "&lt;").replace(">", "&gt;")
    escaped = _AUTOLINK.sub(lambda m: "&#58;//" if m.group(0) == "://" else m.group(0)[:3] + "&#46;", escaped)
    return escaped.replace("@", "&#64;")


#: What a code span inside a reason may hold to be rendered as one: crons, paths, setting names.
#: Anything else between backticks (a hostile workflow name) is escaped like the rest of the text.
_PLAIN_SPAN = re.compile(r"`([\w*/,.:\- ]+)`")


def md_with_code(text: object, limit: int = 500) -> str:
    r""":func:`md` for a reason line, whose `` `...` `` spans of crons, paths or setting names
    render as code spans (``code``) instead of showing their backticks and escaped ``\*``."""
    value = one_line(text, limit)
    parts, last = [], 0
    for span in _PLAIN_SPAN.finditer(value):
        parts += [md(value[last : span.start()], limit), code(span.group(1), limit)]
        last = span.end()
    parts.append(md(value[last:], limit))
    return "".join(parts)


def _escaped_marker(match: re.Match[str]) -> str:
    """``- x`` → ``\\- x``, ``1. x`` → ``1\\. x``: the text stays, the list or heading does not start."""
    indent, bullet, number, delimiter = match.groups()
    return f"{indent}\\{bullet}" if bullet else f"{indent}{number}\\{delimiter}"


def code(text: object, limit: int = 300) -> str:
    """An inline code span holding ``text`` verbatim, safe in a table cell.

    The fence is one backtick longer than the longest run inside; ``|`` is escaped because GFM
    splits table cells on it even inside code spans.
    """
    value = one_line(text, limit).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def mermaid_label(text: object, limit: int = 40) -> str:
    """A Mermaid label: only letters, digits, spaces and ``._-/()``; never a diagram keyword."""
    value = re.sub(r"[^A-Za-z0-9 ._/()-]", "_", one_line(text, limit)).strip() or "_"
    first = value.split(" ", 1)[0].lower()
    return f"_{value}" if first in _MERMAID_KEYWORDS else value


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """A GFM table from already-escaped cells; ``align`` is one of ``l``/``r``/``c`` per column."""
    marks = {"l": ":---", "r": "---:", "c": ":---:"}
    rule = [marks.get(align[i] if i < len(align) else "", "---") for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(cell.replace("\n", " ") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def details(summary_html: str, body_markdown: str) -> str:
    """A collapsible block; ``summary_html`` must already be escaped with :func:`html`."""
    return f"<details><summary>{summary_html}</summary>\n\n{body_markdown}\n\n</details>"
