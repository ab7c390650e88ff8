"""Escaping of repository-derived strings: workflow commands, Markdown, HTML, code spans, Mermaid."""

from __future__ import annotations

import io

import pytest

from orchestrator.action.commands import Log, command, escape_data, escape_property
from orchestrator.report.markdown import code, details, html, md, mermaid_label, table

HOSTILE_NAME = "Nightly <img src=x onerror=alert(1)> [pwn](https://evil.example) | @octo-org/team **bold**\n::error::owned"


# ----- workflow commands -----------------------------------------------------------------------
def test_command_data_escapes_percent_and_line_breaks() -> None:
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"


def test_command_properties_also_escape_separators() -> None:
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_a_hostile_name_cannot_start_a_command_of_its_own() -> None:
    line = command("warning", f"{HOSTILE_NAME} fails often", title=HOSTILE_NAME, file=".github/workflows/a,b:c.yml")
    assert "\n" not in line and "\r" not in line
    assert line.startswith("::warning title=Nightly <img")
    head, message = line.split("::", 2)[1:]
    assert head == "warning title=" + escape_property(HOSTILE_NAME) + ",file=.github/workflows/a%2Cb%3Ac.yml"
    assert message.endswith("%0A::error::owned fails often")


def test_log_writes_annotations_and_refuses_unknown_levels() -> None:
    stream = io.StringIO()
    log = Log(stream)
    log.annotate("notice", "n")
    log.annotate("warning", "w", title="t")
    assert stream.getvalue() == "::notice::n\n::warning title=t::w\n"
    with pytest.raises(ValueError):
        log.annotate("debug", "x")


def test_plain_log_lines_cannot_become_commands() -> None:
    stream = io.StringIO()
    Log(stream).info("Synced 3 runs of\n::add-mask::x\r::error::boom")
    Log(stream).info("  ::error::at the start")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert not any(line.lstrip().startswith("::") for line in lines)


def test_mask_and_group() -> None:
    stream = io.StringIO()
    log = Log(stream)
    log.mask("s3cr%t")
    log.mask("")  # nothing to mask: nothing written
    with log.group("Sync\nowner/repo"):
        log.info("inside")
    assert stream.getvalue() == "::add-mask::s3cr%25t\n::group::Sync owner/repo\ninside\n::endgroup::\n"


# ----- Markdown and HTML ---------------------------------------------------------------------
def test_md_neutralises_html_links_tables_mentions_and_newlines() -> None:
    text = md(HOSTILE_NAME)
    assert "<" not in text and ">" not in text
    assert "\n" not in text
    assert "](" not in text and "\\[pwn\\]" in text
    assert "@" not in text and "&#64;octo" in text
    assert "https://" not in text  # no autolink
    assert "| " not in text.replace("\\|", "")
    assert "\\*\\*bold\\*\\*" in text


def test_md_neutralises_entities_but_leaves_a_lone_ampersand() -> None:
    assert md("it's & <b> &amp; &#60;") == "it's & &lt;b&gt; &amp;amp; &\\#60;"


@pytest.mark.parametrize("value, expected", [
    ("At 12:00 AM (UTC): cost 0.724 → 0.693", "At 12:00 AM (UTC): cost 0.724 → 0.693"),
    ("1. first", "1\\. first"),
    ("12) twelfth", "12\\) twelfth"),
    ("- item", "\\- item"),
    ("+ item", "\\+ item"),
    ("# heading", "\\# heading"),
    ("see www.evil.example or HTTPS://evil", "see www&#46;evil.example or HTTPS&#58;//evil"),
    ("$x$ ~~gone~~ _em_", "\\$x\\$ \\~\\~gone\\~\\~ \\_em\\_"),
    ("pull_request and __init__", "pull_request and \\_\\_init\\_\\_"),
])
def test_md_escapes_constructs_and_keeps_prose_readable(value: str, expected: str) -> None:
    """Our own sentences stay readable in a terminal; only what could start a construct changes."""
    assert md(value) == expected


def test_md_bounds_megabyte_names() -> None:
    assert len(md("a" * 1_000_000)) < 400


def test_html_escapes_for_raw_html_contexts() -> None:
    assert html('<summary onclick="x">\'') == "&lt;summary onclick=&quot;x&quot;&gt;&#39;"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("0 3 * * *", "`0 3 * * *`"),
        ("a`b", "``a`b``"),
        ("``x", "``` ``x ```"),
        ("a|b", "`a\\|b`"),
        ("line\nbreak", "`line break`"),
    ],
)
def test_code_spans_hold_text_verbatim(value: str, expected: str) -> None:
    assert code(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("nightly build", "nightly build"),
        ("a:b;c#d%e\"f", "a_b_c_d_e_f"),
        ("section evil", "_section evil"),
        ("title", "_title"),
        ("<b>", "_b_"),
        ("", "_"),
    ],
)
def test_mermaid_labels_cannot_break_the_diagram(value: str, expected: str) -> None:
    assert mermaid_label(value) == expected


def test_table_and_details_shapes() -> None:
    assert table(["A", "B"], [["1", "2"]], "lr") == "| A | B |\n| :--- | ---: |\n| 1 | 2 |"
    assert details("t", "body") == "<details><summary>t</summary>\n\nbody\n\n</details>"


def test_the_console_log_writes_annotations_as_plain_lines_that_no_runner_would_parse() -> None:
    from orchestrator.action.commands import ConsoleLog

    stream = io.StringIO()
    log = ConsoleLog(stream)
    with log.group("Learn"):
        log.annotate("warning", "43% of the time", title=HOSTILE_NAME, file=".github/workflows/n.yml")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "── Learn" and len(lines) == 2
    assert lines[1].startswith("warning: Nightly <img") and lines[1].endswith("(.github/workflows/n.yml): 43% of the time")
    with pytest.raises(ValueError):
        log.mask("secret")
