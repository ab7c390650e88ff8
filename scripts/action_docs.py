"""Render the inputs and outputs tables of docs/action.md and README.md from the action files.

action.yml is the single source of truth for what the action accepts and returns; the tables in
the documentation are generated from it between ``<!-- action-docs:NAME:start/end -->`` markers,
and ``--check`` (run by ``.ci/static-checks``) fails when someone edits one without the other.

    python scripts/action_docs.py          # rewrite docs/action.md and README.md
    python scripts/action_docs.py --check  # exit 1 if either is stale
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "action.md"
#: Documents holding generated tables; docs/action.md must hold every table, README.md the main ones.
DOCS = {DOC: True, ROOT / "README.md": False}
#: marker name → (action file, section)
TABLES = {
    "inputs": ("action.yml", "inputs"),
    "outputs": ("action.yml", "outputs"),
    "record-inputs": ("record/action.yml", "inputs"),
}


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`" if text else '`""`'


def render(action: dict[str, Any], section: str) -> str:
    """A Markdown table of one section (inputs or outputs) of an action's metadata."""
    entries = action.get(section) or {}
    if section == "inputs":
        rows = ["| Input | Required | Default | Description |", "| --- | --- | --- | --- |"]
        for name, spec in entries.items():
            required = "yes" if spec.get("required") else "no"
            default = _code(_cell(spec.get("default", ""))) if "default" in spec else "–"
            rows.append(f"| `{name}` | {required} | {default} | {_cell(spec.get('description', ''))} |")
    else:
        rows = ["| Output | Description |", "| --- | --- |"]
        rows += [f"| `{name}` | {_cell(spec.get('description', ''))} |" for name, spec in entries.items()]
    return "\n".join(rows)


def generate(text: str, root: Path = ROOT, every_table: bool = True) -> str:
    """``text`` with every marked table replaced by the current rendering.

    With ``every_table`` a missing marker is an error; otherwise only the tables present are kept.
    """
    for marker, (path, section) in TABLES.items():
        action = yaml.safe_load((root / path).read_text(encoding="utf-8"))
        pattern = re.compile(rf"(<!-- action-docs:{marker}:start -->\n).*?(\n<!-- action-docs:{marker}:end -->)", re.S)
        match = pattern.search(text)
        if match is None and not every_table:
            continue
        if match is None:
            raise SystemExit(f"{DOC.relative_to(ROOT)} has no <!-- action-docs:{marker}:start/end --> markers")
        text = text[: match.end(1)] + render(action, section) + text[match.start(2):]
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a generated table is not current")
    args = parser.parse_args(argv)
    stale = []
    for doc, every_table in DOCS.items():
        current = doc.read_text(encoding="utf-8")
        fresh = generate(current, every_table=every_table)
        if fresh == current:
            continue
        if args.check:
            stale.append(str(doc.relative_to(ROOT)))
        else:
            doc.write_text(fresh, encoding="utf-8")
    if stale:
        print(f"{', '.join(stale)} out of date with action.yml: run python scripts/action_docs.py", file=sys.stderr)
        return 1
    if args.check:
        print("generated tables match action.yml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
