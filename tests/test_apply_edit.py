"""Editing crons in workflow files: only the cron scalars change, everything else stays byte-for-byte."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.apply.edit import CronEdit, EditRefused, edit_crons, schedule_crons

WORKFLOW = """\
name: Nightly
on:
  schedule:
    - cron: '0 3 * * *'   # nightly build
    - cron: "30 2 * * 1-5"
      timezone: Europe/Berlin
    - cron: 15 4 * * 0
  workflow_dispatch:
jobs:
  build:
    runs-on: ubuntu-latest
    steps: [{run: make}, {uses: actions/checkout@v4, with: {fetch-depth: 0}}]
"""


def refused(text: str, *edits: CronEdit) -> str:
    """The refusal message; also checks nothing was returned."""
    with pytest.raises(EditRefused) as info:
        edit_crons(text, edits)
    return str(info.value)


def test_reads_every_schedule_entry() -> None:
    assert schedule_crons(WORKFLOW) == ["0 3 * * *", "30 2 * * 1-5", "15 4 * * 0"]


def test_single_quoted_cron_keeps_quotes_and_comment() -> None:
    out = edit_crons(WORKFLOW, [CronEdit(0, "0 3 * * *", "17 3 * * *")])
    assert out == WORKFLOW.replace("'0 3 * * *'   # nightly build", "'17 3 * * *'   # nightly build")


def test_double_quoted_cron_keeps_quotes_and_timezone() -> None:
    out = edit_crons(WORKFLOW, [CronEdit(1, "30 2 * * 1-5", "5 4 * * 1-5")])
    assert out == WORKFLOW.replace('"30 2 * * 1-5"', '"5 4 * * 1-5"')
    assert "      timezone: Europe/Berlin\n" in out


def test_bare_cron_stays_bare() -> None:
    out = edit_crons(WORKFLOW, [CronEdit(2, "15 4 * * 0", "5 4 * * 1-5")])
    assert out == WORKFLOW.replace("- cron: 15 4 * * 0\n", "- cron: 5 4 * * 1-5\n")


def test_bare_cron_starting_with_star_becomes_single_quoted() -> None:
    out = edit_crons(WORKFLOW, [CronEdit(2, "15 4 * * 0", "*/15 * * * *")])
    assert out == WORKFLOW.replace("- cron: 15 4 * * 0\n", "- cron: '*/15 * * * *'\n")
    assert schedule_crons(out)[2] == "*/15 * * * *"


def test_comment_on_a_bare_cron_line() -> None:
    text = "on:\n  schedule:\n    - cron: 0 0 * * *  # midnight: quiet\n"
    out = edit_crons(text, [CronEdit(0, "0 0 * * *", "17 3 * * *")])
    assert out == "on:\n  schedule:\n    - cron: 17 3 * * *  # midnight: quiet\n"


def test_only_one_of_two_entries_moves() -> None:
    text = "on:\n  schedule:\n    - cron: '0 0 * * *'\n    - cron: '0 12 * * *'\n"
    out = edit_crons(text, [CronEdit(1, "0 12 * * *", "5 13 * * *")])
    assert out == "on:\n  schedule:\n    - cron: '0 0 * * *'\n    - cron: '5 13 * * *'\n"


def test_several_edits_in_one_file() -> None:
    out = edit_crons(WORKFLOW, [
        CronEdit(0, "0 3 * * *", "*/15 * * * *"),
        CronEdit(2, "15 4 * * 0", "17 3 * * *"),
        CronEdit(1, "30 2 * * 1-5", "5 4 * * 1-5"),
    ])
    assert schedule_crons(out) == ["*/15 * * * *", "5 4 * * 1-5", "17 3 * * *"]
    expected = (WORKFLOW.replace("'0 3 * * *'", "'*/15 * * * *'").replace('"30 2 * * 1-5"', '"5 4 * * 1-5"')
                .replace("cron: 15 4 * * 0", "cron: 17 3 * * *"))
    assert out == expected


def test_no_edits_returns_the_text() -> None:
    assert edit_crons(WORKFLOW, []) is WORKFLOW


def test_crlf_file() -> None:
    text = WORKFLOW.replace("\n", "\r\n")
    out = edit_crons(text, [CronEdit(2, "15 4 * * 0", "17 3 * * *"), CronEdit(0, "0 3 * * *", "5 4 * * 1-5")])
    assert out == text.replace("cron: 15 4 * * 0", "cron: 17 3 * * *").replace("'0 3 * * *'", "'5 4 * * 1-5'")
    assert out.count("\r\n") == text.count("\r\n") and "\n" not in out.replace("\r\n", "")


def test_leading_bom_keeps_offsets() -> None:
    text = "\ufeff" + WORKFLOW
    assert schedule_crons(text)[0] == "0 3 * * *"
    out = edit_crons(text, [CronEdit(0, "0 3 * * *", "17 3 * * *"), CronEdit(2, "15 4 * * 0", "5 4 * * 1-5")])
    assert out == "\ufeff" + WORKFLOW.replace("'0 3 * * *'", "'17 3 * * *'").replace("cron: 15 4 * * 0", "cron: 5 4 * * 1-5")


def test_bom_and_crlf_together() -> None:
    text = "\ufeff" + WORKFLOW.replace("\n", "\r\n")
    out = edit_crons(text, [CronEdit(1, "30 2 * * 1-5", "17 3 * * *")])
    assert out == text.replace('"30 2 * * 1-5"', '"17 3 * * *"')


def test_tab_in_comment() -> None:
    # (PyYAML, unlike the YAML spec, does not take a tab as the space before ``#``.)
    text = "on:\n  schedule:\n    - cron: '0 0 * * *' #\ttab\tinside\n    #\tfull-line\tcomment\n"
    out = edit_crons(text, [CronEdit(0, "0 0 * * *", "17 3 * * *")])
    assert out == text.replace("'0 0 * * *'", "'17 3 * * *'")


def test_on_as_a_list_has_no_entries() -> None:
    text = "on: [push, schedule]\njobs: {}\n"
    assert schedule_crons(text) == []
    assert "`on` is a list" in refused(text, CronEdit(0, "0 0 * * *", "17 3 * * *"))


def test_on_as_a_string_has_no_entries() -> None:
    text = "on: push\n"
    assert schedule_crons(text) == []
    assert "`on` is a string" in refused(text, CronEdit(0, "0 0 * * *", "17 3 * * *"))


@pytest.mark.parametrize("key", ['"on"', "'on'", "on"])
def test_quoted_or_bare_on_key(key: str) -> None:
    text = f"{key}:\n  schedule:\n    - cron: '0 0 * * *'\n"
    out = edit_crons(text, [CronEdit(0, "0 0 * * *", "17 3 * * *")])
    assert out == f"{key}:\n  schedule:\n    - cron: '17 3 * * *'\n"


def test_flow_style_on() -> None:
    text = "on: {schedule: [{cron: '0 0 * * *'}]}\njobs: {a: {runs-on: x, steps: [{run: y}]}}\n"
    out = edit_crons(text, [CronEdit(0, "0 0 * * *", "17 3 * * *")])
    assert out == text.replace("'0 0 * * *'", "'17 3 * * *'")


def test_flow_style_plain_cron_with_comma_is_quoted() -> None:
    text = "on: {schedule: [{cron: 0 0 * * *, timezone: UTC}]}\n"
    out = edit_crons(text, [CronEdit(0, "0 0 * * *", "0 0 1,15 * *")])
    assert out == "on: {schedule: [{cron: '0 0 1,15 * *', timezone: UTC}]}\n"
    out = edit_crons(text, [CronEdit(0, "0 0 * * *", "17 3 * * *")])
    assert out == "on: {schedule: [{cron: 17 3 * * *, timezone: UTC}]}\n"


def test_multiline_plain_cron() -> None:
    text = "on:\n  schedule:\n    - cron: 0 0\n        * * *\n    - cron: x\n"
    assert schedule_crons(text)[0] == "0 0 * * *"
    out = edit_crons(text, [CronEdit(0, "0  0 * * *", "17 3 * * *")])
    assert out == "on:\n  schedule:\n    - cron: 17 3 * * *\n    - cron: x\n"


def test_explicit_tag_is_kept() -> None:
    text = "on:\n  schedule:\n    - cron: !!str 0 0 * * *\n"
    out = edit_crons(text, [CronEdit(0, "0 0 * * *", "17 3 * * *")])
    assert out == "on:\n  schedule:\n    - cron: !!str 17 3 * * *\n"


def test_unparseable_file_names_the_problem() -> None:
    text = "on:\n  schedule:\n    - cron: '0 0 * * *\n  push: [\n"
    message = refused(text, CronEdit(0, "0 0 * * *", "17 3 * * *"))
    assert message.startswith("does not parse as YAML: ") and " at line " in message
    with pytest.raises(EditRefused, match="^does not parse as YAML: mapping values are not allowed here at line 3$"):
        schedule_crons("on:\n  schedule:\n    - cron: a: b\n")


def test_unprintable_character_is_a_parse_refusal() -> None:
    message = refused("name: a\x01\non: {schedule: [{cron: x}]}\n", CronEdit(0, "x", "17 3 * * *"))
    assert message.startswith("does not parse as YAML: unacceptable character #x0001") and "line 1" in message


def test_several_documents_are_refused() -> None:
    text = "on: {schedule: [{cron: '0 0 * * *'}]}\n---\nname: other\n"
    assert "2 YAML documents" in refused(text, CronEdit(0, "0 0 * * *", "17 3 * * *"))


def test_top_must_be_a_mapping() -> None:
    assert schedule_crons("- a\n- b\n") == []
    assert schedule_crons("") == []
    assert "not a mapping" in refused("- a\n", CronEdit(0, "a", "17 3 * * *"))


@pytest.mark.parametrize("text, reason", [
    ("name: x\n", "no `on` key"),
    ("on:\n  push:\n", "no `schedule` key"),
    ("on:\n  schedule: '0 0 * * *'\n", "not a list"),
])
def test_missing_schedule(text: str, reason: str) -> None:
    assert reason in refused(text, CronEdit(0, "0 0 * * *", "17 3 * * *"))


def test_index_out_of_range() -> None:
    message = refused(WORKFLOW, CronEdit(3, "0 0 * * *", "17 3 * * *"))
    assert message == "on.schedule[3] does not exist: the file has 3 schedule entries"
    assert "does not exist" in refused(WORKFLOW, CronEdit(-1, "15 4 * * 0", "17 3 * * *"))


def test_entry_without_a_cron_string() -> None:
    text = "on:\n  schedule:\n    - cron: 5\n    - timezone: UTC\n    -\n    - cron: [a]\n    - cron: '0 0 * * *'\n"
    assert schedule_crons(text) == [None, None, None, None, "0 0 * * *"]
    for index in range(4):
        assert refused(text, CronEdit(index, "5", "17 3 * * *")) == f"on.schedule[{index}] has no cron string"
    assert "'17 3 * * *'" in edit_crons(text, [CronEdit(4, "0 0 * * *", "17 3 * * *")])


def test_mismatched_old_is_refused() -> None:
    message = refused(WORKFLOW, CronEdit(0, "0 4 * * *", "17 3 * * *"))
    assert message == "on.schedule[0].cron is '0 3 * * *', expected '0 4 * * *': the file changed since it was read"


def test_old_compared_with_whitespace_collapsed() -> None:
    out = edit_crons(WORKFLOW, [CronEdit(1, " 30  2 * *   1-5 ", "17 3 * * *")])
    assert schedule_crons(out)[1] == "17 3 * * *"


ANCHORED = "on:\n  schedule:\n    - cron: &nightly '0 0 * * *'\n    - cron: *nightly\n"


@pytest.mark.parametrize("text, index", [
    (ANCHORED, 0),  # the anchor itself: its marks start at ``&nightly``
    (ANCHORED, 1),  # the alias: its node is the anchored one, whose text is on another line
    ("on:\n  schedule:\n    - cron: &lonely 0 0 * * *\n", 0),  # an anchor nobody uses yet
    ("x-base: &base {cron: '0 0 * * *'}\non:\n  schedule:\n    - *base\n", 0),
    ("x-base: &base\n  cron: '0 0 * * *'\non:\n  schedule:\n    - <<: *base\n      timezone: UTC\n", 0),
    ("x: &s\n  - cron: '0 0 * * *'\non:\n  schedule: *s\n", 0),
    ("x: &on\n  schedule:\n    - cron: '0 0 * * *'\non: *on\n", 0),
    ("on:\n  schedule: &s\n    - cron: '0 0 * * *'\n", 0),
])
def test_anchors_and_aliases_are_refused(text: str, index: int) -> None:
    assert schedule_crons(text)[index] == "0 0 * * *"
    message = refused(text, CronEdit(index, "0 0 * * *", "17 3 * * *"))
    assert message == f"on.schedule[{index}].cron is defined through a YAML anchor/alias; edit it by hand"


def test_anchor_elsewhere_does_not_block() -> None:
    text = "x-defaults: &d {runs-on: ubuntu-latest}\non:\n  schedule:\n    - cron: '0 0 * * *'\njobs:\n  a: *d\n"
    assert edit_crons(text, [CronEdit(0, "0 0 * * *", "17 3 * * *")]) == text.replace("0 0 * * *", "17 3 * * *")


def test_duplicate_keys_are_refused() -> None:
    text = "on:\n  schedule:\n    - cron: '0 0 * * *'\n      cron: '0 1 * * *'\n"
    assert schedule_crons(text) == ["0 1 * * *"]  # the last one wins, as in every YAML loader
    assert "more than one `cron` key" in refused(text, CronEdit(0, "0 1 * * *", "17 3 * * *"))
    text = "on:\n  schedule:\n    - cron: '0 0 * * *'\n'on':\n  schedule:\n    - cron: '0 1 * * *'\n"
    assert "more than one `on` key" in refused(text, CronEdit(0, "0 1 * * *", "17 3 * * *"))


def test_block_scalar_is_refused() -> None:
    text = "on:\n  schedule:\n    - cron: >\n        0 0 * * *\n"
    assert "block scalar" in refused(text, CronEdit(0, "0 0 * * *", "17 3 * * *"))


@pytest.mark.parametrize("new", ["0 0 * * *'", '0 "0" * * *', "0 0 \\* * *", "0 0 *\n* *", "0\t0 * * *",
                                 "0 0 * * *\u2028", "\ufeff0 0 * * *", "", "   "])
def test_unsafe_new_values_are_refused(new: str) -> None:
    message = refused(WORKFLOW, CronEdit(0, "0 3 * * *", new))
    assert message.startswith("the new cron for on.schedule[0]")


def test_duplicate_edit_index_is_refused() -> None:
    edits = (CronEdit(0, "0 3 * * *", "17 3 * * *"), CronEdit(0, "0 3 * * *", "5 4 * * 1-5"))
    assert "more than once" in refused(WORKFLOW, *edits)


def test_hostile_and_unicode_names_are_untouched() -> None:
    text = (
        'name: "日本語 <img src=x> | `x` @everyone"\n'
        "run-name: 'Ünïcödé ${{ github.actor }} # not a comment'\n"
        "on:\n  schedule:\n    - cron: \"0 0 * * *\"  # 夜間\n"
        "jobs:\n  x:\n    name: \"\\u00e9 \\\"q\\\" ☃ 🎉\"\n    steps: [{run: 'echo \"*/5\" # ok'}]\n"
    )
    out = edit_crons(text, [CronEdit(0, "0 0 * * *", "*/15 * * * *")])
    assert out == text.replace('"0 0 * * *"', '"*/15 * * * *"')
    assert yaml.safe_load(out)["name"] == "日本語 <img src=x> | `x` @everyone"


# --- property: generated workflow files -------------------------------------------------------

CRONS = ["0 0 * * *", "30 2 * * 1-5", "0 */6 * * *", "15 4 1,15 * *", "*/5 * * * *", "0 12 * * 0"]
NEW_CRONS = ["17 3 * * *", "*/15 * * * *", "5 4 * * 1-5", "0 0 1,15 * *", "45 23 * * 6"]

_TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"), blacklist_characters="\ufeff"),
    max_size=20,
)


@st.composite
def yaml_strings(draw: st.DrawFn) -> str:
    """A YAML scalar for an arbitrary string, quoted so that it reads back as that string."""
    value = draw(_TEXT)
    style = draw(st.sampled_from(["double", "single", "plain"]))
    if style == "double":
        return json.dumps(value, ensure_ascii=draw(st.booleans()))
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    word = draw(st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=10))
    return f"Build {word}"


def comment(draw: st.DrawFn) -> str:
    body = draw(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"),
                                      blacklist_characters="\ufeff") | st.just("\t"), max_size=15))
    return "#" + body


def cron_scalar(draw: st.DrawFn, cron: str, flow: bool) -> str:
    style = draw(st.sampled_from(["plain", "single", "double"]))
    needs_quotes = cron.startswith("*") or (flow and "," in cron)
    if style == "plain" and not needs_quotes:
        return cron
    if style == "double":
        return f'"{cron}"'
    return f"'{cron}'"


@st.composite
def workflows(draw: st.DrawFn) -> tuple[str, list[str]]:
    """``(text, crons)``: a workflow file built from random pieces, and its schedule crons in order."""
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    ind = " " * draw(st.sampled_from([2, 4]))
    lines: list[str] = []

    def maybe_comment_line(depth: int) -> None:
        if draw(st.integers(0, 4)) == 0:
            lines.append(ind * depth + comment(draw))

    def trailing() -> str:
        return (" " * draw(st.integers(1, 3)) + comment(draw)) if draw(st.booleans()) else ""

    maybe_comment_line(0)
    lines.append("name: " + draw(yaml_strings()) + trailing())
    maybe_comment_line(0)
    lines.append(draw(st.sampled_from(["on", '"on"', "'on'"])) + ":" + trailing())
    if draw(st.booleans()):
        lines.append(ind + "workflow_dispatch:")
    if draw(st.booleans()):
        lines.append(ind + "push:")
        lines.append(ind * 2 + "branches: [main, 'release/**']")
    crons = draw(st.lists(st.sampled_from(CRONS), min_size=1, max_size=3))
    if draw(st.integers(0, 3)) == 0:
        parts = []
        for cron in crons:
            tz = ", timezone: Asia/Tokyo" if draw(st.booleans()) else ""
            parts.append("{cron: " + cron_scalar(draw, cron, flow=True) + tz + "}")
        lines.append(ind + "schedule: [" + ", ".join(parts) + "]" + trailing())
    else:
        lines.append(ind + "schedule:" + trailing())
        for cron in crons:
            maybe_comment_line(2)
            if draw(st.booleans()):
                lines.append(ind * 2 + "- {cron: " + cron_scalar(draw, cron, flow=True) + "}" + trailing())
                continue
            lines.append(ind * 2 + "- cron: " + cron_scalar(draw, cron, flow=False) + trailing())
            if draw(st.booleans()):
                lines.append(ind * 2 + "  timezone: " + draw(st.sampled_from(["Europe/Berlin", "'UTC'"])) + trailing())
    if draw(st.booleans()):
        lines.append(ind + "pull_request: {branches: [main]}")
    maybe_comment_line(0)
    lines.append("jobs:")
    lines.append(ind + "build:")
    lines.append(ind * 2 + "name: " + draw(yaml_strings()))
    lines.append(ind * 2 + "runs-on: ubuntu-latest" + trailing())
    lines.append(ind * 2 + "steps:")
    lines.append(ind * 3 + "- run: " + draw(st.sampled_from(["echo hi", "'echo \"*/5 * * * *\"'", "'echo \"a: b\"'"])))
    text = nl.join(lines) + (nl if draw(st.booleans()) else "")
    if draw(st.integers(0, 4)) == 0:
        text = "\ufeff" + text
    return text, crons


def cron_spans(text: str) -> list[tuple[int, int, str | None, bool]]:
    """``(start, end, style, in_flow)`` of each cron scalar, read independently of the module."""
    top = yaml.compose(text)
    on = next(value for key, value in top.value if key.value == "on")
    schedule = next(value for key, value in on.value if key.value == "schedule")
    spans = []
    for entry in schedule.value:
        node = next(value for key, value in entry.value if key.value == "cron")
        spans.append((node.start_mark.index, node.end_mark.index, node.style, bool(entry.flow_style)))
    return spans


def rendered(new: str, style: str | None, in_flow: bool) -> str:
    if style == '"':
        return f'"{new}"'
    if style == "'" or new.startswith("*") or (in_flow and "," in new):
        return f"'{new}'"
    return new


@settings(max_examples=150, deadline=None)
@given(workflows(), st.data())
def test_property_only_edited_crons_change(workflow: tuple[str, list[str]], data: st.DataObject) -> None:
    text, crons = workflow
    assert schedule_crons(text) == crons
    chosen = data.draw(st.lists(st.sampled_from(range(len(crons))), unique=True, max_size=len(crons)))
    edits = [CronEdit(i, crons[i], data.draw(st.sampled_from(NEW_CRONS))) for i in chosen]

    result = edit_crons(text, edits)

    # (a) the crons read back as intended
    expected = list(crons)
    for edit in edits:
        expected[edit.index] = edit.new
    assert schedule_crons(result) == expected

    # (b) the data is the original's except for exactly those crons
    before, after = yaml.safe_load(text), yaml.safe_load(result)
    on_key = True if True in before else "on"
    want = copy.deepcopy(before)
    for edit in edits:
        want[on_key]["schedule"][edit.index]["cron"] = edit.new
    assert after == want

    # (c) every character outside the edited spans is unchanged, and the new scalars keep their style
    spans = cron_spans(text)
    rebuilt, cursor = [], 0
    for edit in sorted(edits, key=lambda e: e.index):
        start, end, style, in_flow = spans[edit.index]
        rebuilt.append(text[cursor:start] + rendered(edit.new, style, in_flow))
        cursor = end
    rebuilt.append(text[cursor:])
    assert result == "".join(rebuilt)
    if not edits:
        assert result == text
