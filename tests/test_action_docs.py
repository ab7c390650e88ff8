"""action.yml is the single source of truth: complete metadata, docs tables generated from it."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("action_docs", ROOT / "scripts" / "action_docs.py")
assert spec and spec.loader
action_docs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(action_docs)


@pytest.mark.parametrize("path", ["action.yml", "record/action.yml"])
def test_every_input_and_output_is_described_kebab_case_with_a_default(path: str) -> None:
    action = yaml.safe_load((ROOT / path).read_text())
    assert action["name"] and action["description"] and action["branding"]
    for name, spec in action["inputs"].items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", name), name
        assert spec["description"].strip().endswith("."), name
        assert "default" in spec or spec.get("required"), name
    for name, spec in (action.get("outputs") or {}).items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", name) and spec["description"], name


def test_the_docker_action_declares_what_the_brief_promises() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert list(action["inputs"]) == ["token", "repository", "data-branch", "workflows-dir", "workflows", "lookback-days",
                                      "max-requests", "jobs-budget", "min-confidence", "timezone", "mode", "summary", "apply",
                                      "apply-token"]
    assert action["inputs"]["token"]["default"] == "${{ github.token }}"
    assert list(action["outputs"]) == ["recommendations", "changes", "schedules", "runs-synced", "complete",
                                       "accuracy-mae", "report-path", "pull-request-url", "pull-request-number"]
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}


def test_docs_tables_are_current() -> None:
    assert action_docs.main(["--check"]) == 0


def test_check_catches_a_stale_table(tmp_path: Path) -> None:
    current = (ROOT / "docs" / "action.md").read_text()
    stale = current.replace("| `mode` | no |", "| `mode-renamed` | no |")
    assert stale != current
    assert action_docs.generate(stale) == current


def test_missing_markers_are_reported() -> None:
    with pytest.raises(SystemExit, match="action-docs:inputs:start/end"):
        action_docs.generate("# no markers here\n")
