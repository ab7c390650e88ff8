"""The token never leaves the environment: not in output, logs, results, the store or the branch."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from orchestrator.source.sync import sync
from orchestrator.store import HistoryStore
from orchestrator.store.branch import BranchBackend
from tests.conftest import FAKE_TOKEN, REPO
from tests.fakegithub import FakeGitHub, make_runs


def test_the_token_appears_nowhere(fake_github: FakeGitHub, make_client: Any, tmp_path: Path,
                                   caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    fake_github.seed_runs(make_runs(320, datetime.now(timezone.utc) - timedelta(days=2), spacing=timedelta(minutes=5)))
    fake_github.inject_faults(error_rate=0.1, seed=5)
    results = []
    client = make_client()
    results.append(sync(HistoryStore(BranchBackend(client, REPO, "data")), REPO, client, max_requests=3))
    client = make_client()
    results.append(sync(HistoryStore(BranchBackend(client, REPO, "data")), REPO, client, max_requests=None))
    fake_github.set_rate_limit(remaining=0, reset_in=3600)
    results.append(sync(HistoryStore.local(tmp_path), REPO, make_client(), max_requests=None))
    out, err = capsys.readouterr()

    assert all(e.request_headers.get("authorization") == f"token {FAKE_TOKEN}" for e in fake_github.requests)  # it was used …
    assert caplog.records, "debug logging was on, so PyGithub's request log was captured"
    places = {
        "stdout": out, "stderr": err, "logs": caplog.text, "results": json.dumps(results),
        "local store": "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file()),
        "branch files": b"".join(fake_github.branch_files("data").values()).decode(),
        "requests we sent": "".join(e.request_body.decode() + e.path + json.dumps(e.query) for e in fake_github.requests),
    }
    for place, text in places.items():
        assert FAKE_TOKEN not in text, place  # … and shown nowhere
    assert results[-1]["stopped"] == "rate_limited"
