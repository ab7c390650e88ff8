"""Step outputs and the job summary file: random delimiters, hostile values, size limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchestrator.action.outputs import (
    MAX_OUTPUT_BYTES,
    OutputError,
    fit_summary,
    format_output,
    write_outputs,
    write_summary,
)


def parse_github_output(text: str) -> dict[str, str]:
    """Read a GITHUB_OUTPUT file the way the runner does (``name=value`` or ``name<<DELIM``)."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            out[name] = "\n".join(lines[i + 1:end])
            i = end + 1
        else:
            name, value = line.split("=", 1)
            out[name] = value
            i += 1
    return out


HOSTILE = [
    "plain",
    "",
    "two\nlines",
    "ghadelimiter_0000\nEOF\ninjected=1",
    "x<<EOF\ninjected<<EOF\nvalue\nEOF",
    "%0A::error::not a command%25",
    "trailing newline\n",
    "日本語 ✓ \u2028 emoji 🚀",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_round_trip_as_one_output(tmp_path: Path, value: str) -> None:
    path = tmp_path / "output"
    write_outputs(path, {"recommendations": value, "changes": "2"})
    assert parse_github_output(path.read_text(encoding="utf-8")) == {"recommendations": value, "changes": "2"}


def test_each_value_gets_a_fresh_random_delimiter() -> None:
    delimiters = {format_output("a", "v").split("\n", 1)[0] for _ in range(50)}
    assert len(delimiters) == 50
    assert all(re.fullmatch(r"a<<ghadelimiter_[0-9a-f]{32}", d) for d in delimiters)


def test_a_value_containing_the_delimiter_is_refused() -> None:
    with pytest.raises(OutputError, match="contains the delimiter"):
        format_output("schedules", "before\nghadelimiter_fixed\nafter", delimiter="ghadelimiter_fixed")


def test_bad_output_names_are_refused() -> None:
    with pytest.raises(OutputError, match="not valid"):
        format_output("bad\nname", "v")


def test_a_value_over_the_limit_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "output"
    with pytest.raises(OutputError, match="bytes"):
        write_outputs(path, {"small": "ok", "big": "x" * (MAX_OUTPUT_BYTES + 1)})
    assert not path.exists()


def test_outputs_append_to_what_earlier_steps_wrote(tmp_path: Path) -> None:
    path = tmp_path / "output"
    path.write_text("earlier=1\n", encoding="utf-8")
    write_outputs(path, {"changes": "0"})
    assert parse_github_output(path.read_text()) == {"earlier": "1", "changes": "0"}


def test_no_output_file_means_nothing_to_write() -> None:
    write_outputs(None, {"changes": "0"})  # outside a runner: must not fail


def test_fit_summary_keeps_everything_that_fits() -> None:
    assert fit_summary(["# a", "b\n", "  "]) == "# a\n\nb\n\n"


def test_fit_summary_drops_whole_sections_and_says_so() -> None:
    sections = ["## head", "```mermaid\n" + "x\n" * 600 + "```", "<details><summary>t</summary>\n\n" + "y" * 900 + "\n\n</details>"]
    text = fit_summary(sections, limit=1000, note="See summary.md.")
    assert text.startswith("## head\n\n")
    assert "x\n" not in text and "<details>" not in text  # no half-open fence or details
    assert "**Summary trimmed:** 2 section(s) left out" in text
    assert "See summary.md." in text
    assert len(text.encode()) < 1000 + 300


def test_fit_summary_stays_under_githubs_limit_for_a_huge_report() -> None:
    sections = [f"### Section {i}\n\n" + "| a | b |\n| --- | --- |\n" + "| 1 | 2 |\n" * 5000 for i in range(40)]
    text = fit_summary(sections)
    assert len(text.encode()) < 1024 * 1024
    assert "Summary trimmed" in text


def test_write_summary_appends(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    write_summary(path, "one\n")
    write_summary(path, "two\n")
    assert path.read_text() == "one\ntwo\n"
