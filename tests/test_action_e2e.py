"""End to end: entrypoint.py run as the container would run it, against the fake GitHub over HTTP.

A temporary workspace with workflow files, the runner's environment (``INPUT_*`` with hyphens,
``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``, ``GITHUB_API_URL`` at the fake), a subprocess with a
clean environment: then the step outputs, the summary, the data branch and the log are checked,
with hostile workflow names throughout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import FAKE_TOKEN, REPO
from tests.fakegithub import FakeGitHub, make_runs
from tests.test_action_outputs import parse_github_output

ROOT = Path(__file__).resolve().parent.parent
BRANCH = "orchestrator-history"
#: Markdown, HTML, a link, a mention, a workflow command and the output delimiter's prefix.
HOSTILE = "Nightly <img src=x onerror=alert(1)> | [pwn](https://evil.example) @octo/all ::warning::pwned ghadelimiter_"
NOW = datetime.now(timezone.utc).replace(second=0, microsecond=0)


@dataclass
class Step:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    workspace: Path


def workspace_with_workflows(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    workflows = workspace / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "nightly.yml").write_text(
        f"name: {json.dumps(HOSTILE)}\n"
        "on:\n  schedule:\n    - cron: '0 3 * * *'\n  workflow_dispatch:\n"
        "jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
    )
    # Added today: a nightly job that has never run (the action's own first day, too).
    (workflows / "brand-new.yml").write_text(
        "name: Brand new\non:\n  schedule:\n    - cron: '0 3 * * *'\n"
        "jobs:\n  build:\n    runs-on: ubuntu-latest\n    timeout-minutes: 10\n    steps:\n      - run: make\n"
    )
    (workflows / "ci.yml").write_text(
        "name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    timeout-minutes: 20\n    steps:\n      - run: make test\n"
    )
    return workspace


def seed_history(fake: FakeGitHub) -> None:
    """60 nightly scheduled runs (late, at 03:00 + 8 to 20 min) and 150 push runs of CI."""
    fake.add_workflow(2, HOSTILE, ".github/workflows/nightly.yml")
    fake.add_workflow(3, "Old cleanup", ".github/workflows/cleanup.yml", state="disabled_inactivity")
    start = (NOW - timedelta(days=60)).replace(hour=3, minute=0)
    nightly = make_runs(60, start, spacing=timedelta(days=1), first_id=10_000, workflow_id=2, name=HOSTILE,
                        path=".github/workflows/nightly.yml", duration=timedelta(minutes=12))
    for i, run in enumerate(nightly):
        delay = timedelta(minutes=8 + (i * 7) % 13)
        run.update(event="schedule", created_at=run["created_at"] + delay, run_started_at=run["run_started_at"] + delay,
                   updated_at=run["updated_at"] + delay, conclusion="failure" if i % 4 == 0 else "success")
    fake.seed_runs(run for i, run in enumerate(nightly) if i % 6 != 5)  # GitHub dropped every sixth tick
    fake.seed_runs(make_runs(150, NOW - timedelta(days=50), spacing=timedelta(hours=7, minutes=41), first_id=1))


def run_entrypoint(tmp_path: Path, fake: FakeGitHub, **inputs: str) -> Step:
    workspace = tmp_path / "workspace"
    if not workspace.exists():
        workspace_with_workflows(tmp_path)
    commands = tmp_path / "file_commands"
    commands.mkdir(exist_ok=True)
    output, summary = commands / "output", commands / "summary.md"
    env = {
        # What a Docker action's container gets: the runner's variables and INPUT_* (hyphens kept).
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        # Test machines share their cores with other jobs; OpenMP's default of one thread per core
        # then slows scikit-learn's small fits several-fold (34 s vs 10 s measured here).
        "OMP_NUM_THREADS": "1",
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": fake.base_url,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "INPUT_TOKEN": FAKE_TOKEN,
        "INPUT_REPOSITORY": "",
        "INPUT_DATA-BRANCH": BRANCH,
        "INPUT_WORKFLOWS-DIR": ".github/workflows",
        "INPUT_WORKFLOWS": "",
        "INPUT_LOOKBACK-DAYS": "0",
        "INPUT_MAX-REQUESTS": "300",
        "INPUT_MIN-CONFIDENCE": "0.0",
        "INPUT_TIMEZONE": "UTC",
        "INPUT_MODE": "recommend",
        "INPUT_SUMMARY": "true",
    }
    env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
    result = subprocess.run([sys.executable, str(ROOT / "entrypoint.py")], env=env, cwd=workspace,
                            capture_output=True, text=True, timeout=120)
    return Step(result.returncode, result.stdout, result.stderr,
                parse_github_output(output.read_text()) if output.exists() else {},
                summary.read_text() if summary.exists() else "", workspace)


def assert_token_never_printed(step: Step) -> None:
    lines = step.stdout.splitlines()
    assert lines[0] == f"::add-mask::{FAKE_TOKEN}"  # masked before anything else is said
    assert FAKE_TOKEN not in "\n".join(lines[1:]) + step.stderr + step.summary
    assert FAKE_TOKEN not in json.dumps(step.outputs)
    for path in step.workspace.rglob("*"):
        if path.is_file():
            assert FAKE_TOKEN.encode() not in path.read_bytes(), path


def test_a_scheduled_run_syncs_learns_recommends_and_reports(tmp_path: Path, fake_github: FakeGitHub) -> None:
    seed_history(fake_github)
    step = run_entrypoint(tmp_path, fake_github)
    assert step.returncode == 0, step.stdout[-3000:] + step.stderr[-3000:]
    assert_token_never_printed(step)

    # Step outputs: every one declared, parsed as one value each despite the hostile name.
    out = step.outputs
    assert set(out) == {"recommendations", "changes", "schedules", "runs-synced", "complete", "accuracy-mae", "report-path",
                        "pull-request-url", "pull-request-number"}
    assert out["pull-request-url"] == out["pull-request-number"] == ""  # apply is off by default
    assert out["runs-synced"] == "200" and out["complete"] == "true"
    recs = json.loads(out["recommendations"])
    (nightly,) = [r for r in recs if r["path"] == ".github/workflows/nightly.yml"]
    assert nightly["workflow"] == HOSTILE and nightly["current_schedule"] == ["0 3 * * *"]
    assert re.fullmatch(r"\d+ \d+ \* \* \*", nightly["recommended_schedule"])  # still daily
    (new,) = [r for r in recs if r["path"] == ".github/workflows/brand-new.yml"]
    assert new["change"] is False and new["confidence"] == 0.0 and new["recommended_schedule"] == "0 3 * * *"
    schedules = json.loads(out["schedules"])
    assert out["changes"] == str(len(schedules)) == str(sum(r["change"] for r in recs))
    assert (step.workspace / out["report-path"]).is_file()

    # The data branch holds the store: created as an orphan, one commit, runs in monthly shards.
    files = fake_github.branch_files(BRANCH)
    assert "store.json" in files and "state.json" in files
    assert any(p.startswith("runs/") for p in files)
    assert any(p.startswith("predictions/") for p in files)  # logged, so the next runs score them
    assert FAKE_TOKEN.encode() not in b"".join(files.values())
    assert "store.json" not in fake_github.branch_files("main")

    # The summary: grouped sections, the hostile name only ever escaped.
    summary = step.summary
    assert summary.startswith(f"## Workflow Orchestrator — {REPO}")
    assert "### Schedules" in summary and "```mermaid" in summary and "<details><summary>" in summary
    assert "Brand new" in summary and "No runs yet" in summary
    assert "Nightly &lt;img src=x onerror=alert(1)&gt; \\| \\[pwn\\]\\(https&#58;//evil.example)" in summary
    assert "<img" not in summary and "](https" not in summary and "@octo" not in summary

    # The log: groups, annotations that cannot be hijacked, nothing that starts a rogue command.
    log = step.stdout.splitlines()
    assert "::group::Sync octo/demo into orchestrator-history" in log and "::endgroup::" in log
    commands = [line for line in log if line.startswith("::")]
    assert all(re.match(r"::(add-mask|group|endgroup|warning|notice|error)[ :]", c) for c in commands), commands
    assert not any(line.startswith("::warning::pwned") for line in log)
    assert any(line.startswith("::warning title=Schedule of Nightly <img") and "file=.github/workflows/nightly.yml::" in line
               and "scheduled ticks had no run" in line for line in log)
    assert any(line.startswith("::warning title=Old cleanup is disabled,file=.github/workflows/cleanup.yml::") for line in log)
    assert "### Liveness warnings" in summary and "`disabled_inactivity`" in summary
    assert not any(line.startswith("::error") for line in log)


def test_a_rerun_adds_nothing_and_keeps_the_branch_bounded(tmp_path: Path, fake_github: FakeGitHub) -> None:
    seed_history(fake_github)
    first = run_entrypoint(tmp_path, fake_github, mode="sync")
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    commits = len(fake_github.branch_history(BRANCH))
    (tmp_path / "file_commands" / "output").unlink()
    second = run_entrypoint(tmp_path, fake_github, mode="sync")
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    assert second.outputs["runs-synced"] == "0" and second.outputs["complete"] == "true"
    assert second.outputs["changes"] == "0" and second.outputs["recommendations"] == "[]"
    assert len(fake_github.branch_history(BRANCH)) <= commits + 1


def test_a_sync_cut_short_still_reports_and_succeeds(tmp_path: Path, fake_github: FakeGitHub) -> None:
    seed_history(fake_github)
    step = run_entrypoint(tmp_path, fake_github, **{"max-requests": "2"})
    assert step.returncode == 0, step.stdout[-2000:] + step.stderr[-2000:]
    assert step.outputs["complete"] == "false"
    assert "::warning title=Partial sync::" in step.stdout
    assert "Sync **partial**" in step.summary and "next run resumes" in step.summary


@pytest.mark.parametrize(
    "inputs, expected",
    [
        ({"lookback-days": "ninety"}, "lookback-days: 'ninety' is not valid; expected whole days"),
        ({"data-branch": "main"}, "default branch"),
    ],
)
def test_real_failures_exit_1_with_an_error_annotation(tmp_path: Path, fake_github: FakeGitHub,
                                                       inputs: dict[str, str], expected: str) -> None:
    step = run_entrypoint(tmp_path, fake_github, **inputs)
    assert step.returncode == 1
    errors = [line for line in step.stdout.splitlines() if line.startswith("::error title=Workflow Orchestrator failed::")]
    assert len(errors) == 1 and expected in errors[0]
    assert "Workflow Orchestrator failed" in step.summary or expected in step.summary
    assert "Traceback" not in step.stderr
    assert_token_never_printed(step)


def test_a_bad_token_fails_without_printing_it(tmp_path: Path, fake_github: FakeGitHub) -> None:
    step = run_entrypoint(tmp_path, fake_github, token="ghs_wrongTOKEN000000000000000000000000")
    assert step.returncode == 1
    assert "::error title=Workflow Orchestrator failed::sync: GitHub answered 401" in step.stdout
    assert "ghs_wrongTOKEN" not in "\n".join(step.stdout.splitlines()[1:]) + step.stderr + step.summary


APPLY_TOKEN = "github_pat_apply_0123456789abcdef"


def seed_prompt_report(fake: FakeGitHub, workflows: Path) -> None:
    """A daily report at 11:23 whose runs start within a minute: the measured contrast that makes
    leaving the nightly's late, dropped :00 a confident move (the round-minute prior alone is not)."""
    (workflows / "report.yml").write_text(
        "name: Report\non:\n  schedule:\n    - cron: '23 11 * * *'\n"
        "jobs:\n  build:\n    runs-on: ubuntu-latest\n    timeout-minutes: 10\n    steps:\n      - run: make\n")
    fake.add_workflow(4, "Report", ".github/workflows/report.yml")
    start = (NOW - timedelta(days=60)).replace(hour=11, minute=23)
    report = make_runs(60, start, spacing=timedelta(days=1), first_id=20_000, workflow_id=4, name="Report",
                       path=".github/workflows/report.yml", duration=timedelta(minutes=3))
    for run in report:
        run.update(event="schedule", created_at=run["created_at"] + timedelta(seconds=40),
                   run_started_at=run["run_started_at"] + timedelta(seconds=40))
    fake.seed_runs(report)


def test_apply_pull_request_opens_one_pull_request_and_links_it(tmp_path: Path, fake_github: FakeGitHub) -> None:
    seed_history(fake_github)
    fake_github.extra_tokens.add(APPLY_TOKEN)
    workflows = workspace_with_workflows(tmp_path) / ".github" / "workflows"
    seed_prompt_report(fake_github, workflows)
    fake_github.put_files("main", {f".github/workflows/{p.name}": p.read_bytes() for p in sorted(workflows.iterdir())})
    local = {p.name: p.read_bytes() for p in workflows.iterdir()}

    step = run_entrypoint(tmp_path, fake_github, apply="pull-request", **{"apply-token": APPLY_TOKEN})
    assert step.returncode == 0, step.stdout[-3000:] + step.stderr[-3000:]
    assert_token_never_printed(step)
    assert f"::add-mask::{APPLY_TOKEN}" in step.stdout.splitlines()[:3]
    assert APPLY_TOKEN not in "\n".join(step.stdout.splitlines()[3:]) + step.stderr + step.summary

    (pull,) = fake_github.pulls()
    out = step.outputs
    assert out["pull-request-number"] == str(pull["number"]) and out["pull-request-url"] == pull["html_url"]
    assert f"[#{pull['number']}]({pull['html_url']})" in step.summary
    assert {p.name: p.read_bytes() for p in workflows.iterdir()} == local  # the checkout is untouched
    moved = json.loads(out["schedules"])
    assert ".github/workflows/nightly.yml" in moved
    branch = fake_github.branch_files("workflow-orchestrator/schedules")
    for path, cron in moved.items():
        assert f"'{cron}'" in branch[path].decode()
    assert "<img" not in pull["body"] and APPLY_TOKEN not in pull["body"] and FAKE_TOKEN not in pull["body"]


def test_apply_without_a_workflow_token_fails_early_and_says_which_token(tmp_path: Path, fake_github: FakeGitHub) -> None:
    step = run_entrypoint(tmp_path, fake_github, apply="pull-request")
    assert step.returncode == 1
    assert "apply-token" in step.stdout and "workflows write" in step.stdout and "GITHUB_TOKEN cannot" in step.stdout
    assert fake_github.request_count() == 0  # refused before any request


def test_jobs_budget_measures_that_many_runs_and_stores_their_jobs_on_the_data_branch(tmp_path: Path,
                                                                                     fake_github: FakeGitHub) -> None:
    seed_history(fake_github)
    step = run_entrypoint(tmp_path, fake_github, mode="sync", **{"jobs-budget": "4"})
    assert step.returncode == 0, step.stdout[-2000:] + step.stderr[-2000:]
    assert sum(1 for e in fake_github.requests if e.path.endswith("/jobs")) == 4
    shards = {path: json.loads(body) for path, body in fake_github.branch_files(BRANCH).items() if path.startswith("runs/")}
    measured = [row for doc in shards.values() if doc["schemaVersion"] == 2 for row in doc["rows"] if len(row) > 13]
    assert len(measured) == 4 and all(doc["schemaVersion"] in (1, 2) for doc in shards.values())
    assert_token_never_printed(step)
