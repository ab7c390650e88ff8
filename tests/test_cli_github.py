"""The CLI against the fake GitHub: sync onto a data branch, read it back, compact it."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from orchestrator.cli import main
from tests.conftest import FAKE_TOKEN, REPO
from tests.fakegithub import make_runs


def cli(capsys, *argv: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main([*argv, "--json"])
    out = capsys.readouterr()
    assert FAKE_TOKEN not in out.out + out.err
    return code, json.loads(out.out)


def test_sync_to_branch_then_read_and_compact(fake_github, monkeypatch, capsys):
    fake_github.seed_runs(make_runs(250, start=datetime(2025, 1, 1, tzinfo=timezone.utc)))
    monkeypatch.setenv("GITHUB_TOKEN", FAKE_TOKEN)
    branch = ["--repo", REPO, "--data-branch", "wo-data", "--api-url", fake_github.base_url]

    code, body = cli(capsys, "sync", *branch, "--max-requests", "50")
    assert code == 0 and body["data"]["runs_added"] == 250 and body["data"]["complete"] is True

    code, body = cli(capsys, "health", *branch)
    assert code == 0 and body["data"]["runs"] == 250 and body["data"]["store"] == f"{REPO}@wo-data"

    code, body = cli(capsys, "history", "--workflow", "CI", "--limit", "3", *branch)
    assert code == 0 and body["data"]["total"] == 250

    code, body = cli(capsys, "sync", *branch)
    assert code == 0 and body["data"]["runs_added"] == 0

    code, body = cli(capsys, "compact", *branch)
    assert code == 0 and len(fake_github.branch_history("wo-data")) == 1
    stored = b"".join(fake_github.branch_files("wo-data").values())
    assert FAKE_TOKEN.encode() not in stored


def test_sync_without_a_token_says_how_to_give_one(fake_github, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    code, body = cli(capsys, "sync", "--repo", REPO, "--api-url", fake_github.base_url)
    assert code == 2 and "GITHUB_TOKEN" in body["message"]


def test_branch_store_needs_a_repository(capsys):
    code, body = cli(capsys, "health", "--data-branch", "wo-data")
    assert code == 2 and "--repo" in body["message"]
