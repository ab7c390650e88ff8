"""Reading workflow files: every form of ``on``, time zones, timeouts, concurrency, bad files."""

from __future__ import annotations

from pathlib import Path

from orchestrator.schedule import parse_workflow, read_workflows

NIGHTLY = """
name: Nightly
on:
  schedule:
    - cron: "0 3 * * *"
    - cron: "30 2 * * 1-5"
      timezone: Europe/Berlin
  workflow_dispatch:
concurrency:
  group: ${{ github.workflow }}-${{ github.ref }}
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps: [{run: make}]
  test:
    runs-on: ubuntu-latest
    concurrency: deploy
    steps: [{run: make test}]
  dynamic:
    runs-on: ubuntu-latest
    timeout-minutes: ${{ inputs.minutes }}
    steps: [{run: make}]
  reuse:
    uses: ./.github/workflows/reusable.yml
"""


def test_bare_on_key_is_read_although_yaml_makes_it_true() -> None:
    workflow, errors = parse_workflow(NIGHTLY, ".github/workflows/nightly.yml")
    assert errors == []
    assert workflow is not None and workflow.name == "Nightly"
    assert [(c.expression, c.timezone) for c in workflow.schedules] == [
        ("0 3 * * *", None),
        ("30 2 * * 1-5", "Europe/Berlin"),
    ]


def test_job_timeouts_and_jobs_without_one() -> None:
    workflow, _ = parse_workflow(NIGHTLY, ".github/workflows/nightly.yml")
    assert workflow is not None
    assert workflow.job_timeouts == {"build": 30.0, "test": None, "dynamic": None}
    assert workflow.jobs_without_timeout == ["dynamic", "test"]


def test_concurrency_groups_naming_the_workflow_are_unique_to_the_file() -> None:
    first, _ = parse_workflow(NIGHTLY, ".github/workflows/a.yml")
    second, _ = parse_workflow(NIGHTLY, ".github/workflows/b.yml")
    assert first is not None and second is not None
    assert set(first.concurrency_groups) & set(second.concurrency_groups) == {"deploy"}


def test_string_and_list_forms_of_on_have_no_schedule_and_no_error() -> None:
    for text in ("on: push\njobs: {}\n", "on: [push, pull_request]\njobs: {}\n", "'on': {push: {branches: [main]}}\n"):
        workflow, errors = parse_workflow(text, ".github/workflows/ci.yml")
        assert errors == [] and workflow is not None and workflow.schedules == ()


def test_bad_cron_and_bad_zone_are_reported_and_good_entries_kept() -> None:
    text = """
on:
  schedule:
    - cron: "@daily"
    - cron: "17 4 * * *"
    - cron: "0 5 * * *"
      timezone: Mars/Olympus
    - nocron: true
"""
    workflow, errors = parse_workflow(text, ".github/workflows/x.yml")
    assert workflow is not None and [c.expression for c in workflow.schedules] == ["17 4 * * *"]
    messages = [e.message for e in errors]
    assert len(messages) == 3
    assert "@daily" in messages[0] and "Mars/Olympus" in messages[1] and "no cron" in messages[2]
    assert all(e.path == ".github/workflows/x.yml" for e in errors)


def test_one_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("on: [push\n", encoding="utf-8")
    (tmp_path / "list.yaml").write_text("- just a list\n", encoding="utf-8")
    (tmp_path / "good.yml").write_text("on:\n  schedule:\n    - cron: '7 1 * * 0'\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("on: nothing", encoding="utf-8")
    workflows, errors = read_workflows(tmp_path)
    assert [w.path for w in workflows] == [".github/workflows/good.yml"]
    assert workflows[0].name == "good.yml"
    assert {e.path for e in errors} == {".github/workflows/bad.yml", ".github/workflows/list.yaml"}
    assert "line 2" in next(e.message for e in errors if e.path.endswith("bad.yml"))


def test_missing_directory_is_one_error(tmp_path: Path) -> None:
    workflows, errors = read_workflows(tmp_path / "nope")
    assert workflows == [] and len(errors) == 1 and "--workflows-dir" in errors[0].message
