"""apply: the recommended crons written into the workflow files, locally or as one pull request.

Round trips through the real API and CLI; the pull-request path runs PyGithub against the fake
GitHub (tests/fakegithub), whose pulls endpoints answer as GitHub does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator import WorkflowOrchestratorAPI
from orchestrator.apply.pull_request import BRANCH
from orchestrator.cli import main
from orchestrator.store import HistoryStore
from tests.conftest import FAKE_TOKEN
from tests.fakegithub import FakeGitHub
from tests.test_first_day import sample, workflows_dir  # noqa: F401  (fixtures)
from tests.test_schedule_recommend import NOW, REPO, History

#: A nightly job in failing hours at :00 with comments, double quotes, a second entry that stays,
#: a timezone-free sibling, CRLF line endings and a hostile name: every byte but the cron must stay.
NIGHTLY = (
    'name: "Nightly <img src=x> | [x](https://e.example) @all"\r\n'
    "on:\r\n"
    "  schedule:\r\n"
    '    - cron: "0 6 * * *"   # the nightly build\t(keep this comment)\r\n'
    "  workflow_dispatch: {}\r\n"
    "jobs:\r\n  main:\r\n    runs-on: ubuntu-latest\r\n    steps: [{run: make}]\r\n"
)
LINT = "name: lint\non:\n  schedule:\n    - cron: '17 * * * *'\njobs:\n  main:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n"
CI = "name: ci\non: [push]\njobs:\n  main:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n"
NIGHTLY_NAME = "Nightly <img src=x> | [x](https://e.example) @all"


@pytest.fixture
def repo_dir(tmp_path: Path) -> tuple[Path, Path]:
    """A store whose history makes the nightly move (hours 5-7 fail, :00 is late), and its files."""
    directory = tmp_path / "workflows"
    directory.mkdir()
    (directory / "nightly.yml").write_bytes(NIGHTLY.encode())
    (directory / "lint.yml").write_text(LINT)
    (directory / "ci.yml").write_text(CI)
    history = History(1)
    history.scheduled(NIGHTLY_NAME, "0 6 * * *", 60, delay_min=20, drop=0.2, fail=0.5)
    history.scheduled("lint", "17 * * * *", 60, delay_min=1, drop=0.0, fail=0.05)
    history.pushes("ci", 60, 1, {5: 0.5, 6: 0.5, 7: 0.5})
    runs = [r.__class__(**{**r.__dict__, "path": f".github/workflows/{'nightly' if r.name == NIGHTLY_NAME else r.name}.yml"})
            for r in history.runs]
    store = tmp_path / "store"
    HistoryStore.local(store).commit(runs, message="test history")
    return store, directory


def _api(store: Path) -> WorkflowOrchestratorAPI:
    return WorkflowOrchestratorAPI(data_dir=store, clock=lambda: NOW)


def _only_cron_differs(before: str, after: str, old: str, new: str) -> None:
    assert before != after and after == before.replace(old, new, 1)


def test_apply_edits_only_the_cron_and_a_second_apply_changes_nothing(repo_dir: tuple[Path, Path]) -> None:
    store, directory = repo_dir
    first = _api(store).apply(directory)
    assert first.success, first.message
    (moved,) = [c for c in first.data["changed"] if c["path"] == ".github/workflows/nightly.yml"]
    assert moved["from"] == "0 6 * * *" and moved["to"] != "0 6 * * *" and moved["workflow"] == NIGHTLY_NAME
    assert set(moved) == {"path", "workflow", "from", "to", "confidence"} and moved["confidence"] >= 0.6
    after = (directory / "nightly.yml").read_bytes().decode()
    _only_cron_differs(NIGHTLY, after, '"0 6 * * *"', f'"{moved["to"]}"')
    assert "--- a/.github/workflows/nightly.yml" in first.data["diff"] and f'+    - cron: "{moved["to"]}"' in first.data["diff"]
    assert (directory / "ci.yml").read_text() == CI

    second = _api(store).apply(directory)
    assert second.success and second.data["changed"] == [] and second.data["diff"] == ""
    # The recommender does not flip-flop: the applied slot is now a keep.
    rec = next(r for r in _api(store).recommend(directory).data["recommendations"] if r["path"].endswith("nightly.yml"))
    assert not rec["change"] and rec["current_schedule"] == [moved["to"]]


def test_apply_on_the_bundled_sample_keeps_its_unsupported_move(sample: Path, workflows_dir: Path) -> None:  # noqa: F811
    """The sample's only move rests on the round-minute prior (confidence 0): nothing is written."""
    before = {p.name: p.read_bytes() for p in workflows_dir.iterdir()}
    answer = WorkflowOrchestratorAPI(data_dir=sample).apply(workflows_dir)
    assert answer.success and answer.data["changed"] == [] and answer.data["diff"] == ""
    assert {p.name: p.read_bytes() for p in workflows_dir.iterdir()} == before


def test_cli_apply_json_is_one_object_and_a_broken_file_is_named(repo_dir: tuple[Path, Path], capsys) -> None:
    store, directory = repo_dir
    (directory / "broken.yml").write_text("on: [push\n")
    code = main(["--data", str(store), "apply", "--workflows-dir", str(directory), "--min-confidence", "0.99", "--json"])
    out = capsys.readouterr().out
    assert code == 0 and out.count("\n") == 1
    data = json.loads(out)["data"]
    assert {"changed", "diff", "errors"} <= set(data)


def _seed_main(fake: FakeGitHub, directory: Path) -> None:
    fake.put_files("main", {f".github/workflows/{p.name}": p.read_bytes() for p in sorted(directory.glob("*.yml"))},
                   message="workflows")


def _propose(store: Path, directory: Path, fake: FakeGitHub) -> object:
    return _api(store).apply(directory, repo=REPO, pull_request=True, api_url=fake.base_url,
                             token_env="GITHUB_TOKEN", environ={"GITHUB_TOKEN": FAKE_TOKEN})


def test_pull_request_twice_is_one_pull_request_and_one_commit(repo_dir: tuple[Path, Path], fake_github: FakeGitHub) -> None:
    store, directory = repo_dir
    _seed_main(fake_github, directory)
    local = {p.name: p.read_bytes() for p in directory.iterdir()}

    first = _propose(store, directory, fake_github)
    assert first.success, first.message
    pull = first.data["pull_request"]
    assert pull["branch"] == BRANCH and pull["url"].endswith(f"/pull/{pull['number']}")
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == local  # local files untouched
    (moved,) = [c for c in first.data["changed"] if c["path"].endswith("nightly.yml")]
    on_branch = fake_github.branch_files(BRANCH)[".github/workflows/nightly.yml"].decode()
    _only_cron_differs(NIGHTLY, on_branch, '"0 6 * * *"', f'"{moved["to"]}"')
    commits = fake_github.branch_history(BRANCH)

    second = _propose(store, directory, fake_github)
    assert second.success and second.data["pull_request"] == pull and second.data["committed"] is False
    assert fake_github.branch_history(BRANCH) == commits
    (stored,) = fake_github.pulls()
    body = stored["body"]
    assert "<img" not in body and "](https://e.example)" not in body and "@all" not in body
    assert "0 6 * * *" in body and moved["to"] in body and FAKE_TOKEN not in body


def test_a_stale_base_file_is_refused_and_the_others_go_ahead(repo_dir: tuple[Path, Path], fake_github: FakeGitHub) -> None:
    store, directory = repo_dir
    _seed_main(fake_github, directory)
    fake_github.put_files("main", {".github/workflows/nightly.yml": NIGHTLY.replace("the nightly build", "edited").encode()})
    answer = _propose(store, directory, fake_github)
    assert answer.success
    assert [e["path"] for e in answer.data["errors"]] == [".github/workflows/nightly.yml"]
    assert "stale checkout" in answer.data["errors"][0]["message"]
    assert all(not c["path"].endswith("nightly.yml") for c in answer.data["changed"])


def test_a_person_pushing_to_our_branch_is_not_overwritten(repo_dir: tuple[Path, Path], fake_github: FakeGitHub) -> None:
    store, directory = repo_dir
    _seed_main(fake_github, directory)
    assert _propose(store, directory, fake_github).success
    fake_github.put_files(BRANCH, {"NOTES.md": b"my own work\n"}, message="a person's commit")
    tip = fake_github.ref_sha(BRANCH)
    (directory / "lint.yml").write_text(LINT)  # unchanged, the recommendations are the same ...
    answer = _api(store).apply(directory, repo=REPO, pull_request=True, api_url=fake_github.base_url,
                               token_env="GITHUB_TOKEN", environ={"GITHUB_TOKEN": FAKE_TOKEN},
                               min_confidence=0.0)  # ... or new ones: either way the branch is not ours
    assert not answer.success and "someone pushed to it" in answer.message
    assert fake_github.ref_sha(BRANCH) == tip
