"""`import` tells the truth: a file no row of which could be used for a reason `--repo` cures is an
error naming the cure, and skipped rows are warned about, never just counted (issue 10, item 5)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator import WorkflowOrchestratorAPI
from orchestrator.cli import main
from orchestrator.model import OVER_MAX_DURATION
from orchestrator.source.importers import NO_GH_REPOSITORY, NO_REPOSITORY
from tests.factories import api_run


def files(directory: Path) -> dict[Path, bytes]:
    return {p.relative_to(directory): p.read_bytes() for p in directory.rglob("*.json")} if directory.exists() else {}


def write(tmp_path: Path, name: str, rows: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(rows))
    return path


def cli(capsys: Any, store: Path, *argv: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["--data", str(store), "import", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def without_repository(count: int) -> list[dict[str, Any]]:
    rows = [api_run(i) for i in range(1, count + 1)]
    for row in rows:
        del row["repository"]
    return rows


def test_a_file_of_runs_without_a_repository_is_refused_naming_the_fix(capsys, tmp_path):
    source = write(tmp_path, "runs.json", without_repository(70))
    code, body = cli(capsys, tmp_path / "store", str(source))
    assert code == 1 and body["success"] is False and body["error"] == "ImportRejected"
    assert str(source) in body["message"] and "all 70 rows" in body["message"]
    assert "pass --repo OWNER/NAME" in body["message"]
    assert files(tmp_path / "store") == {}


def test_the_fix_works(capsys, tmp_path):
    source = write(tmp_path, "runs.json", without_repository(70))
    code, body = cli(capsys, tmp_path / "store", str(source), "--repo", "octo/repo")
    assert code == 0 and body["data"]["imported"] == 70 and body["data"]["warnings"] == []
    assert body["message"] == "Imported 70 new runs, updated 0, skipped 0 of 70 rows"


def test_gh_run_list_output_without_urls_is_refused_naming_its_fix(capsys, tmp_path):
    rows = [{"databaseId": 7, "workflowName": "CI", "status": "completed", "conclusion": "success",
             "createdAt": "2025-03-01T09:00:00Z", "updatedAt": "2025-03-01T09:04:00Z"}]
    code, body = cli(capsys, tmp_path / "store", str(write(tmp_path, "gh.json", rows)))
    assert code == 1 and body["error"] == "ImportRejected" and NO_GH_REPOSITORY in body["message"]


def test_one_refused_file_refuses_the_whole_import(capsys, tmp_path):
    store = tmp_path / "store"
    assert cli(capsys, store, str(write(tmp_path, "seed.json", [api_run(100)])))[0] == 0
    before = files(store)
    good = write(tmp_path, "good.json", [api_run(1), api_run(2)])
    bad = write(tmp_path, "bad.json", without_repository(3))
    code, body = cli(capsys, store, str(good), str(bad))
    assert code == 1 and str(bad) in body["message"] and str(good) not in body["message"]
    assert files(store) == before


def test_a_partly_skipped_import_succeeds_with_warnings_and_says_so(capsys, tmp_path):
    rows = [api_run(i) for i in range(1, 68)] + [api_run(i, created_at="yesterday") for i in range(68, 71)]
    source = write(tmp_path, "runs.json", rows)
    code, body = cli(capsys, tmp_path / "store", str(source))
    assert code == 0 and body["success"] is True and body["data"]["imported"] == 67
    assert body["data"]["warnings"] == [f"{source}: skipped 3 of 70 rows: 3 bad created_at"]
    assert "skipped 3 of 70 rows: 3 bad created_at" in body["message"] and "see warnings" in body["message"]


def test_runs_missing_a_repository_among_good_ones_are_warned_about_with_the_fix(tmp_path):
    rows = [api_run(1), *without_repository(3)[1:]]
    data = WorkflowOrchestratorAPI(data_dir=tmp_path / "store").import_files([write(tmp_path, "mixed.json", rows)]).data
    assert data["imported"] == 1 and data["skipped_reasons"] == {NO_REPOSITORY: 2}
    assert "pass --repo OWNER/NAME" in data["warnings"][0]


@pytest.mark.parametrize("rows", [
    [api_run(i, created_at="yesterday") for i in range(1, 4)],           # one reason, but no option cures it
    [api_run(1, created_at="yesterday"), *without_repository(2)[1:]],     # several reasons
])
def test_a_wholly_skipped_file_without_a_single_cure_is_warned_about_not_refused(tmp_path, rows):
    response = WorkflowOrchestratorAPI(data_dir=tmp_path / "store").import_files([write(tmp_path, "runs.json", rows)])
    assert response.success and response.data["imported"] == 0 and len(response.data["warnings"]) == 1
    assert f"skipped {len(rows)} of {len(rows)} rows" in response.message


def test_runs_over_35_days_are_skipped_under_their_reason(tmp_path):
    rows = [api_run(1), api_run(2, minutes=36 * 24 * 60)]
    data = WorkflowOrchestratorAPI(data_dir=tmp_path / "store").import_files([write(tmp_path, "runs.json", rows)]).data
    assert data["imported"] == 1 and data["skipped_reasons"] == {OVER_MAX_DURATION: 1}
    assert OVER_MAX_DURATION in data["warnings"][0]


def test_importing_the_same_file_twice_changes_nothing_and_warns_again(capsys, tmp_path):
    rows = [api_run(1), api_run(2, created_at="yesterday"), api_run(3, minutes=3), api_run(3, minutes=4)]
    source = write(tmp_path, "runs.json", rows)
    store = tmp_path / "store"
    first_code, first = cli(capsys, store, str(source))
    snapshot = files(store)
    code, again = cli(capsys, store, str(source))
    assert first_code == code == 0 and files(store) == snapshot
    assert (again["data"]["imported"], again["data"]["updated"]) == (0, 0)
    assert again["data"]["warnings"] == first["data"]["warnings"] != []


def test_a_file_that_is_not_history_is_still_an_error_naming_it(capsys, tmp_path):
    source = tmp_path / "notes.txt"
    source.write_text("hello\n")
    code, body = cli(capsys, tmp_path / "store", str(source))
    assert code == 1 and str(source) in body["message"] and body["error"] == "SourceError"


def test_an_empty_runs_page_imports_nothing_without_a_warning(tmp_path):
    response = WorkflowOrchestratorAPI(data_dir=tmp_path / "store").import_files(
        [write(tmp_path, "page.json", {"total_count": 0, "workflow_runs": []})])
    assert response.success and response.data["warnings"] == []


def test_the_api_names_the_error_kind(tmp_path):
    response = WorkflowOrchestratorAPI(data_dir=tmp_path / "store").import_files(
        [write(tmp_path, "runs.json", without_repository(2))])
    assert not response.success and response.error == "ImportRejected" and response.data is None
    assert files(tmp_path / "store") == {}


def test_run_times_two_files_apart_still_merge(tmp_path):
    """Per-file accounting must not change what is stored: versions in different files still merge."""
    api = WorkflowOrchestratorAPI(data_dir=tmp_path / "store")
    early = write(tmp_path, "a.json", [api_run(1, minutes=2, status="in_progress", conclusion=None)])
    late = write(tmp_path, "b.json", [api_run(1, minutes=5)])
    response = api.import_files([late, early])
    assert response.data["imported"] == 1 and response.data["unchanged"] == 1
    [run] = api.store.runs()
    assert run.conclusion == "success" and run.duration_seconds == timedelta(minutes=5).total_seconds()
