"""``org report``: per-repository reports merged into one organisation report (Markdown, CSV, JSON).

Three repositories' reports come from the real recommender on small synthetic histories, one
repository failed, one file is corrupt; a hand-made case checks the figures against arithmetic.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orchestrator.cli import main
from orchestrator.errors import ValidationError
from orchestrator.org.conflicts import _coverage, _spans
from orchestrator.org.merge import merge_reports
from orchestrator.org.render import CSV_COLUMNS, MAX_TABLE_ROWS, render_markdown, safe_cell, write_csv
from orchestrator.org.report import report_response
from orchestrator.org.values import runner_group
from orchestrator.schedule import recommend
from tests.test_schedule_recommend import NOW, REPO, History, _workflow

HOSTILE = '=HYPERLINK("http://evil.example","x") <img src=x onerror=alert(1)> | `rm -rf` @team'


def _self_hosted(directory: Path, name: str, cron: str, labels: str = "[self-hosted, linux]") -> None:
    (directory / f"{name}.yml").write_text(
        f"name: {name}\non:\n  schedule:\n    - cron: '{cron}'\njobs:\n  build:\n    runs-on: {labels}\n"
        "    steps: [{run: make}]\n",
        encoding="utf-8",
    )


def _report(repository: str, recommend_data: Any = None, error: Any = None, visibility: str = "private",
            sync: Any = None) -> dict[str, Any]:
    return {"repository": repository, "generated_at": "2025-06-01T00:00:00Z", "visibility": visibility,
            "error": error, "sync": sync, "recommend": recommend_data}


def _write(directory: Path, name: str, report: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


def _recommended(history: History, directory: Path, repository: str, public: bool = False) -> dict[str, Any]:
    """The real recommender's answer for one synthetic repository (History builds runs of REPO)."""
    data = recommend(history.runs, directory, REPO, NOW, bootstrap=5, public=public)
    return dict(data, repository=repository)


@pytest.fixture(scope="module")
def real_reports(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Three repositories' reports from the real recommender (a failing nightly, an hourly lint,
    a public repository, self-hosted runners)."""
    out = []
    # acme/api: a nightly at :00 that fails half the time, an hourly lint with a timeout.
    directory = tmp_path_factory.mktemp("api")
    _workflow(directory, "nightly", "0 6 * * *")
    _workflow(directory, "lint", "17 * * * *", "    timeout-minutes: 10\n")
    history = History(1)
    history.scheduled("nightly", "0 6 * * *", 30, delay_min=20, drop=0.2, fail=0.5, minutes=12)
    history.scheduled("lint", "17 * * * *", 30, delay_min=1, drop=0.0, fail=0.05)
    out.append(_report("acme/api", _recommended(history, directory, "acme/api")))
    # acme/web: public, an hourly job at :00.
    directory = tmp_path_factory.mktemp("web")
    _workflow(directory, "hourly", "0 * * * *")
    history = History(2)
    history.scheduled("hourly", "0 * * * *", 30, delay_min=15, drop=0.1, fail=0.1)
    out.append(_report("acme/web", _recommended(history, directory, "acme/web", public=True), visibility="public"))
    # acme/ops: self-hosted runners, a weekday job.
    directory = tmp_path_factory.mktemp("ops")
    _self_hosted(directory, "deploy", "0 2 * * 1-5")
    history = History(3)
    history.scheduled("deploy", "0 2 * * 1-5", 30, delay_min=5, drop=0.0, fail=0.2, minutes=20)
    out.append(_report("acme/ops", _recommended(history, directory, "acme/ops")))
    return json.loads(json.dumps(out))


@pytest.fixture
def org_dir(tmp_path: Path, real_reports: list[dict[str, Any]]) -> Path:
    root = tmp_path / "reports"
    _write(root / "chunk-1", "acme__api.json", real_reports[0])
    _write(root / "chunk-1", "acme__web.json", real_reports[1])
    _write(root / "chunk-2" / "nested", "acme__ops.json", real_reports[2])
    _write(root / "chunk-2", "acme__gone.json",
           _report("acme/gone", error={"kind": "NotFound", "message": "404 Not Found to GET /repos/acme/gone"}))
    (root / "chunk-2" / "acme__broken.json").write_text('{"repository": "acme/broken", ', encoding="utf-8")
    (root / "chunk-2" / "notes.txt").write_text("not a report", encoding="utf-8")
    return root


def _rec(workflow: str, current: list[str], after: list[str] | None = None, success: float = 0.9,
         usd: float | None = 0.016, minutes: int = 2, jobs: dict[str, list[str]] | None = None,
         by_sku: dict[str, float] | None = None, p90: float = 120.0, **extra: Any) -> dict[str, Any]:
    runners = jobs or {"build": ["ubuntu-latest"]}
    cost = None if usd is None else {"usd": usd, "minutes": minutes, "jobs": len(runners),
                                     "by_sku": by_sku if by_sku is not None else {"linux": usd},
                                     "unpriced_jobs": [], "public": False, "estimated": True, "basis": "test"}
    return {"workflow": workflow, "path": f".github/workflows/{workflow}.yml", "current_schedule": current,
            "recommended_schedule": (after or current)[0], "recommended_schedules": after or current,
            "timezone": "UTC", "change": after is not None and after != current, "confidence": 0.8,
            "predicted_success_rate": success, "expected_duration_seconds": p90 / 2, "duration_p90_seconds": p90,
            "cost_per_run": cost, "runners": runners, "liveness": {"warnings": []},
            "timeout_minutes": {"jobs_without_timeout": []}, "runs": 50, **extra}


# ----- merging real reports -----------------------------------------------------------------
def test_merge_three_real_one_failed_one_corrupt(org_dir: Path) -> None:
    report = merge_reports([org_dir])
    repos = report["repositories"]
    assert repos["count"] == 4 and repos["succeeded"] == 3 and repos["failed_count"] == 1
    assert repos["names"] == ["acme/api", "acme/gone", "acme/ops", "acme/web"]
    assert repos["failed"] == [{"repository": "acme/gone", "kind": "NotFound",
                                "message": "404 Not Found to GET /repos/acme/gone"}]
    (error,) = report["errors"]
    assert error["file"].endswith("acme__broken.json") and "not valid JSON" in error["message"]

    workflows = {(w["repository"], w["workflow"]): w for w in report["workflows"]}
    assert set(workflows) == {("acme/api", "nightly"), ("acme/api", "lint"), ("acme/web", "hourly"), ("acme/ops", "deploy")}
    assert report["workflows_count"] == 4
    nightly, lint = workflows[("acme/api", "nightly")], workflows[("acme/api", "lint")]
    assert nightly["runs_per_30_days"] == 30 and lint["runs_per_30_days"] == 720
    assert nightly["jobs_without_timeout"] == ["main"] and lint["jobs_without_timeout"] == []
    assert nightly["cost_per_30_days_usd"] == pytest.approx(nightly["cost_per_run_usd"] * 30)
    assert nightly["runner_skus"] == ["linux"] and workflows[("acme/ops", "deploy")]["runner_skus"] == ["self-hosted"]
    assert workflows[("acme/web", "hourly")]["cost_per_30_days_usd"] == 0  # public: standard runners are free
    assert workflows[("acme/ops", "deploy")]["runner_groups"] == ["self-hosted,linux"]
    # The real nightly fails most and its jobs have no timeout.
    failing = report["attention"]["failing"]
    assert failing[0]["workflow"] == "nightly" and failing[0]["predicted_success_rate"] < 0.8
    assert ("acme/api", "nightly") in {(w["repository"], w["workflow"]) for w in report["attention"]["without_timeout"]}
    # Hours: the hourly workflows tick every hour, the nightly at 06 UTC, the weekday deploy at 02.
    runs = report["scheduled_runs"]
    assert len(runs["by_hour"]) == 24
    assert runs["runs_per_day_before"] == pytest.approx(24 + 24 + 1 + 5 / 7, abs=1e-3)
    assert runs["runs_per_day_after"] == pytest.approx(runs["runs_per_day_before"], abs=1e-3)  # moves keep frequency
    assert runs["by_hour"][6]["before"] == pytest.approx(3, abs=1e-3)
    assert runs["top_of_hour_share_before"] == pytest.approx((24 + 1 + 5 / 7) / (48 + 1 + 5 / 7), abs=1e-3)
    assert runs["top_of_hour_share_after"] < runs["top_of_hour_share_before"]
    groups = {g["group"]: g for g in runs["by_runner_group"]}
    assert set(groups) == {"ubuntu-latest", "self-hosted,linux"} and groups["self-hosted,linux"]["self_hosted"]
    assert report["cost"]["estimated"] is True and "estimate" in report["cost"]["note"]
    assert {r["repository"] for r in report["cost"]["by_repository"]} == set(repos["names"])
    json.dumps(report)  # JSON-able throughout

    markdown = render_markdown(report)
    assert markdown.startswith("## Workflow Orchestrator — organisation report")
    assert "**4 repositories** (1 failed)" in markdown and "acme/gone" in markdown and "NotFound" in markdown
    assert "acme\\_\\_broken.json" in markdown or "acme__broken.json" in markdown
    assert "```mermaid\nxychart-beta" in markdown and "<details><summary>" in markdown
    assert "estimate" in markdown.lower() and len(markdown.encode()) < 1024 * 1024


def test_a_missing_directory_is_a_validation_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="DIR"):
        report_response([tmp_path / "nowhere"])


# ----- figures by hand ----------------------------------------------------------------------
def test_figures_match_hand_computation(tmp_path: Path) -> None:
    hourly = _rec("hourly", ["0 * * * *"], ["17 * * * *"], success=0.9, usd=0.016, minutes=2)
    weekday = _rec("weekday", ["0 6 * * 1-5"], success=0.5, usd=0.0, minutes=10,
                   jobs={"a": ["self-hosted", "linux"], "b": ["Linux", "self-hosted"]}, by_sku={"self-hosted": 0.0})
    sync = {"workflows": [{"name": "weekday", "path": ".github/workflows/weekday.yml", "state": "disabled_inactivity"}]}
    _write(tmp_path, "o__a.json", _report("o/a", {"recommendations": [hourly, weekday], "conflicts": []}, sync=sync))
    report = merge_reports([tmp_path])

    runs = report["scheduled_runs"]
    # hourly: one run in every hour, moved from :00 to :17; weekday: 5 runs a week at 06:00 = 5/7 a day.
    for hour in range(24):
        expected = 1 + (5 / 7 if hour == 6 else 0)
        assert runs["by_hour"][hour] == {"hour": hour, "before": round(expected, 3), "after": round(expected, 3)}
    assert runs["runs_per_day_before"] == pytest.approx(24 + 5 / 7, abs=1e-3)
    assert runs["top_of_hour_share_before"] == 1.0
    assert runs["top_of_hour_share_after"] == pytest.approx((5 / 7) / (24 + 5 / 7), abs=1e-4)  # 5/173
    groups = {g["group"]: g for g in runs["by_runner_group"]}
    shared = groups["self-hosted,linux"]  # both jobs' labels, whatever their order and case
    assert shared["jobs"] == 2 and shared["runs_per_day_before"] == pytest.approx(10 / 7, abs=1e-3)
    assert shared["top_of_hour_share_before"] == shared["top_of_hour_share_after"] == 1.0
    assert groups["ubuntu-latest"]["top_of_hour_share_after"] == 0.0

    rows = {w["workflow"]: w for w in report["workflows"]}
    assert rows["hourly"]["runs_per_30_days"] == 720
    assert rows["hourly"]["cost_per_30_days_usd"] == pytest.approx(0.016 * 720)  # 11.52
    assert rows["hourly"]["wasted_minutes_per_30_days"] == pytest.approx(0.1 * 2 * 720)  # 144
    assert rows["weekday"]["runs_per_30_days"] == pytest.approx(150 / 7, abs=0.01)
    assert rows["weekday"]["wasted_minutes_per_30_days"] == pytest.approx(0.5 * 10 * 150 / 7, abs=0.01)  # 107.14
    cost = report["cost"]
    assert cost["usd_per_30_days"] == pytest.approx(11.52)
    assert cost["wasted_minutes_per_30_days"] == pytest.approx(144 + 750 / 7, abs=0.1)
    skus = {s["sku"]: s for s in cost["by_sku"]}
    assert skus["linux"]["usd_per_30_days"] == pytest.approx(11.52) and skus["linux"]["job_minutes_per_30_days"] == 1440
    assert skus["self-hosted"]["usd_per_30_days"] == 0
    assert skus["self-hosted"]["job_minutes_per_30_days"] == pytest.approx(5 * 2 * 150 / 7, abs=0.1)
    (repo,) = cost["by_repository"]
    assert repo["usd_per_30_days"] == pytest.approx(11.52) and repo["runs_per_30_days"] == pytest.approx(720 + 150 / 7, abs=0.01)
    assert [w["workflow"] for w in report["attention"]["failing"]] == ["weekday", "hourly"]
    (dead,) = report["attention"]["liveness"]
    assert dead["workflow"] == "weekday" and "disabled_inactivity" in dead["liveness_warnings"][0]


def test_unusable_files_are_named_and_a_duplicate_keeps_the_newer(tmp_path: Path) -> None:
    _write(tmp_path, "list.json", [1, 2])
    _write(tmp_path, "nameless.json", {"recommend": None})
    (tmp_path / "latin1.json").write_bytes(b'{"repository": "o/' + bytes([0xE9]) + b'"}')  # not UTF-8
    old, new = _report("o/a", {"recommendations": [_rec("old", ["0 1 * * *"])]}), \
        _report("o/a", {"recommendations": [_rec("new", ["0 2 * * *"])]})
    new["generated_at"] = "2025-06-02T00:00:00Z"
    _write(tmp_path / "x", "a.json", new)
    _write(tmp_path / "y", "a.json", old)
    report = merge_reports([tmp_path])
    messages = {Path(e["file"]).name: e["message"] for e in report["errors"]}
    assert "not a repository report object" in messages["list.json"] and "no \"repository\"" in messages["nameless.json"]
    assert "reported twice" in messages["a.json"] and messages["latin1.json"] == "not UTF-8 text"
    assert [w["workflow"] for w in report["workflows"]] == ["new"] and report["repositories"]["count"] == 1


def test_runner_groups_and_windows() -> None:
    assert runner_group(["Linux", "self-hosted", "X64", "linux"]) == "self-hosted,linux,x64"
    assert runner_group(["ubuntu-latest"]) == "ubuntu-latest"
    # Sunday 23:55 + 10 minutes wraps to Monday 00:05; a 90 s run holds its runner for 2 minutes;
    # a workflow's own overlapping windows count once.
    week = 7 * 1440
    wrapped = _coverage([(week - 5) * 60], 600)
    assert wrapped.tolist() == [0, 1, 2, 3, 4, *range(week - 5, week)]
    assert _coverage([0], 90).tolist() == [0, 1] and _coverage([0, 60], 120).tolist() == [0, 1, 2]

    def spans(minutes: Any) -> int:
        flags = np.zeros(week, dtype=bool)
        flags[minutes] = True
        return _spans(flags)

    assert spans(wrapped) == 1 and spans(_coverage([0, 600], 60)) == 2 and spans(np.arange(week)) == 1


# ----- hostile names: CSV and Markdown ------------------------------------------------------
def test_csv_round_trip_neutralises_formulas_and_markdown_escapes(tmp_path: Path, real_reports: list[dict[str, Any]]) -> None:
    hostile = json.loads(json.dumps(real_reports[0]))
    rec = hostile["recommend"]["recommendations"][0]
    rec["workflow"] = HOSTILE
    rec["path"] = ".github/workflows/`a|b`.yml"
    rec["liveness"]["warnings"] = ["[click](https://evil.example) <script>x</script>"]
    rec["runners"] = {"-job": ["@self-hosted", "+linux"]}
    _write(tmp_path / "in", "hostile.json", dict(hostile, repository="acme/=cmd|' /C calc'!A0"))
    report = merge_reports([tmp_path / "in"])
    target = tmp_path / "org.csv"
    assert write_csv(report, target) == len(report["workflows"]) == 2

    with open(target, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    row = next(r for r in rows if "HYPERLINK" in r["workflow"])
    assert row["workflow"] == "'" + HOSTILE  # a spreadsheet shows it as text
    assert row["repository"] == "acme/=cmd|' /C calc'!A0"  # mid-cell "=" is not a formula
    assert row["path"] == ".github/workflows/`a|b`.yml"
    for cell in (c for r in rows for c in r.values()):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert row["change"] in ("true", "false") and float(row["runs_per_30_days"]) > 0
    assert safe_cell("-1+2") == "'-1+2" and safe_cell("\tx") == "'\tx" and safe_cell("a=b") == "a=b"

    markdown = render_markdown(report)
    assert "<img" not in markdown and "<script" not in markdown and "](http" not in markdown
    assert "https://evil" not in markdown and "@team" not in markdown
    assert "&lt;img src=x onerror=alert(1)&gt;" in markdown and "&#64;team" in markdown
    assert "\\`rm -rf\\`" in markdown  # backticks cannot open a code span
    # No table row gains a column: every "|" from a name is escaped.
    for block in re.findall(r"(?:^\|.*\n?)+", markdown, flags=re.MULTILINE):
        lines = block.strip("\n").split("\n")
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in lines}
        assert len(widths) == 1, block


def test_long_tables_are_cut_with_a_pointer_to_the_csv(tmp_path: Path) -> None:
    recs = [_rec(f"wf{i:03d}", [f"{i % 60} {i % 24} * * *"], success=0.5) for i in range(MAX_TABLE_ROWS + 20)]
    _write(tmp_path, "big.json", _report("o/big", {"recommendations": recs}))
    report = merge_reports([tmp_path])
    markdown = render_markdown(report)
    assert "20 more workflows in the CSV/JSON report." in markdown
    assert len(report["attention"]["failing"]) == MAX_TABLE_ROWS + 20
    small = render_markdown(report, limit=3000)
    assert len(small.encode()) <= 3000 + 1024 and "Summary trimmed" in small


# ----- conflicts across repositories on a shared self-hosted runner group -------------------
def test_cross_repository_self_hosted_conflict(tmp_path: Path) -> None:
    shared = {"build": ["self-hosted", "linux"]}
    # o/a: weekdays 06:00 for up to 30 min. o/b moves from 05:30 to 06:10 (10 min): they now meet.
    a = _rec("nightly", ["0 6 * * 1-5"], jobs=shared, p90=1800, usd=0.0, by_sku={})
    b = _rec("report", ["30 5 * * *"], ["10 6 * * *"], jobs={"run": ["Linux", "self-hosted"]}, p90=600, usd=0.0, by_sku={})
    same_repo = _rec("other", ["5 6 * * *"], jobs=shared, p90=600, usd=0.0, by_sku={})  # same repository: not reported
    gpu = _rec("train", ["10 6 * * *"], jobs={"t": ["self-hosted", "gpu"]}, p90=600, usd=0.0, by_sku={})
    hosted = _rec("hosted", ["10 6 * * *"], p90=600)  # GitHub-hosted runners are not shared
    _write(tmp_path, "a.json", _report("o/a", {"recommendations": [a, same_repo]}))
    _write(tmp_path, "b.json", _report("o/b", {"recommendations": [b, hosted]}))
    _write(tmp_path, "c.json", _report("o/c", {"recommendations": [gpu]}))
    report = merge_reports([tmp_path])
    conflicts = report["conflicts"]
    assert conflicts["count_before"] == 0
    pairs = {tuple((w["repository"], w["workflow"]) for w in p["workflows"]): p for p in conflicts["pairs"]}
    assert set(pairs) == {(("o/a", "nightly"), ("o/b", "report")), (("o/a", "other"), ("o/b", "report"))}
    pair = pairs[(("o/a", "nightly"), ("o/b", "report"))]
    assert pair["runner_group"] == "self-hosted,linux"
    assert pair["minutes_per_day"] == pytest.approx(10 * 5 / 7, abs=0.01)  # 10 min on each of 5 weekdays
    assert pair["minutes_per_day_before"] == 0 and pair["overlapping_windows_per_week"] == 5
    assert pairs[(("o/a", "other"), ("o/b", "report"))]["minutes_per_day"] == pytest.approx(5, abs=0.01)  # 06:10-06:15 daily
    (group,) = conflicts["groups"]
    assert group["group"] == "self-hosted,linux" and group["repositories"] == 2 and group["pairs_after"] == 2
    assert group["peak_concurrent_workflows_after"] == 3
    markdown = render_markdown(report)
    assert "### Shared self-hosted runners" in markdown and "Conflicts after the recommendations" in markdown


# ----- the command --------------------------------------------------------------------------
def test_cli_json_prints_exactly_one_object(org_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHESTRATOR_DATA", str(tmp_path / "store"))
    out, table_path = tmp_path / "summary.md", tmp_path / "org.csv"
    code = main(["org", "report", str(org_dir), "--json", "--out", str(out), "--csv", str(table_path)])
    stdout, stderr = capsys.readouterr()
    assert code == 0 and stderr == ""
    assert len(stdout.strip().splitlines()) == 1
    body = json.loads(stdout)
    assert body["success"] is True and body["data"]["repositories"]["count"] == 4
    assert "markdown" not in body["data"] and "1 failed" in body["message"] and "1 file(s) skipped" in body["message"]
    assert body["data"]["written"] == {"out": str(out), "csv": str(table_path)}
    assert out.read_text(encoding="utf-8").startswith("## Workflow Orchestrator") and table_path.exists()
    assert not (tmp_path / "store").exists()  # no store is made

    code = main(["--json", "org", "report", str(tmp_path / "missing")])
    stdout, _ = capsys.readouterr()
    body = json.loads(stdout)
    assert code == 2 and body["success"] is False and body["error"] == "ValidationError" and "DIR" in body["message"]

    code = main(["org", "report", str(org_dir)])  # without --json or --out: the Markdown, then the message
    stdout, _ = capsys.readouterr()
    assert code == 0 and stdout.startswith("## Workflow Orchestrator — organisation report")
    assert "4 repositories (1 failed)" in stdout

    code = main(["--json", "org", "plan"])  # plan still needs --org
    body = json.loads(capsys.readouterr()[0])
    assert code == 2 and "--org" in body["message"]
