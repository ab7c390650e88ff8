"""The composite record action's script, against the fake GitHub over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from orchestrator.store import HistoryStore
from orchestrator.store.backend import Backend, Snapshot
from tests.conftest import FAKE_TOKEN, REPO
from tests.fakegithub import FakeGitHub, make_runs

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "record" / "record.py"
BRANCH = "workflow-orchestrator-data"
START = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=3)


class _Files(Backend):
    """A read-only view of the fake's branch files, so the store's own decoder reads them."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read(self) -> Snapshot:
        return Snapshot(files=self.files, token="t")

    def write(self, changes, token, message):  # type: ignore[no-untyped-def]
        raise AssertionError("read-only")

    def describe(self) -> str:
        return "fake branch"


def runner_env(fake: FakeGitHub, **extra: str) -> dict[str, str]:
    """What the composite step's env: and the runner give the script."""
    env = {
        "RECORD_TOKEN": FAKE_TOKEN,
        "RECORD_SUCCESS": "true",
        "RECORD_DATA_BRANCH": BRANCH,
        "RECORD_CPU_PERCENT": "",
        "RECORD_MEMORY_MB": "512",
        "RECORD_API_CALLS": "7",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": fake.base_url,
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_WORKFLOW": "CI",
        "GITHUB_WORKFLOW_REF": f"{REPO}/.github/workflows/ci.yml@refs/heads/main",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_REF_NAME": "main",
    }
    env.update(extra)
    return env


def stored_runs(fake: FakeGitHub) -> list:
    return HistoryStore(_Files(fake.branch_files(BRANCH))).runs()


def test_the_record_action_passes_inputs_only_through_env() -> None:
    action = yaml.safe_load((ROOT / "record" / "action.yml").read_text())
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", "")
    script = action["runs"]["steps"][-1]["run"]
    assert '"$GITHUB_ACTION_PATH/record.py"' in script and "--require-hashes" in script


def test_record_reads_the_start_and_writes_one_run_with_usage(fake_github: FakeGitHub) -> None:
    fake_github.seed_runs(make_runs(1, START, first_id=4242))
    result = subprocess.run([sys.executable, str(SCRIPT)], env=dict(os.environ, **runner_env(fake_github)),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"::add-mask::{FAKE_TOKEN}" in result.stdout.splitlines()[0]
    assert FAKE_TOKEN not in "\n".join(result.stdout.splitlines()[1:]) + result.stderr
    (run,) = stored_runs(fake_github)
    assert (run.id, run.run_attempt, run.repository, run.path) == (4242, 1, REPO, ".github/workflows/ci.yml")
    assert run.conclusion == "success" and run.event == "push" and run.head_branch == "main"
    assert run.started_at == START + timedelta(seconds=20)  # the run's run_started_at, read from the API
    assert timedelta(minutes=2) < run.updated_at - run.started_at < timedelta(minutes=5)
    assert run.usage is not None and run.usage.memory_mb == 512 and run.usage.api_calls == 7
    assert fake_github.ref_sha("main") is not None and "store.json" not in fake_github.branch_files("main")


def test_bad_success_input_fails_with_a_named_error(fake_github: FakeGitHub) -> None:
    env = dict(os.environ, **runner_env(fake_github, RECORD_SUCCESS="maybe"))
    result = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "::error title=Workflow Orchestrator record failed::success: 'maybe' is not valid" in result.stdout
    assert fake_github.branch_files(BRANCH) == {}


def test_usage_from_proc_when_not_given(tmp_path: Path) -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import record  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(SCRIPT.parent))
    (tmp_path / "loadavg").write_text("0.50 1.00 1.50 1/100 999\n")
    (tmp_path / "meminfo").write_text("MemTotal:  8192000 kB\nMemFree: 1 kB\nMemAvailable: 4096000 kB\n")
    usage = record.measured_usage({}, proc=tmp_path)
    assert usage["memory_mb"] == 4000.0
    assert usage["cpu_percent"] == pytest.approx(min(100.0, 100.0 / (os.cpu_count() or 1)), abs=0.1)
    assert record.measured_usage({"RECORD_CPU_PERCENT": "12.5"}, proc=tmp_path / "missing") == {"cpu_percent": 12.5}
    assert record.workflow_path({"GITHUB_WORKFLOW_REF": "o/r/.github/workflows/a b.yml@refs/pull/1/merge"}) == ".github/workflows/a b.yml"
