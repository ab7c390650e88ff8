"""One action run, at most one data-branch commit: runs, state and predictions together; none when idle.

The job runs in-process (``run()``, what ``entrypoint.py`` calls) with the real API, store and
client against the fake GitHub; only the API's clock is pinned, so that a re-run asks the model
exactly what the run before it asked.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

import pytest

from orchestrator.action.commands import Log
from orchestrator.action.run import ActionResult, run
from orchestrator.action.settings import load_settings
from orchestrator.api import WorkflowOrchestratorAPI
from orchestrator.store import HistoryStore
from orchestrator.store.branch import BranchBackend
from tests.conftest import FAKE_TOKEN, REPO
from tests.fakegithub import FakeGitHub, make_runs
from tests.test_action_e2e import BRANCH, HOSTILE, NOW, seed_history, workspace_with_workflows

RunAction = Callable[..., tuple[ActionResult, WorkflowOrchestratorAPI]]


@pytest.fixture
def run_action(tmp_path: Path, fake_github: FakeGitHub, make_client: Any) -> RunAction:
    """Run the action once, as a fresh job would: new client, new store, the given clock."""
    workspace = workspace_with_workflows(tmp_path)
    settings = load_settings({"INPUT_TOKEN": FAKE_TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_WORKSPACE": str(workspace),
                              "GITHUB_API_URL": fake_github.base_url, "INPUT_DATA-BRANCH": BRANCH,
                              "INPUT_LOOKBACK-DAYS": "0", "INPUT_MIN-CONFIDENCE": "0.0"})

    def action(clock: Callable[[], datetime] = lambda: NOW) -> tuple[ActionResult, WorkflowOrchestratorAPI]:
        client = make_client()
        api = WorkflowOrchestratorAPI(store=HistoryStore(BranchBackend(client, REPO, BRANCH)), client=client, clock=clock)
        return run(settings, Log(io.StringIO()), api=api, now=NOW), api

    return action


def ref_writes(fake: FakeGitHub) -> int:
    """Branch creations and ref updates: one per commit that reached the branch."""
    return fake.request_count("POST", "/git/refs") + fake.request_count("PATCH", "/git/refs")


def changed_by(fake: FakeGitHub, sha: str) -> set[str]:
    """The files commit ``sha`` added or changed against its parent."""
    (parent,) = fake.commit(sha).parents
    before, after = fake.commit_files(parent), fake.commit_files(sha)
    return {path for path, data in after.items() if before.get(path) != data}


def test_a_run_with_new_runs_makes_one_commit_holding_runs_state_and_predictions(fake_github: FakeGitHub, run_action: RunAction) -> None:
    seed_history(fake_github)
    first, _ = run_action()
    assert not first.failures and first.outputs["runs-synced"] == "200"
    assert len(fake_github.branch_history(BRANCH)) == 1 and ref_writes(fake_github) == 1
    files = fake_github.branch_files(BRANCH)
    assert "state.json" in files and any(p.startswith("runs/") for p in files) and any(p.startswith("predictions/") for p in files)

    # A later run: one more nightly run happened, so the sync, the state and the prediction all move.
    fake_github.seed_runs(make_runs(1, NOW - timedelta(hours=2), first_id=20_000, workflow_id=2, name=HOSTILE,
                                    path=".github/workflows/nightly.yml", duration=timedelta(minutes=20)))
    second, api = run_action(lambda: NOW + timedelta(hours=1))
    assert not second.failures and second.outputs["runs-synced"] == "1"
    history = fake_github.branch_history(BRANCH)
    assert len(history) == 2 and ref_writes(fake_github) == 2
    changed = changed_by(fake_github, history[0])
    assert "state.json" in changed and any(p.startswith("runs/") for p in changed) and any(p.startswith("predictions/") for p in changed)
    subject = fake_github.commit(history[0]).message.splitlines()[0]
    assert subject == f"Action run (recommend) on {REPO}: store 1 run, log 1 prediction, update the sync state"

    # health reports when a sync last saved anything: the state at the top, as the cursor has it.
    state = json.loads(fake_github.branch_files(BRANCH)["state.json"])
    assert api.health_check().data["last_sync"] == state["last_sync"] == state["sync"][REPO]["last_sync"] is not None


def test_an_immediate_idle_rerun_writes_no_commit(fake_github: FakeGitHub, run_action: RunAction) -> None:
    seed_history(fake_github)
    fake_github.seed_runs(make_runs(10, NOW - timedelta(hours=20), spacing=timedelta(hours=1), first_id=50_000))  # runs in the overlap
    run_action()
    tip, writes, before = fake_github.ref_sha(BRANCH), ref_writes(fake_github), len(fake_github.requests)
    rerun, api = run_action()
    assert not rerun.failures and rerun.outputs["runs-synced"] == "0" and rerun.outputs["complete"] == "true"
    assert fake_github.ref_sha(BRANCH) == tip and ref_writes(fake_github) == writes
    assert fake_github.request_count("POST", "/git/commits") == 1
    assert rerun.report["sync"]["listing_requests"] == 2  # the workflows and the first runs page, both 304
    assert [e.status for e in fake_github.requests[before:] if "/actions/" in e.path] == [304, 304]
    assert api.health_check().data["last_sync"] is not None  # the first run's sync, still the latest that saved anything


def test_a_job_cancelled_after_the_sync_still_stores_the_synced_runs_in_one_commit(fake_github: FakeGitHub, run_action: RunAction,
                                                                                  make_client: Any) -> None:
    seed_history(fake_github)
    tips_at_crash: list[str | None] = []

    def cancelled_clock() -> datetime:  # the API first asks the time while recommending, after the sync
        tips_at_crash.append(fake_github.ref_sha(BRANCH))
        raise KeyboardInterrupt  # how a cancelled job's step is stopped (SIGINT); no API method answers it

    with pytest.raises(KeyboardInterrupt):
        run_action(cancelled_clock)
    assert tips_at_crash == [None]  # the sync had written nothing yet …
    (tip,) = fake_github.branch_history(BRANCH)  # … and what it gathered was still saved, in one commit
    files = fake_github.commit_files(tip)
    assert "state.json" in files and not any(p.startswith("predictions/") for p in files)
    stored = HistoryStore(BranchBackend(make_client(), REPO, BRANCH)).runs()
    assert sorted(r.id for r in stored) == sorted(r["id"] for r in fake_github.runs())


def test_a_failed_write_fails_the_run_with_its_report_and_the_next_run_stores_everything(fake_github: FakeGitHub,
                                                                                        run_action: RunAction) -> None:
    seed_history(fake_github)
    fake_github.inject_faults(error_rate=1.0, methods=["POST"])  # GitHub keeps failing every write
    failed, _ = run_action()
    assert failed.failures and failed.failures[0].startswith(f"saving to {BRANCH}: GitHub kept failing on POST")
    assert any("saving to" in section for section in failed.summary_sections)  # the summary still says what happened
    assert fake_github.ref_sha(BRANCH) is None
    fake_github.clear_faults()
    retried, _ = run_action()
    assert not retried.failures and retried.outputs["runs-synced"] == "200"  # the cursor was not saved: nothing lost
    assert len(fake_github.branch_history(BRANCH)) == 1
