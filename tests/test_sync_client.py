"""The client: where GitHub is, where the token comes from, budgets, retries, refused hosts."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from orchestrator.errors import SourceError, UsageError
from orchestrator.source.github import BudgetExhausted, ClientSettings, GitHubClient, GitHubUnavailable
from orchestrator.source.retry import RetryPolicy, rate_limit_wait
from orchestrator.source.sync import sync
from orchestrator.source.windows import Window, normalise, subtract
from orchestrator.store import HistoryStore
from tests.conftest import FAKE_TOKEN, REPO
from tests.fakegithub import FakeGitHub, make_runs


def test_api_url_comes_from_the_option_then_the_environment_then_the_default() -> None:
    env = {"GITHUB_API_URL": "https://ghe.example.com/api/v3/"}
    assert ClientSettings.resolve("http://127.0.0.1:9/api", environ=env).api_url == "http://127.0.0.1:9/api"
    assert ClientSettings.resolve(None, environ=env).api_url == "https://ghe.example.com/api/v3"
    assert ClientSettings.resolve(None, environ={}).api_url == "https://api.github.com"


@pytest.mark.parametrize("url", ["api.github.com", "ftp://x", "https://", "https://h/api?x=1"])
def test_a_malformed_api_url_is_refused_by_name(url: str) -> None:
    with pytest.raises(UsageError, match="--api-url"):
        ClientSettings.resolve(url, environ={})


def test_the_token_comes_from_the_named_environment_variable_only() -> None:
    settings = ClientSettings.resolve(None, token_env="MY_TOKEN", environ={})
    with pytest.raises(UsageError, match="MY_TOKEN"):
        GitHubClient(settings, environ={"GITHUB_TOKEN": FAKE_TOKEN})
    assert FAKE_TOKEN not in repr(settings)
    with pytest.raises(UsageError, match="--token-env"):
        ClientSettings.resolve(None, token_env="$(echo)", environ={})


def test_enterprise_server_paths_work(github_env: dict[str, str], tmp_path: Path) -> None:
    with FakeGitHub(repo=REPO, token=FAKE_TOKEN, prefix="/api/v3") as fake:
        fake.add_workflow(1, "CI", ".github/workflows/ci.yml")
        fake.seed_runs(make_runs(150, datetime.now(timezone.utc) - timedelta(days=3), spacing=timedelta(minutes=20)))
        settings = ClientSettings.resolve(fake.base_url, environ=github_env, throttle=False)
        result = sync(HistoryStore.local(tmp_path), REPO, GitHubClient(settings, environ=github_env))
    assert result["complete"] and result["runs_added"] == 150
    assert all(e.path.startswith("/api/v3/") for e in fake.requests)


def test_the_budget_counts_every_attempt_including_retries(fake_github: FakeGitHub, make_client: Any) -> None:
    client = make_client()
    fake_github.inject_faults(error_rate=1.0)
    client.set_budget(3)
    with pytest.raises(BudgetExhausted):
        client.request("GET", f"/repos/{REPO}")
    assert client.requests == fake_github.request_count() == 3


def test_transient_failures_are_retried_with_growing_jittered_waits(fake_github: FakeGitHub, make_client: Any, sleeps: list[float]) -> None:
    fake_github.inject_faults(error_rate=1.0)
    with pytest.raises(GitHubUnavailable, match="4 attempts"):
        make_client(base_seconds=1.0).request("GET", f"/repos/{REPO}")
    assert len(sleeps) == 3 and all(0 <= s <= 2 ** i for i, s in enumerate(sleeps))
    fake_github.inject_faults(reset_rate=0.5, seed=2)
    assert make_client(attempts=10).request("GET", f"/repos/{REPO}").status == 200


def test_a_slow_server_times_out_and_is_retried(fake_github: FakeGitHub, github_env: dict[str, str]) -> None:
    fake_github.inject_faults(slow_rate=1.0, slow_seconds=1.5)
    settings = ClientSettings.resolve(fake_github.base_url, environ=github_env, throttle=False, timeout=1,
                                      retry=RetryPolicy(attempts=2, sleep=lambda s: None))
    with pytest.raises(GitHubUnavailable, match="2 attempts"):
        GitHubClient(settings, environ=github_env).request("GET", f"/repos/{REPO}")


def test_links_to_another_host_are_refused(make_client: Any) -> None:
    with pytest.raises(SourceError, match="another host"):
        make_client().request("GET", "https://evil.example.com/repos/octo/demo/actions/runs?page=2")


def test_unexpected_answers_explain_what_to_fix(make_client: Any) -> None:
    with pytest.raises(SourceError, match="404 Not Found .* check --repo"):
        sync(HistoryStore.local("/nonexistent-never-written"), "octo/missing", make_client())
    with pytest.raises(UsageError, match="--repo"):
        sync(HistoryStore.local("/nonexistent-never-written"), "not a repo", make_client())


def test_a_bad_token_is_reported_without_showing_it(fake_github: FakeGitHub, tmp_path: Path) -> None:
    env = {"GITHUB_TOKEN": "ghs_WRONGtoken"}
    client = GitHubClient(ClientSettings.resolve(fake_github.base_url, environ=env, throttle=False), environ=env)
    with pytest.raises(SourceError, match="401") as caught:
        sync(HistoryStore.local(tmp_path), REPO, client)
    assert "ghs_WRONGtoken" not in str(caught.value) and "GITHUB_TOKEN" in str(caught.value)


def test_rate_limit_waits_prefer_retry_after_then_the_reset() -> None:
    assert rate_limit_wait({"retry-after": "12"}, now=0) == 12
    assert rate_limit_wait({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "100"}, now=40) == 61
    assert rate_limit_wait({}, now=0) == 60


def test_backoff_is_bounded_by_the_cap() -> None:
    policy = RetryPolicy(base_seconds=1, cap_seconds=5, rng=random.Random(1))
    assert all(0 <= policy.backoff(n) <= 5 for n in range(1, 30))


def _t(hour: int) -> datetime:
    return datetime(2025, 1, 1, hour, tzinfo=timezone.utc)


def test_windows_subtract_and_normalise() -> None:
    assert subtract(Window(_t(0), _t(10)), [Window(_t(3), _t(5))]) == [Window(_t(5) + timedelta(seconds=1), _t(10)),
                                                                        Window(_t(0), _t(3) - timedelta(seconds=1))]
    assert subtract(Window(None, _t(4)), [Window(_t(2), None)]) == [Window(None, _t(2) - timedelta(seconds=1))]
    assert subtract(Window(_t(1), _t(2)), [Window(None, None)]) == []
    assert normalise([Window(_t(0), _t(2)), Window(_t(2), _t(3)), Window(_t(5), None)]) == [Window(_t(5), None), Window(_t(0), _t(3))]
    assert Window(None, None).created_filter() is None
    assert Window(_t(1), None).created_filter() == ">=2025-01-01T01:00:00Z"
    assert Window(_t(1), _t(2)).created_filter() == "2025-01-01T01:00:00Z..2025-01-01T02:00:00Z"


def test_a_primary_limit_that_resets_soon_is_waited_for_once(fake_github: FakeGitHub, github_env: dict[str, str]) -> None:
    waits: list[float] = []

    def sleep_until_reset(seconds: float) -> None:
        waits.append(seconds)
        fake_github.set_rate_limit(remaining=5000, reset_in=3600)

    settings = ClientSettings.resolve(fake_github.base_url, environ=github_env, throttle=False, reserve=0,
                                      retry=RetryPolicy(sleep=sleep_until_reset, max_wait=60))
    client = GitHubClient(settings, environ=github_env)
    fake_github.set_rate_limit(remaining=0, reset_in=30)
    assert client.request("GET", f"/repos/{REPO}").status == 200
    assert len(waits) == 1 and 30 <= waits[0] <= 33
    assert [e.status for e in fake_github.requests] == [403, 200]


def test_since_accepts_a_bare_date_as_utc_but_refuses_a_zoneless_time(fake_github: FakeGitHub, make_client: Any, tmp_path: Path) -> None:
    result = sync(HistoryStore.local(tmp_path), REPO, make_client(), since="2025-01-01")
    assert result["complete"]
    assert HistoryStore.local(tmp_path).state()["sync"][REPO]["floor"] == "2025-01-01T00:00:00Z"
    with pytest.raises(UsageError, match="--since"):
        sync(HistoryStore.local(tmp_path), REPO, make_client(), since="2025-01-01T10:00")
