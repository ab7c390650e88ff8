"""The CLI's output for people (no ``--json``): compact aligned text, never JSON or a traceback.

Each command runs in-process on a copy of the bundled sample store (or a small built one), and
the tests check what a person relies on: a headline, one table row per item under a header whose
column positions the rows share, right plurals, ``-`` for unknowns, and repository strings that
cannot break the layout.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orchestrator.api import APIResponse
from orchestrator.cli import main
from orchestrator.report import text
from orchestrator.report.text import render
from tests.conftest import FAKE_TOKEN, REPO
from tests.factories import T0, api_run
from tests.fakegithub import make_runs

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "orchestrator" / "sample"
WORKFLOW = "(DevTools) Regression Tests"
GHAMINER = ROOT.parent / "shared" / "data" / "ghaminer"
COLUMN = re.compile(r"\S+(?: \S+)*")  # header cells are separated by two or more spaces


def run_text(*argv: str) -> tuple[int, list[str]]:
    """Exit code and stdout lines of one command without ``--json``."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue().splitlines()


def run_data(*argv: str) -> Any:
    """The ``data`` of one command's ``--json`` answer: what the text must agree with."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main([*argv, "--json"])
    return json.loads(out.getvalue())["data"]


def seconds_of(shown: str) -> int:
    """``5m 35s`` → 335, ``1h 02m`` → 3720: a duration cell read back."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(int(part[:-1]) * units[part[-1]] for part in shown.split())


def assert_human(lines: list[str]) -> None:
    """Text for people: something printed, no JSON line, no Python reprs of unknowns."""
    assert lines, "printed nothing"
    for line in lines:
        assert not line.lstrip().startswith(("{", "[", '"')), f"JSON-looking line: {line!r}"
        assert "None" not in line and "Traceback" not in line, line
        assert "\x1b" not in line and "\r" not in line, repr(line)


def columns(header: str) -> list[tuple[int, int]]:
    """(start, end) of each header cell."""
    return [(m.start(), m.end()) for m in COLUMN.finditer(header)]


def assert_aligned(header: str, rows: list[str], right: set[int] = frozenset()) -> None:
    """Every row starts each left-aligned column where its header starts, and ends each
    right-aligned column where its header ends."""
    spans = columns(header)
    for row in rows:
        for index, (start, end) in enumerate(spans):
            if index in right:
                assert row[end - 1] != " " and (end == len(row) or row[end] == " "), (index, header, row)
            else:
                assert row[start] != " " and (start == 0 or row[start - 1] == " "), (index, header, row)


def cell(header: str, row: str, name: str, right: bool = False) -> str:
    """The text of column ``name`` in ``row``: a left-aligned cell runs from its header's start
    to the next column's start, a right-aligned one from the previous column's end to its end."""
    spans = columns(header)
    index = [header[s:e] for s, e in spans].index(name)
    if right:
        return row[spans[index - 1][1] if index else 0:spans[index][1]].strip()
    end = spans[index + 1][0] if index + 1 < len(spans) else len(row)
    return row[spans[index][0]:end].strip()


def write_runs(tmp_path: Path, runs: list[dict[str, Any]], name: str = "runs.json") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / name
    source.write_text(json.dumps(runs))
    return source


def imported_store(tmp_path: Path, runs: list[dict[str, Any]]) -> Path:
    data = tmp_path / "store"
    assert main(["--data", str(data), "import", str(write_runs(tmp_path, runs)), "--json"]) == 0
    return data


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> dict[str, Any]:
    """Every command once on one copy of the sample store (the learning ones share its model
    cache), and the ``--json`` data of a few, so the tests follow the sample's content."""
    store = tmp_path_factory.mktemp("sample") / "store"
    shutil.copytree(SAMPLE / "store", store)
    data, workflows = ["--data", str(store)], ["--workflows-dir", str(SAMPLE / "workflows")]
    return {
        "json:workflows": run_data(*data, "workflows"),
        "json:insights": run_data(*data, "insights", "--workflow", WORKFLOW),
        "json:history": run_data(*data, "history", "--workflow", WORKFLOW, "--limit", "5"),
        "workflows": run_text(*data, "workflows"),
        "health": run_text(*data, "health"),
        "insights": run_text(*data, "insights", "--workflow", WORKFLOW),
        "history": run_text(*data, "history", "--workflow", WORKFLOW, "--limit", "5"),
        "predict": run_text(*data, "predict", "--workflow", WORKFLOW, *workflows),
        "batch": run_text(*data, "batch", "--workflows", WORKFLOW, "(Shared) Lint", *workflows),
        "recommend": run_text(*data, "recommend", *workflows),
        "accuracy": run_text(*data, "accuracy"),
    }


@pytest.mark.parametrize("command", ["workflows", "health", "insights", "history", "predict", "batch", "recommend",
                                     "accuracy"])
def test_every_command_prints_compact_text(sample, command):
    code, lines = sample[command]
    assert code == 0
    assert_human(lines)
    assert len(lines) <= 30, f"{command} printed {len(lines)} lines"


def test_workflows_on_the_sample(sample):
    _, lines = sample["workflows"]
    known = sample["json:workflows"]["workflows"]
    assert lines[0] == f"{len(known)} workflows in facebook/react, {sum(w['runs'] for w in known):,} runs"
    header, rows = lines[1], lines[2:]
    assert header.split("  ")[0] == "WORKFLOW" and len(rows) == len(known)
    assert_aligned(header, rows, right={1})
    assert "PATH" not in header, "a column nobody has a value in is left out"
    first = known[0]
    assert rows[0].split() == [*first["name"].split(), f"{first['runs']:,}", str(first["workflow_id"])]


def test_history_columns_and_unknowns(sample):
    _, lines = sample["history"]
    history = sample["json:history"]
    assert lines[0] == f"5 of {history['total']} runs of {WORKFLOW} (facebook/react), newest first"
    header, rows = lines[1], lines[2:]
    assert len(rows) == 5
    assert_aligned(header, rows, right={1, 7, 8})
    newest, first = history["runs"][0], rows[0]
    assert cell(header, first, "RUN") == str(newest["id"])
    assert cell(header, first, "CREATED (UTC)") == newest["created_at"][:16].replace("T", " ")
    assert cell(header, first, "OUTCOME") == newest["outcome"]
    assert newest["queue_seconds"] is None and cell(header, first, "QUEUE", right=True) == "-", "no queue times"
    assert abs(seconds_of(cell(header, first, "DURATION", right=True)) - newest["duration_seconds"]) <= 0.5


def test_insights_key_lines_and_event_table(sample):
    _, lines = sample["insights"]
    figures = sample["json:insights"]
    total, outcomes = figures["total_executions"], figures["outcomes"]
    assert lines[0] == f"Insights for {WORKFLOW} (facebook/react) from {total} runs"
    keys = {key: value.strip() for key, value in (line.split("  ", 1) for line in lines[1:8])}
    assert keys["runs"] == f"{total} ({outcomes['success']} successes, {outcomes['failure']} failures)"
    assert keys["success rate"] == f"{round(100 * figures['success_rate'])}%"
    shown = re.fullmatch(r"median (.+), p90 (.+), p95 (.+), mean (.+)", keys["duration"])
    assert shown, keys["duration"]
    for text_value, name in zip(shown.groups(), ("median", "p90", "p95", "mean")):
        assert abs(seconds_of(text_value) - figures["duration_seconds"][name]) <= 0.5, name
    if 0.995 <= figures["most_common_hour_share"] < 1:
        assert keys["busiest hour"].endswith("(>99% of runs)"), "99.8% is not all runs"
    header = lines[lines.index("") + 1]
    assert header.split() == ["EVENT", "RUNS", "SUCCESS", "MEDIAN", "P90"]
    events = lines[lines.index("") + 2:]
    assert len(events) == len(figures["by_event"])
    assert_aligned(header, events, right={1, 2, 3, 4})


def test_predict_key_lines(sample):
    _, lines = sample["predict"]
    assert lines[0] == f"Prediction for {WORKFLOW} (facebook/react)"
    keys = [line.split("  ")[0] for line in lines[1:8]]
    assert keys == ["duration p50", "duration p90", "success", "confidence", "resource impact",
                    "recommended schedule", "learned from"]
    values = [line[len("recommended schedule  "):] for line in lines[1:8]]
    assert re.fullmatch(r"\d+m \d\ds", values[0]) and re.fullmatch(r"\d+%", values[2])
    assert re.fullmatch(r"\d+ runs", values[6])
    assert lines[8] == "why:" and all(line.startswith("  - ") for line in lines[9:])


def test_batch_table(sample):
    _, lines = sample["batch"]
    assert lines[0] == "Predictions for 2 workflows"
    header, rows = lines[1], lines[2:]
    assert [r[:len(WORKFLOW)] for r in rows] == [WORKFLOW, "(Shared) Lint".ljust(len(WORKFLOW))]
    assert_aligned(header, rows, right={1, 2, 3, 4, 6})


def test_recommend_on_the_sample(sample):
    _, lines = sample["recommend"]
    moving = re.fullmatch(r"1 scheduled workflow, ([01]) should move", lines[0])
    assert moving, lines[0]
    header, row = lines[1], lines[2]
    assert header.startswith("WORKFLOW") and row.startswith(WORKFLOW)
    assert cell(header, row, "CURRENT") == "0 0 * * *"
    assert re.fullmatch(r"\S+( \S+){4}", cell(header, row, "RECOMMENDED")), "a cron, nothing else"
    assert cell(header, row, "DECISION") == ("change" if moving.group(1) == "1" else "keep")
    assert_aligned(header, [row], right={4, 5, 6})
    assert "conflicts          0 now, 0 after the changes" in lines
    assert "file errors        0" in lines
    reasons = [line for line in lines if line.startswith("  - ")]
    if moving.group(1) == "1":
        assert lines[-len(reasons) - 1] == f"why {WORKFLOW} should move:", "the reasons close the output"
        assert 1 <= len(reasons) <= 4
    else:
        assert not reasons, "a keep needs no argument"


def test_health_key_lines(sample):
    _, lines = sample["health"]
    known = sample["json:workflows"]["workflows"]
    runs = f"{sum(w['runs'] for w in known):,} runs"
    assert lines[0].endswith(f"is healthy: {runs}, {len(known)} workflows")
    assert f"runs         {runs} of {len(known)} workflows in 1 repository (facebook/react)" in lines
    assert "last sync    never" in lines


def test_accuracy_without_matches_is_one_line(sample):
    _, lines = sample["accuracy"]
    assert len(lines) == 1 and lines[0].startswith("No run has followed a logged prediction yet")


def test_plurals_one_and_two(tmp_path):
    one = imported_store(tmp_path / "one", [api_run(1)])
    assert run_text("--data", str(one), "workflows")[1][0] == "1 workflow in octo/repo, 1 run"
    assert run_text("--data", str(one), "history", "--workflow", "CI")[1][0] == "1 of 1 run of CI (octo/repo), newest first"
    health = run_text("--data", str(one), "health")[1]
    assert health[0].endswith("is healthy: 1 run, 1 workflow")
    _, lines = run_text("--data", str(tmp_path / "one" / "store"), "import", str(write_runs(tmp_path, [api_run(2)], "more.json")))
    assert lines[0] == "Imported 1 new run, updated 0, skipped 0"

    runs = [api_run(i, at=T0.replace(hour=i), conclusion="failure" if i == 3 else "success") for i in range(1, 8)]
    runs.append(api_run(50, name="Nightly", workflow_id=9, path=".github/workflows/nightly.yml"))
    two = imported_store(tmp_path / "two", runs)
    assert run_text("--data", str(two), "workflows")[1][0] == "2 workflows in octo/repo, 8 runs"
    insights = run_text("--data", str(two), "insights", "--workflow", "CI")[1]
    assert insights[1] == "runs          7 (6 successes, 1 failure)"


def synthetic_catalog(tmp_path: Path, repositories: int = 12, per_repository: int = 2) -> Path:
    """A store shaped like the GHAminer one: many repositories, a few workflows each."""
    runs = []
    for r in range(repositories):
        for w in range(per_repository):
            for i in range(1 + (r * 7 + w) % 5):
                run_id = 1000 * r + 100 * w + i + 1
                runs.append(api_run(run_id, name=f"Workflow {w} of project {r}", workflow_id=10 * r + w + 1,
                                    path=f".github/workflows/w{w}.yml", at=T0.replace(minute=i),
                                    repository={"full_name": f"owner{r}/project-{r}"}))
    return imported_store(tmp_path, runs)


def test_workflows_is_one_line_per_workflow_with_aligned_columns(tmp_path):
    store = synthetic_catalog(tmp_path)
    code, lines = run_text("--data", str(store), "workflows")
    assert code == 0
    assert_human(lines)
    assert lines[0].startswith("24 workflows in 12 repositories, ")
    header, rows = lines[1], lines[2:]
    assert len(rows) == 24, "one line per workflow plus the headline and the header"
    assert header.split("  ")[0] == "WORKFLOW" and "REPOSITORY" in header and "PATH" in header
    assert_aligned(header, rows, right={2})
    assert cell(header, rows[0], "PATH") == ".github/workflows/w0.yml"


@pytest.mark.skipif(not GHAMINER.exists(), reason="shared GHAminer data not present")
def test_workflows_on_the_ghaminer_store(tmp_path):
    store = tmp_path / "store"
    code, lines = run_text("--data", str(store), "import", *map(str, sorted(GHAMINER.glob("*.csv"))))
    assert code == 0 and lines[0].startswith("Imported ")
    code, lines = run_text("--data", str(store), "workflows")
    count = int(lines[0].split()[0])
    assert code == 0 and count >= 20 and len(lines) == count + 2
    assert_human(lines)
    assert_aligned(lines[1], lines[2:], right={2})
    assert max(len(line) for line in lines) <= 140


def test_hostile_names_stay_on_one_line():
    evil = "Deploy\n\x1b[31mRED\x1b[0m\rover\u202eesrever\u2028" + "x" * 80
    response = APIResponse(True, f"1 workflow named {evil}", {"workflows": [
        {"key": "o/r#1", "repository": "o/r", "name": evil, "path": None, "workflow_id": 1, "runs": 3,
         "aliases": ["old\nname"]},
        {"key": "o/r#2", "repository": "o/r", "name": "CI", "path": None, "workflow_id": 2, "runs": 1, "aliases": []},
    ]})
    lines = render("workflows", response).splitlines()
    assert_human(lines)
    assert len(lines) == 4, lines
    assert "\u202e" not in "".join(lines) and "\u2028" not in "".join(lines)
    row = lines[2]
    assert row.startswith("Deploy [31mRED [0m over esrever x") and "…" in row
    assert len(cell(lines[1], row, "WORKFLOW")) == text.NAME_WIDTH, "long names are cut to the column's width"
    assert cell(lines[1], row, "EARLIER NAMES") == "old name"
    assert_aligned(lines[1], lines[2:], right={1})


def test_hostile_name_through_import(tmp_path):
    store = imported_store(tmp_path, [api_run(1, name="evil\nname\x1b[2J"), api_run(2)])
    _, lines = run_text("--data", str(store), "history", "--workflow", "CI")
    assert_human(lines)
    assert len(lines) == 4  # headline, header, two runs


def test_wide_characters_keep_columns_aligned():
    response = APIResponse(True, "2 workflows", {"workflows": [
        {"repository": "o/r", "name": "テスト", "workflow_id": 1, "runs": 3},
        {"repository": "o/r", "name": "CI", "workflow_id": 2, "runs": 10},
    ]})
    header, wide, narrow = render("workflows", response).splitlines()[1:]
    # テスト takes six terminal columns in three characters: pad by columns, not characters.
    assert wide.index("3") + 3 == narrow.index("10") + 1


def test_nulls_render_as_dashes():
    figures = {"workflow_name": "New", "recommended_schedule": None, "confidence": 0.0,
               "expected_duration_seconds": None, "duration_p90_seconds": None, "predicted_success_rate": None,
               "resource_impact": None, "reasoning": ["No prediction for New: it has no runs yet."], "n_runs": 0}
    lines = render("predict", APIResponse(True, "Prediction for New (o/r)", figures)).splitlines()
    assert_human(lines)
    assert lines[1:8] == ["duration p50          -", "duration p90          -", "success               -",
                          "confidence            0%", "resource impact       -", "recommended schedule  -",
                          "learned from          0 runs"]
    recommendation = {"workflow": "New", "current_schedule": ["0 5 * * 1"], "recommended_schedule": "0 5 * * 1",
                      "change": False, "cold_start": True, "confidence": None, "expected_duration_seconds": None,
                      "predicted_success_rate": None, "reasoning": ["no runs"]}
    output = render("recommend", APIResponse(True, "1 scheduled workflow, 0 should move",
                                             {"recommendations": [recommendation], "conflicts": [], "errors": []}))
    row = output.splitlines()[2]
    assert row.split()[-6:] == ["keep", "(cold", "start)", "-", "-", "-"]
    assert "why" not in output, "only workflows that change get their reasons"


def test_durations_and_rates_are_rounded_for_people():
    prediction = {"workflow_name": "CI", "expected_duration_seconds": 245.4, "duration_p90_seconds": 3720.2,
                  "predicted_success_rate": 0.4465, "confidence": 0.9961, "n_runs": 1}
    lines = render("predict", APIResponse(True, "Prediction for CI", prediction)).splitlines()
    values = {line[:20].strip(): line[22:] for line in lines[1:]}
    assert values == {"duration p50": "4m 05s", "duration p90": "1h 02m", "success": "45%", "confidence": ">99%",
                      "resource impact": "-", "recommended schedule": "-", "learned from": "1 run"}


def test_batch_new_shape_with_an_unknown_name_and_the_old_list_shape():
    found = {"workflow_name": "CI", "expected_duration_seconds": 61, "duration_p90_seconds": 90,
             "predicted_success_rate": 0.9, "confidence": 0.5, "recommended_schedule": None, "n_runs": 12}
    unknown = {"workflow_name": "Nope", "expected_duration_seconds": None, "duration_p90_seconds": None,
               "predicted_success_rate": None, "confidence": 0.0, "recommended_schedule": None, "n_runs": 0,
               "error": "WorkflowNotFound", "message": "unknown workflow 'Nope'."}
    response = APIResponse(False, "1 prediction; unknown: Nope", {"predictions": {"ci.yml": found, "Nope": unknown}},
                           error="WorkflowNotFound")
    lines = render("batch", response).splitlines()
    assert_human(lines)
    assert lines[0] == "error: 1 prediction; unknown: Nope"
    start = lines.index("Predictions for 1 workflow; 1 name failed")
    header, rows = lines[start + 1], lines[start + 2:start + 4]
    assert rows[0].split() == ["CI", "1m", "01s", "1m", "30s", "90%", "50%", "-", "12"]
    assert rows[1].split() == ["Nope", "-", "-", "-", "-", "-", "-"], "an unknown name has no figures, not 0%"
    assert_aligned(header, rows, right={1, 2, 3, 4, 6})
    assert lines[-1] == "error: Nope: unknown workflow 'Nope'."

    old = render("batch", APIResponse(True, "Predictions for 1 workflows", {"predictions": [found]})).splitlines()
    assert old[0] == "Predictions for 1 workflow" and old[2].split()[0] == "CI"


def test_accuracy_tables():
    scores = {"runs": 40, "model": {"p50_mae_seconds": 61.2, "mape": 0.12, "within_20pct": 0.8, "p90_coverage": 0.9,
                                    "brier": 0.151}, "last50_median": {"p50_mae_seconds": 75.0},
              "historical_rate": {"brier": 0.2}}
    data = {"matched_runs": 40, "mean_absolute_error": 61.2, "mean_absolute_percentage_error": 0.12,
            "accuracy_score": None, "overall": scores, "workflows": {"o/r#1": scores, "o/r#2": {"runs": 0}},
            "weeks": {f"2025-W{w:02d}": scores for w in range(1, 11)}}
    lines = render("accuracy", APIResponse(True, "Accuracy over 40 runs", data)).splitlines()
    assert_human(lines)
    assert "mean abs error  1m 01s (median of last 50: 1m 15s)" in lines
    assert "success Brier   0.151 (best baseline, historical rate: 0.200)" in lines
    header = next(line for line in lines if line.startswith("WORKFLOW"))
    rows = lines[lines.index(header) + 1:lines.index(header) + 3]
    assert rows[1].split() == ["o/r#2", "0"] + ["-"] * 6
    assert_aligned(header, rows, right=set(range(1, 8)))
    weeks = next(line for line in lines if line.startswith("WEEK"))
    assert lines[-1] == "… 2 earlier weeks in --json" and lines[lines.index(weeks) + 1].startswith("2025-W03")


def test_backtest_key_lines_and_tables():
    duration = {"model": {"n": 182, "p50_mae_seconds": 52.4, "p50_mae_relative": 0.136, "p90_coverage": 0.934},
                "last50_median": {"n": 182, "p50_mae_seconds": 57.6, "p50_mae_relative": 0.149, "p90_coverage": 0.863}}
    success = {"model": {"n": 182, "brier": 0.107}, "repeat_last": {"n": 182, "brier": 0.104}}
    scores = {"duration": duration, "success": success, "p50_mae_vs_best_baseline": 0.912,
              "brier_vs_best_baseline": 1.028}
    data = {"folds": 5, "origins": ["2025-06-02T00:20:33Z", "2025-10-17T15:54:16Z"], "scored_runs": 182,
            "overall": scores, "workflows": {"facebook/react#94341022": scores}}
    lines = render("backtest", APIResponse(True, "Backtest of one workflow in time order", data)).splitlines()
    assert_human(lines)
    assert lines[1:5] == ["folds               5, from 2025-06-02 to 2025-10-17",
                          "scored runs         182",
                          "duration p50 error  model 52s vs 58s (median of last 50): -9%",
                          "success Brier       model 0.107 vs 0.104 (repeat last outcome): +3%"]
    method = lines.index("") + 1
    assert_aligned(lines[method], lines[method + 1:method + 4], right={1, 2, 3, 4, 5})


def test_errors_are_one_line_with_a_hint(tmp_path):
    store = imported_store(tmp_path, [api_run(1)])
    code, lines = run_text("--data", str(store), "insights", "--workflow", "Nightlly")
    assert code == 1
    assert lines[0].startswith("error: unknown workflow 'Nightlly'") and len(lines) == 2
    assert lines[1].startswith("hint: ")
    code, lines = run_text("--data", str(tmp_path / "nowhere"), "health")
    assert code == 1 and len(lines) == 1 and lines[0].startswith("error: ")


def test_unknown_commands_and_shapes_fall_back_to_key_lines(monkeypatch):
    data = {"count": 1234, "ratio": 0.123456, "nested": {"a": None, "b": True}, "items": [{"x": 1}],
            "names": ["a\nb", "c"], "empty": None}
    lines = render("something-new", APIResponse(True, "Done", data)).splitlines()
    assert lines == ["Done", "count   1,234", "ratio   0.1235", "nested  a -, b yes", "items   1 item",
                     "names   a b, c", "empty   -"]

    def broken(data: Any, message: str) -> list[str]:
        raise KeyError("a shape this formatter did not expect")

    monkeypatch.setitem(text.FORMATTERS, "health", broken)
    lines = render("health", APIResponse(True, "Store is healthy", {"runs": 3})).splitlines()
    assert lines == ["Store is healthy", "runs  3"]
    assert render("workflows", APIResponse(True, "3 workflows", ["not", "a", "mapping"])) == "3 workflows\nnot, a, mapping"
    assert render("history", APIResponse(True, "Nothing", None)) == "Nothing"


def test_sync_and_compact_print_key_lines(fake_github, monkeypatch):
    fake_github.seed_runs(make_runs(30, start=T0))
    monkeypatch.setenv("GITHUB_TOKEN", FAKE_TOKEN)
    branch = ["--repo", REPO, "--data-branch", "wo-data", "--api-url", fake_github.base_url]
    code, lines = run_text("sync", *branch)
    assert code == 0
    assert_human(lines)
    keys = {line.split("  ", 1)[0]: line.split("  ", 1)[1].strip() for line in lines[1:]}
    assert keys["complete"] == "yes" and keys["runs"].startswith("30 new, 0 updated")
    code, lines = run_text("compact", *branch)
    assert code == 0 and re.fullmatch(r"commit  [0-9a-f]{40}", lines[1])


def test_health_imports_no_heavy_library(tmp_path):
    store = imported_store(tmp_path, [api_run(1)])
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "orchestrator", "--data", str(store), "health"],
                            capture_output=True, text=True, check=True)
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    heavy = {"numpy", "pandas", "sklearn", "rich"} & {name.split(".")[0] for name in imported}
    assert not heavy, f"a cold `health` imports {sorted(heavy)}"
    assert result.stdout.splitlines()[0].endswith("is healthy: 1 run, 1 workflow")
