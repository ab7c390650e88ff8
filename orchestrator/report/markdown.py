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

__all__ = ["md", "code", "html", "mermaid_label", "table", "details", "one_line"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Markdown punctuation that can start or end a construct (CommonMark's escapable set, minus the
# characters that html() already turns into entities).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~=^$])")
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
    """Escape for Markdown text (including table cells): Markdown punctuation, then HTML.

    ``@`` and ``:`` become entities so a name cannot mention people or turn into an autolink.
    """
    escaped = _MD_SPECIAL.sub(r"\\\1", one_line(text, limit))
    escaped = escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace('"', "&quot;").replace("'", "&#39;")
    return escaped.replace("@", "&#64;").replace(":", "&#58;")


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
