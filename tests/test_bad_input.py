"""Hostile and broken input: every case gets a clear message, a non-zero exit, and loses nothing."""

from __future__ import annotations

import json
import os

import pytest

from orchestrator.cli import main
from tests.factories import api_run


@pytest.fixture
def store(tmp_path):
    source = tmp_path / "seed.json"
    source.write_text(json.dumps([api_run(i) for i in range(1, 6)]))
    data = tmp_path / "store"
    assert main(["--data", str(data), "import", str(source)]) == 0
    return data


def snapshot(directory):
    return {p.relative_to(directory): p.read_bytes() for p in directory.rglob("*.json")}


def attempt(capsys, store, *argv: str) -> tuple[int, dict]:
    before = snapshot(store)
    capsys.readouterr()
    try:
        code = main(["--data", str(store), *argv, "--json"])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
        captured = capsys.readouterr()
        assert code == 2 and "error:" in captured.err
        assert snapshot(store) == before
        return code, {}
    body = json.loads(capsys.readouterr().out)
    assert code != 0 and body["success"] is False and body["message"]
    assert snapshot(store) == before, "a failed command must not change the store"
    return code, body


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


RECORD = ["record", "--workflow", "CI", "--start-time", "2025-03-01T09:00:00Z", "--duration", "60", "--success", "true"]


def record_with(**changes: str) -> list[str]:
    argv = list(RECORD)
    for flag, value in changes.items():
        option = "--" + flag.replace("_", "-")
        if option in argv:
            argv[argv.index(option) + 1] = value
        else:
            argv += [option, value]
    return argv


@pytest.mark.parametrize("content,needle", [
    ("{\"workflow_runs\": [", "not valid JSON"),
    ("", "empty"),
    ("hello, world\n", "not a recognised history file"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    ("42", "not a recognised"),
])
def test_unreadable_import_files(capsys, store, tmp_path, content, needle):
    code, body = attempt(capsys, store, "import", write(tmp_path, "bad.json", content))
    assert code == 1 and needle in body["message"] and "bad.json" in body["message"]


def test_import_missing_file(capsys, store, tmp_path):
    _, body = attempt(capsys, store, "import", str(tmp_path / "nope.json"))
    assert "no such file" in body["message"]


def test_import_wrong_types_are_skipped_not_crashing(capsys, store, tmp_path):
    rows = [api_run(50, id="fifty"), api_run(51, run_attempt=-1), api_run(52, created_at=12.5e99),
            api_run(53, repository=None), api_run(54, name={"x": 1})]
    capsys.readouterr()
    assert main(["--data", str(store), "import", write(tmp_path, "types.json", json.dumps(rows)), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["data"]["imported"] == 0 and body["data"]["skipped"] == 5


def test_import_duplicate_ids_in_one_file_store_once(capsys, store, tmp_path):
    rows = [api_run(60), api_run(60), api_run(60, minutes=9)]
    capsys.readouterr()
    main(["--data", str(store), "import", write(tmp_path, "dup.json", json.dumps(rows)), "--json"])
    body = json.loads(capsys.readouterr().out)
    assert body["data"]["imported"] == 1


def test_import_megabyte_name_is_skipped(capsys, store, tmp_path):
    capsys.readouterr()
    rows = [api_run(70, name="x" * 1_000_000)]
    main(["--data", str(store), "import", write(tmp_path, "long.json", json.dumps(rows)), "--json"])
    body = json.loads(capsys.readouterr().out)
    assert body["data"]["skipped"] == 1 and "bad name" in body["data"]["skipped_reasons"]


def test_control_characters_in_names_are_neutralised(capsys, store, tmp_path):
    rows = [api_run(80, name="evil\n::set-output name=x::1\r\x1b[31m")]
    main(["--data", str(store), "import", write(tmp_path, "ctl.json", json.dumps(rows))])
    capsys.readouterr()
    main(["--data", str(store), "history", "--workflow", "CI", "--limit", "50", "--json"])
    names = {r["name"] for r in json.loads(capsys.readouterr().out)["data"]["runs"]}
    assert not any(c in name for name in names for c in "\n\r\x1b")


@pytest.mark.parametrize("argv,needle", [
    (record_with(duration="-5"), "duration"),
    (record_with(duration="1e12"), "duration"),
    (record_with(duration="nan"), "duration"),
    (record_with(start_time="2025-03-01T09:00:00"), "zone"),
    (record_with(start_time="last tuesday"), "ISO-8601"),
    (record_with(run_id="-3"), "run-id"),
    (record_with(resource_usage='{"cpu_percent": -1}'), "cpu_percent"),
    (record_with(resource_usage='{"gpu": 1}'), "resource-usage"),
    (record_with(resource_usage='[1, 2]'), "resource-usage"),
    (record_with(workflow="w" * 2000), "workflow"),
])
def test_record_validation(capsys, store, argv, needle):
    code, body = attempt(capsys, store, *argv)
    assert code == 2 and needle in body["message"]


@pytest.mark.parametrize("argv", [
    record_with(success="maybe"),
    record_with(duration="ten"),
    record_with(resource_usage="{not json"),
    ["history", "--workflow", "CI", "--limit", "0"],
    ["history", "--workflow", "CI", "--limit", "-1"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(capsys, store, argv):
    attempt(capsys, store, *argv)


def test_unknown_workflow(capsys, store):
    code, body = attempt(capsys, store, "insights", "--workflow", "no such thing")
    assert code == 1 and body["error"] == "WorkflowNotFound"


def test_unknown_repository(capsys, store):
    _, body = attempt(capsys, store, "insights", "--workflow", "CI", "--repo", "nobody/nothing")
    assert "octo/repo" in body["message"]


def test_corrupt_store_file_is_named_and_kept(capsys, store):
    shard = next((store / "runs").glob("*.json"))
    shard.write_text('{"schemaVersion": 1, "kind": "runs", "rows": "oops"}')
    code, body = attempt(capsys, store, "health")
    assert code == 1 and shard.name in body["message"] and "untouched" in body["message"]
    code, body = attempt(capsys, store, *record_with(start_time="2025-05-01T00:00:00Z"))
    assert shard.read_text() == '{"schemaVersion": 1, "kind": "runs", "rows": "oops"}'


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads unreadable directories")
def test_unreadable_store_directory(capsys, store):
    store.chmod(0)
    try:
        code, body = attempt(capsys, store, "health")
    finally:
        store.chmod(0o755)
    assert "permission" in body["message"].lower()


def test_store_path_that_is_a_file(capsys, tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    capsys.readouterr()
    assert main(["--data", str(path), "health", "--json"]) == 1
    assert "not a directory" in json.loads(capsys.readouterr().out)["message"]
    assert path.read_text() == "x"
