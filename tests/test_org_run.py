"""org plan → org run (two chunks in parallel) against the multi-repository fake GitHub.

Each source repository's history lands on its own branch of the central store repository; the
workflow files are read through the Git Data API (no checkout); a failing repository is named
with its reason and the others go on.
"""

from __future__ import annotations

import csv
import json
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from orchestrator.org.plan import plan
from orchestrator.org.report import report_response
from orchestrator.org.run import data_branch, run_repositories
from tests.fakegithub import FakeGitHub, make_runs

ORG = "acme"
STORE = "acme/orchestrator-store"
NOW = datetime.now(timezone.utc).replace(second=0, microsecond=0)
NIGHTLY = "name: Nightly\non:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n"


def _org(fake: FakeGitHub) -> list[str]:
    names = fake.add_org_repos(ORG, ["api", "web", "ops", "old", "lib"], archived={"old"}, private={"lib"})
    fake.add_repo(STORE)
    for i, full in enumerate(n for n in names if not n.endswith("/old")):
        fake.add_workflow(10 + i, "Nightly", ".github/workflows/nightly.yml", repo=full)
        fake.put_files("main", {".github/workflows/nightly.yml": NIGHTLY.encode()}, repo=full)
        runs = make_runs(40, (NOW - timedelta(days=40)).replace(hour=3, minute=0), spacing=timedelta(days=1),
                         first_id=1000 * (i + 1), workflow_id=10 + i, name="Nightly", path=".github/workflows/nightly.yml")
        for run in runs:
            run.update(event="schedule")
        fake.seed_runs(runs, repo=full)
    return names


def test_plan_then_two_chunks_in_parallel_each_repository_on_its_own_branch(fake_github: FakeGitHub, make_client: Any,
                                                                             tmp_path: Path) -> None:
    _org(fake_github)
    planned = plan(make_client(), ORG, chunk=2)
    assert planned["repositories"] == ["acme/api", "acme/lib", "acme/ops", "acme/web"]
    chunks = [job["repositories"].split(",") for job in planned["matrix"]["include"]]
    assert chunks == [["acme/api", "acme/lib"], ["acme/ops", "acme/web"]]

    results: dict[int, dict[str, Any]] = {}

    def job(index: int, repositories: list[str]) -> None:
        results[index] = run_repositories(make_client(), repositories, STORE, tmp_path / f"chunk-{index}", now=NOW)

    threads = [threading.Thread(target=job, args=(i, c)) for i, c in enumerate(chunks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(r["failed"] == 0 for r in results.values()), results
    for repository in planned["repositories"]:
        files = fake_github.branch_files(data_branch(repository), repo=STORE)
        assert "store.json" in files and any(p.startswith("runs/") for p in files)
        report = json.loads((tmp_path / f"chunk-{chunks.index(next(c for c in chunks if repository in c))}"
                             / f"{repository.replace('/', '__')}.json").read_text())
        (rec,) = report["recommend"]["recommendations"]
        assert report["error"] is None and rec["path"] == ".github/workflows/nightly.yml" and rec["runs"] == 40
        assert rec["runners"] == {"build": ["ubuntu-latest"]}
        private = repository == "acme/lib"  # standard runners are billed only in private repositories
        assert report["visibility"] == ("private" if private else "public")
        assert (rec["cost_per_run"]["usd"] > 0) is private and rec["cost_per_run"]["public"] is not private
    # org report over both chunks' artifacts: the merged figures and the CSV
    csv_path = tmp_path / "org.csv"
    merged = report_response([tmp_path / "chunk-0", tmp_path / "chunk-1"], out=tmp_path / "summary.md", csv=csv_path)
    data = merged.data
    assert data["repositories"]["count"] == 4 and data["repositories"]["failed_count"] == 0
    assert data["workflows_count"] == 4
    runs = data["scheduled_runs"]
    assert runs["runs_per_day_before"] == runs["runs_per_day_after"] == 4.0  # four nightly jobs, frequency kept
    assert runs["top_of_hour_share_before"] == 1.0 and runs["peak_hour_before"]["hour"] == 3  # all at 03:00
    assert runs["by_runner_group"][0]["group"] == "ubuntu-latest" and runs["by_runner_group"][0]["jobs"] == 4
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert [r["repository"] for r in rows] == ["acme/api", "acme/lib", "acme/ops", "acme/web"]
    assert all(r["current_schedule"] == "0 3 * * *" and float(r["runs_per_30_days"]) == 30 for r in rows)
    assert "## " in (tmp_path / "summary.md").read_text()
    # the store repository's default branch is asked once per job, not once per repository
    assert sum(1 for e in fake_github.requests if e.method == "GET" and e.path == f"/repos/{STORE}") == len(chunks)
    # the source repositories were only read
    assert all(e.method == "GET" for e in fake_github.requests if e.path.startswith("/repos/acme/") and
               not e.path.startswith(f"/repos/{STORE}"))


def test_a_failing_repository_is_named_and_the_others_go_on(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    _org(fake_github)
    data = run_repositories(make_client(), ["acme/api", "acme/missing", "acme/web"], STORE, tmp_path, now=NOW)
    assert data["failed"] == 1
    (failed,) = [r for r in data["repositories"] if r["error"]]
    assert failed["repository"] == "acme/missing" and "404" in failed["error"]["message"]
    assert json.loads((tmp_path / "acme__missing.json").read_text())["error"]["kind"] == "SourceError"
    assert json.loads((tmp_path / "acme__web.json").read_text())["recommend"]["recommendations"]


def test_one_budget_for_the_job(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    _org(fake_github)
    data = run_repositories(make_client(), ["acme/api", "acme/lib", "acme/ops"], STORE, tmp_path, max_requests=12, now=NOW)
    assert data["failed"] >= 1 and any(r["error"] and r["error"]["kind"] == "BudgetExhausted" for r in data["repositories"])


def test_sync_only_updates_the_history_and_the_report_does_not_count_it_failed(fake_github: FakeGitHub,
                                                                               make_client: Any, tmp_path: Path) -> None:
    _org(fake_github)
    data = run_repositories(make_client(), ["acme/api"], STORE, tmp_path, now=NOW, sync_only=True)
    report = json.loads((tmp_path / "acme__api.json").read_text())
    assert data["failed"] == 0 and report["recommend"] is None and report["sync"]["runs_added"] == 40
    merged = report_response([tmp_path]).data["repositories"]
    assert merged["failed_count"] == 0 and merged["synced_only"] == 1


def test_measured_jobs_turn_an_estimate_into_a_priced_figure_in_the_org_report(fake_github: FakeGitHub, make_client: Any,
                                                                               tmp_path: Path) -> None:
    _org(fake_github)
    for run_id in range(1000, 1040):  # acme/api's nightly really runs a macOS job beside the Linux one
        fake_github.set_jobs(run_id, [{"labels": ["ubuntu-latest"], "seconds": 100},
                                      {"labels": ["macos-14"], "seconds": 200, "offset": 100}], repo="acme/api")
    run_repositories(make_client(), ["acme/api"], STORE, tmp_path / "measured", now=NOW, jobs=3)
    run_repositories(make_client(), ["acme/web"], STORE, tmp_path / "estimated", now=NOW)
    api = json.loads((tmp_path / "measured" / "acme__api.json").read_text())
    assert api["sync"]["jobs_measured"] == 3
    cost = api["recommend"]["recommendations"][0]["cost_per_run"]
    assert cost["estimated"] is False and cost["measured_runs"] == 3 and set(cost["by_sku"]) == {"linux", "macos"}
    csv_path = tmp_path / "org.csv"
    data = report_response([tmp_path / "measured", tmp_path / "estimated"], csv=csv_path).data
    rows = {r["repository"]: r for r in csv.DictReader(csv_path.open(encoding="utf-8"))}
    assert rows["acme/api"]["cost_basis"] == "measured" and rows["acme/web"]["cost_basis"] == "estimated"
    assert "macos" in rows["acme/api"]["runner_skus"] and "macos" not in rows["acme/web"]["runner_skus"]
    assert data["cost"]["measured_workflows"] == 1 and data["cost"]["estimated_workflows"] == 1
    skus = {s["sku"]: s for s in data["cost"]["by_sku"]}
    assert cost["minutes_by_sku"] == {"linux": 2, "macos": 4}  # 100 s and 200 s, each job rounded up
    assert skus["macos"]["job_minutes_per_30_days"] == 4 * 30 and skus["macos"]["usd_per_30_days"] == 0  # public: free


def test_org_run_refuses_a_negative_jobs_budget_before_asking_github(capsys: Any, tmp_path: Path) -> None:
    from orchestrator.cli import main

    code = main(["--json", "org", "run", "--repositories", "acme/api", "--store-repo", STORE, "--jobs", "-1",
                 "--out", str(tmp_path / "reports")])
    body = json.loads(capsys.readouterr().out)
    assert code == 2 and body["error"] == "ValidationError" and "--jobs" in body["message"]
    assert not (tmp_path / "reports").exists()
