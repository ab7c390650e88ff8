"""How a response looks in a terminal: a header line, status, message, then the data.

``--json`` prints :meth:`APIResponse.to_dict` as one JSON object instead; this is for people.
"""

from __future__ import annotations

import json
from typing import Any


def render(title: str, response: Any) -> str:
    """The seed's human layout: header, ``Status:``, ``Message:``, ``Data:`` as indented JSON."""
    status = "✅ Success" if response.success else f"❌ Failed ({response.error or 'error'})"
    lines = [f"Workflow Orchestrator — {title}", f"Status: {status}", f"Message: {one_line(response.message)}"]
    if response.data is not None:
        lines.append("Data:")
        lines.append(json.dumps(response.data, indent=2, ensure_ascii=False, default=str))
    return "\n".join(lines)


def one_line(text: str) -> str:
    """Messages can quote repository strings; keep them on one line in a terminal."""
    return " ".join(str(text).split())
