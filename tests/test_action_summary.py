"""The job summary: what a person reads, with every repository string escaped and charts mirrored in tables."""

from __future__ import annotations

import re
from typing import Any

from orchestrator.action.outputs import fit_summary
from orchestrator.report.summary import MAX_TABLE_ROWS, SummaryContext, build_summary

HOSTILE = "Nightly <script>alert(1)</script> | [x](https://evil.example) @team\n::error::owned"


def rec(**overrides: Any) -> dict[str, Any]:
    """One recommendation in the recommender's result shape."""
    base: dict[str, Any] = {
        "workflow": "Nightly",
        "path": ".github/workflows/nightly.yml",
        "current_schedule": ["0 3 * * *"],
        "recommended_schedule": "17 2 * * *",
        "timezone": "UTC",
        "current_human": ["At 03:00 AM"],
        "recommended_human": "At 02:17 AM",
        "change": True,
        "confidence": 0.82,
        "expected_duration_seconds": 600.0,
        "duration_p90_seconds": 900.0,
        "predicted_success_rate": 0.93,
        "resource_impact": "low",
        "reasoning": ["Hour 2 has 92% success rate (n=41)", "Off the top of the hour: median delay 2 min vs 14 min at :00"],
        "timeout_minutes": {"jobs": {"build": None}, "jobs_without_timeout": ["build"], "recommended_minutes": 25,
                            "warnings": ["Jobs without timeout-minutes (GitHub stops them only after 360 min): build"]},
        "conflicts": [],
        "liveness": {"warnings": ["4 of 30 scheduled ticks had no run (13%)"]},
    }
    base.update(overrides)
    return base


def context(**overrides: Any) -> SummaryContext:
    values: dict[str, Any] = {
        "repository": "octo/repo",
        "mode": "recommend",
        "data_branch": "workflow-orchestrator-data",
        "min_confidence": 0.6,
        "sync": {"runs_added": 120, "runs_updated": 3, "complete": True, "requests": 4, "rate_limit_remaining": 990},
        "recommendations": [rec()],
        "conflicts": [{"workflows": ["Nightly", "Docs"], "paths": ["a", "b"], "minutes_per_day": 12.0,
                       "shared_concurrency_group": None}],
        "success_by_hour": [(h, 0.5 + h / 100, 10) for h in range(24)],
        "delay_by_minute": [(m, 60.0 * (15 if m == 0 else 2), 5) for m in range(60)],
        "accuracy": [("model", 40.0, 12), ("median_last_50", 75.0, 12)],
        "report_path": "workflow-orchestrator-report/report.json",
    }
    values.update(overrides)
    return SummaryContext(**values)


def test_the_summary_answers_the_questions_in_order() -> None:
    text = "\n\n".join(build_summary(context()))
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    assert headings == ["Workflow Orchestrator — octo/repo", "Schedules", "Why", "Conflicts", "Liveness warnings", "Timeouts",
                        "Prediction accuracy", "Success rate by hour", "Schedule delay by minute", "Run windows over the day"]
    assert "Sync complete: 123 runs added or updated with 4 API requests" in text
    assert "**1 of 1 scheduled workflows should move**" in text
    row = next(line for line in text.splitlines() if line.startswith("| Nightly"))
    assert "`0 3 * * *` At 03:00 AM" in row and "`17 2 * * *` At 02:17 AM" in row
    assert "10.0 min / 15.0 min" in row and "93%" in row and "82%" in row and "**change**" in row
    assert "- Hour 2 has 92% success rate (n=41)" in text
    assert "| Nightly | Docs | 12 | no |" in text
    assert "4 of 30 scheduled ticks had no run" in text
    assert "| Nightly | build: none | 25 |" in text
    assert "| model | 40 s | 12 |" in text and "| median_last_50 | 75 s | 12 |" in text


def test_each_chart_has_the_same_numbers_in_a_collapsible_table() -> None:
    sections = build_summary(context())
    success = next(s for s in sections if s.startswith("### Success rate by hour"))
    assert "```mermaid\nxychart-beta" in success
    bars = re.search(r"bar \[(.+)\]", success).group(1).split(", ")
    rows = re.findall(r"^\| (\d\d):00 \| (\d+)% \| 10 \|$", success, re.M)
    assert [int(b) for b in bars] == [int(pct) for _, pct in rows] and len(rows) == 24
    assert "<details><summary>Success rate by hour as a table</summary>" in success
    delay = next(s for s in sections if s.startswith("### Schedule delay by minute"))
    assert "line [15.0, 2.0," in delay and "| :00 | 15.0 min | 5 |" in delay
    gantt = next(s for s in sections if s.startswith("### Run windows"))
    assert "gantt\n" in gantt and "section Current\n    1. Nightly :w1, 03:00, 03:15" in gantt
    assert "section Recommended\n    2. Nightly :w2, 02:17, 02:32" in gantt
    assert "| Recommended | Nightly | 02:17 | 02:32 |" in gantt
    assert "quickchart" not in "".join(sections) and "http" not in gantt  # no third-party chart service


def test_charts_follow_the_timezone_input() -> None:
    sections = build_summary(context(timezone="Asia/Tokyo"))
    success = next(s for s in sections if s.startswith("### Success rate by hour"))
    assert "(Asia/Tokyo)" in success and "| 09:00 | 50% | 10 |" in success  # UTC 00 is 09 in Tokyo
    gantt = next(s for s in sections if s.startswith("### Run windows"))
    assert "1. Nightly :w1, 12:00, 12:15" in gantt


def test_repository_strings_are_escaped_everywhere() -> None:
    hostile = rec(workflow=HOSTILE, path=".github/workflows/<b>|.yml", current_schedule=["0 3 * * *`<b>"],
                  reasoning=[f"Often overlaps with: {HOSTILE}"], liveness={"warnings": [f"<i>{HOSTILE}</i>"]})
    sections = build_summary(context(recommendations=[hostile], conflicts=[{"workflows": [HOSTILE, "<u>x</u>"],
                                                                             "minutes_per_day": 3, "shared_concurrency_group": "<g>"}]))
    text = "\n\n".join(sections)
    # Code spans show their content literally, so only the text outside them must be inert.
    outside_code = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)
    ours = re.sub(r"</?(br|details|summary)>", "", outside_code)
    for raw in ("<script", "<b>", "<i>", "<u>", "<g>", "](https", "@team", "\n::error::"):
        assert raw not in ours
    # every table row still has exactly the header's number of cells
    for block in re.findall(r"(?:^\|.*\|$\n?)+", text, re.M):
        widths = {len(re.split(r"(?<!\\)\|", line)) for line in block.strip().splitlines()}
        assert len(widths) == 1, block


def test_keep_and_min_confidence_are_shown_as_keep() -> None:
    text = "\n\n".join(build_summary(context(recommendations=[rec(change=False)])))
    assert "**0 of 1 scheduled workflows should move**" in text and "| keep |" in text
    assert "section Recommended" not in text


def test_a_partial_sync_says_the_answer_uses_what_was_stored() -> None:
    sync = {"runs_added": 5, "runs_updated": 0, "complete": False, "requests": 300,
            "message": "request budget of this sync is spent (300 requests)"}
    text = build_summary(context(sync=sync))[0]
    assert "Sync **partial**" in text and "next run resumes" in text
    assert "> [!WARNING]\n> The sync stopped early (request budget of this sync is spent (300 requests))." in text


def test_problems_are_shown_escaped() -> None:
    text = build_summary(context(problems=["recommend: <b>workflows dir</b> missing"]))[0]
    assert "> [!CAUTION]\n> recommend: &lt;b&gt;workflows dir&lt;/b&gt; missing" in text


def test_no_accuracy_yet_is_said_plainly() -> None:
    text = "\n\n".join(build_summary(context(accuracy=[])))
    assert "No earlier predictions have been checked against real runs yet." in text


def test_sync_mode_has_no_recommendation_sections() -> None:
    sections = build_summary(context(mode="sync", recommendations=[], conflicts=[], success_by_hour=[], delay_by_minute=[]))
    assert len(sections) == 1 and "Sync complete" in sections[0]


def test_thousands_of_workflows_stay_readable_and_under_the_limit() -> None:
    many = [rec(workflow=f"wf {i}", path=f".github/workflows/w{i}.yml") for i in range(2000)]
    sections = build_summary(context(recommendations=many))
    table_section = next(s for s in sections if s.startswith("### Schedules"))
    assert table_section.count("\n| wf ") == MAX_TABLE_ROWS
    assert f"{2000 - MAX_TABLE_ROWS} more workflows are in the full report" in table_section
    assert len(fit_summary(sections).encode()) < 1024 * 1024
