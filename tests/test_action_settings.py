"""The action's settings: INPUT_* with hyphens kept, defaults as action.yml documents, one validator per input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestrator.action.settings import load_settings
from orchestrator.errors import UsageError, ValidationError

ROOT = Path(__file__).resolve().parent.parent
BASE = {"INPUT_TOKEN": "ghs_secret123", "GITHUB_REPOSITORY": "octo/repo", "GITHUB_WORKSPACE": "/github/workspace"}


def test_defaults_match_action_yml() -> None:
    """With no with: at all the settings are action.yml's defaults (GitHub passes them, a docker:// step does not)."""
    settings = load_settings(BASE)
    inputs = yaml.safe_load((ROOT / "action.yml").read_text())["inputs"]
    assert settings.data_branch == inputs["data-branch"]["default"]
    assert settings.workflows_dir == Path("/github/workspace") / inputs["workflows-dir"]["default"]
    assert settings.lookback_days == int(inputs["lookback-days"]["default"])
    assert settings.max_requests == int(inputs["max-requests"]["default"])
    assert settings.jobs_budget == int(inputs["jobs-budget"]["default"]) == 0
    assert settings.min_confidence == float(inputs["min-confidence"]["default"])
    assert settings.timezone == inputs["timezone"]["default"]
    assert settings.mode == inputs["mode"]["default"]
    assert settings.summary is True
    assert settings.repository == "octo/repo"
    assert settings.api_url == "https://api.github.com"
    assert settings.workflows == ()


def test_every_input_is_read_with_hyphens_kept() -> None:
    env = dict(BASE, **{
        "INPUT_REPOSITORY": "other/repo",
        "INPUT_DATA-BRANCH": "history/data",
        "INPUT_WORKFLOWS-DIR": "ci/workflows",
        "INPUT_WORKFLOWS": "nightly.yml, Docs\n.github/workflows/x.yml,nightly.yml",
        "INPUT_LOOKBACK-DAYS": "0",
        "INPUT_MAX-REQUESTS": "50",
        "INPUT_JOBS-BUDGET": "7",
        "INPUT_MIN-CONFIDENCE": "0.25",
        "INPUT_TIMEZONE": "Europe/Berlin",
        "INPUT_MODE": "Report",
        "INPUT_SUMMARY": "false",
        "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
        "GITHUB_OUTPUT": "/github/file_commands/out",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/summary",
    })
    s = load_settings(env)
    assert (s.repository, s.data_branch, s.lookback_days, s.max_requests) == ("other/repo", "history/data", 0, 50)
    assert s.jobs_budget == 7
    assert s.workflows_dir == Path("/github/workspace/ci/workflows")
    assert s.workflows == ("nightly.yml", "Docs", ".github/workflows/x.yml")
    assert (s.min_confidence, s.timezone, s.mode, s.summary) == (0.25, "Europe/Berlin", "report", False)
    assert s.api_url == "https://ghe.example.com/api/v3"
    assert s.output_file == Path("/github/file_commands/out")
    assert s.summary_file == Path("/github/file_commands/summary")


def test_token_never_in_repr() -> None:
    assert "ghs_secret123" not in repr(load_settings(BASE))


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("REPOSITORY", "not a repo", "OWNER/NAME"),
        ("DATA-BRANCH", "refs/heads/data", "branch name"),
        ("DATA-BRANCH", "a..b", "branch name"),
        ("DATA-BRANCH", "has space", "branch name"),
        ("WORKFLOWS-DIR", "/etc", "inside the workspace"),
        ("WORKFLOWS-DIR", "../outside", "inside the workspace"),
        ("LOOKBACK-DAYS", "ninety", "whole days"),
        ("LOOKBACK-DAYS", "-1", "whole days"),
        ("MAX-REQUESTS", "1", "from 2"),
        ("MAX-REQUESTS", "1e3", "whole number"),
        ("JOBS-BUDGET", "-1", "from 0"),
        ("JOBS-BUDGET", "all", "whole number"),
        ("MIN-CONFIDENCE", "1.5", "from 0 to 1"),
        ("MIN-CONFIDENCE", "nan", "from 0 to 1"),
        ("TIMEZONE", "Mars/Olympus", "IANA time zone"),
        ("TIMEZONE", "../../etc/passwd", "IANA time zone"),
        ("MODE", "deploy", "recommend, sync, report"),
        ("SUMMARY", "maybe", "true or false"),
    ],
)
def test_each_bad_input_is_named_with_its_value(name: str, value: str, expected: str) -> None:
    with pytest.raises(ValidationError) as error:
        load_settings(dict(BASE, **{f"INPUT_{name}": value}))
    message = str(error.value)
    assert message.startswith(name.lower() + ":")
    assert repr(value) in message
    assert expected in message


def test_bad_api_url_is_named() -> None:
    with pytest.raises(ValidationError, match="GITHUB_API_URL: 'ftp://x' is not valid"):
        load_settings(dict(BASE, GITHUB_API_URL="ftp://x"))


def test_missing_token_is_refused_without_echoing_anything() -> None:
    with pytest.raises(ValidationError, match="token: '' is not valid"):
        load_settings({"GITHUB_REPOSITORY": "octo/repo"})


def test_token_with_whitespace_is_refused_and_not_echoed() -> None:
    with pytest.raises(ValidationError) as error:
        load_settings(dict(BASE, INPUT_TOKEN="abc def"))
    assert "abc" not in str(error.value)


def test_repository_is_required_somewhere() -> None:
    with pytest.raises(UsageError, match="GITHUB_REPOSITORY is not set"):
        load_settings({"INPUT_TOKEN": "t"})


def test_github_token_env_is_the_fallback_token() -> None:
    """A docker:// step gets no action.yml default, but GITHUB_TOKEN may be in env:."""
    settings = load_settings({"GITHUB_TOKEN": "from-env", "GITHUB_REPOSITORY": "octo/repo"})
    assert settings.token == "from-env"
