"""The CLI: exact output shape, exit codes, help for every command, `python -m` equivalence."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from orchestrator.cli import COMMANDS, build_parser, main
from tests.factories import api_run


@pytest.fixture
def store(tmp_path):
    runs = [api_run(i, minutes=4 + i % 3, conclusion="failure" if i % 5 == 0 else "success") for i in range(1, 21)]
    runs += [api_run(100 + i, name="Nightly", workflow_id=9, path=".github/workflows/nightly.yml@refs/heads/main",
                     event="schedule") for i in range(5)]
    source = tmp_path / "runs.json"
    source.write_text(json.dumps(runs))
    data = tmp_path / "store"
    assert main(["--data", str(data), "import", str(source), "--json"]) == 0
    return data


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(list(argv) + ["--json"])
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "--json prints exactly one line"
    return code, json.loads(out)


def test_json_shape(store, capsys):
    code, body = run_json(capsys, "--data", str(store), "insights", "--workflow", "CI")
    assert code == 0
    assert set(body) == {"success", "message", "data", "timestamp"}
    assert body["data"]["total_executions"] == 20
    assert body["data"]["success_rate"] == 0.8


def test_human_output_layout(store, capsys):
    capsys.readouterr()
    assert main(["--data", str(store), "history", "--workflow", "nightly.yml", "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "2 of 5 runs of Nightly (octo/repo), newest first"
    assert lines[1].split("  ")[0] == "RUN" and "DURATION" in lines[1]
    assert len(lines) == 4, "a headline, a header and one line per run"


def test_history_is_newest_first_and_limited(store, capsys):
    _, body = run_json(capsys, "--data", str(store), "history", "--workflow", "CI", "--limit", "3")
    ids = [r["id"] for r in body["data"]["runs"]]
    assert ids == [20, 19, 18]
    assert {"duration_seconds", "queue_seconds", "outcome"} <= set(body["data"]["runs"][0])


def test_workflow_by_id_path_and_name(store, capsys):
    for query in ("9", ".github/workflows/nightly.yml", "Nightly", "nightly"):
        code, body = run_json(capsys, "--data", str(store), "insights", "--workflow", query)
        assert code == 0 and body["data"]["workflow"]["name"] == "Nightly", query


def test_unknown_workflow_lists_close_matches(store, capsys):
    code, body = run_json(capsys, "--data", str(store), "insights", "--workflow", "Nightlly")
    assert code == 1 and body["success"] is False and body["error"] == "WorkflowNotFound"
    assert "Nightly" in body["message"]


def test_health(store, capsys):
    code, body = run_json(capsys, "--data", str(store), "health")
    assert code == 0 and body["data"]["runs"] == 25 and body["data"]["workflows"] == 2
    assert body["data"]["schema_version"] == 1 and body["data"]["reads_schema_version"] == 2  # no job timings stored


def test_record_then_merge_with_synced_run(store, capsys, tmp_path):
    code, body = run_json(capsys, "--data", str(store), "record", "--workflow", "CI", "--start-time",
                          "2025-03-01T09:00:20Z", "--duration", "100", "--success", "true", "--run-id", "555",
                          "--resource-usage", '{"cpu_percent": 40, "memory_mb": 512, "api_calls": 3}')
    assert code == 0 and body["data"]["added"] == 1
    synced = tmp_path / "synced.json"
    synced.write_text(json.dumps([api_run(555, minutes=3)]))
    _, body = run_json(capsys, "--data", str(store), "import", str(synced))
    assert body["data"]["updated"] == 1 and body["data"]["imported"] == 0
    _, body = run_json(capsys, "--data", str(store), "history", "--workflow", "CI", "--limit", "100")
    matching = [r for r in body["data"]["runs"] if r["id"] == 555]
    assert len(matching) == 1
    assert matching[0]["resource_usage"] == {"cpu_percent": 40.0, "memory_mb": 512.0, "api_calls": 3}
    assert matching[0]["workflow_id"] == 161335


def test_record_twice_without_run_id_stores_once(store, capsys):
    argv = ["--data", str(store), "record", "--workflow", "CI", "--start-time", "2025-04-01T10:00:00+02:00",
            "--duration", "60", "--success", "false"]
    run_json(capsys, *argv)
    _, body = run_json(capsys, *argv)
    assert body["data"]["added"] == 0 and body["message"].startswith("Already had")


def test_every_command_has_help_and_documentation():
    parser = build_parser()
    readme = (__import__("pathlib").Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name, (help_text, _) in COMMANDS.items():
        assert help_text and help_text.endswith("."), name
        assert f"workflow-orchestrator {name}" in readme or f"orchestrator {name}" in readme, f"{name} undocumented"
    assert parser.format_help()


def test_python_dash_m_is_the_same_program(store):
    result = subprocess.run([sys.executable, "-m", "orchestrator", "--data", str(store), "health", "--json"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert json.loads(result.stdout)["data"]["runs"] == 25


def test_recommend_on_the_bundled_sample_with_custom_weights(capsys, tmp_path):
    import shutil
    from pathlib import Path
    sample = Path(__file__).resolve().parents[1] / "orchestrator" / "sample"
    shutil.copytree(sample / "store", tmp_path / "store")
    code, body = run_json(capsys, "--data", str(tmp_path / "store"), "recommend",
                          "--workflows-dir", str(sample / "workflows"), "--weights", '{"overlap": 0.2}')
    assert code == 0 and body["data"]["weights"]["overlap"] == 0.2
    [rec] = body["data"]["recommendations"]
    assert rec["current_schedule"] == ["0 0 * * *"] and rec["workflow"] == "(DevTools) Regression Tests"
    code, body = run_json(capsys, "--data", str(tmp_path / "store"), "recommend",
                          "--workflows-dir", str(sample / "workflows"), "--weights", '{"gravity": 1}')
    assert code == 2 and "gravity" in body["message"]


def test_demo_runs_the_main_job_on_the_bundled_sample(capsys):
    capsys.readouterr()
    assert main(["demo"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "::" not in captured.err, "a terminal gets readable lines, not workflow commands"
    assert "── Learn and recommend" in captured.err and "1 scheduled workflow, " in captured.err
    # The summary's success figure is the predictor's for the next run; a warning follows it.
    success = int(re.search(r"\| (\d+)% \| (?:free|\$)[^|]* \| \d+% \| ", out).group(1))
    assert ("warning: (DevTools) Regression Tests fails often" in captured.err) == (success < 50)
    assert re.match(r"Insights — \(DevTools\) Regression Tests \(facebook/react\)\n"
                    r"  runs          \d+ \(\d+ successes, \d+ failures\)\n  success rate  \d+%\n", out)
    assert "## Workflow Orchestrator — facebook/react" in out and "```mermaid" in out
    assert "\nMain job on the bundled sample finished; " in out
    assert "\nreport-path  workflow-orchestrator-report/report.json\n" in out
