"""``org plan``: an organisation's repositories as a GitHub Actions matrix, against the fake GitHub.

``GET /orgs/{org}/repos`` and ``GET /installation/repositories`` are not in the vendored OpenAPI
subset, so their exchanges cannot go through ``validate()``; their items are checked against the
subset's own component schemas instead (``minimal-repository``, ``repository``, ``basic-error``),
and every exchange on a path the subset has goes through ``validate()``.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

from orchestrator.cli import main
from orchestrator.errors import SourceError, ValidationError
from orchestrator.org.plan import MAX_JOBS, plan
from orchestrator.source.github import RateLimited
from tests.conftest import FAKE_TOKEN
from tests.fakegithub import Exchange, FakeGitHub
from tests.test_fakegithub_schema import PATTERNS, SPEC, validate

ORG = "acme"


def names(count: int) -> list[str]:
    return [f"repo-{i:03d}" for i in range(count)]


def seed(fake: FakeGitHub, count: int = 250) -> tuple[set[str], set[str]]:
    """``count`` repositories of ``acme``: every tenth archived (10 %), every fiftieth disabled (2 %)."""
    all_names = names(count)
    archived = {n for i, n in enumerate(all_names) if i % 10 == 0}
    disabled = {n for i, n in enumerate(all_names) if i % 50 == 5}
    fake.add_org_repos(ORG, list(reversed(all_names)), archived=archived, disabled=disabled,
                       private={n for i, n in enumerate(all_names) if i % 3 == 0})
    return archived, disabled


@lru_cache(maxsize=None)
def _schema(name: str) -> OAS30Validator:
    spec = json.loads(SPEC.read_text())
    return OAS30Validator({**spec["components"]["schemas"][name], "components": spec["components"]})


def check(exchanges: list[Exchange]) -> set[tuple[str, int]]:
    """Every exchange: ``validate()`` where the subset has the path, else the component shapes."""
    seen = set()
    for exchange in exchanges:
        if any(re.fullmatch(regex, exchange.path) for regex, _template in PATTERNS):
            validate([exchange])
        else:
            assert exchange.path == "/installation/repositories" or re.fullmatch(r"/orgs/[^/]+/repos", exchange.path), exchange.path
            body = json.loads(exchange.response_body)
            if exchange.status != 200:
                _schema("basic-error").validate(body)
            elif exchange.path == "/installation/repositories":
                assert set(body) == {"total_count", "repository_selection", "repositories"}
                for item in body["repositories"]:
                    _schema("repository").validate(item)
            else:
                assert isinstance(body, list)
                for item in body:
                    _schema("minimal-repository").validate(item)
        seen.add((exchange.path, int(exchange.status or 0)))
    return seen


def test_a_250_repository_organisation_over_three_pages(fake_github: FakeGitHub, make_client: Any) -> None:
    archived, disabled = seed(fake_github)
    client = make_client()

    result = plan(client, ORG, 20)

    kept = sorted(f"{ORG}/{n}" for n in set(names(250)) - archived - disabled)
    assert len(archived) == 25 and len(disabled) == 5 and len(kept) == 220
    assert result["organization"] == ORG and result["repositories"] == kept
    assert result["left_out"] == sorted(
        [{"repository": f"{ORG}/{n}", "reason": "archived"} for n in archived]
        + [{"repository": f"{ORG}/{n}", "reason": "disabled"} for n in disabled], key=lambda e: e["repository"])
    include = result["matrix"]["include"]
    assert [job["chunk"] for job in include] == list(range(1, 12)) and result["jobs"] == 11 and result["chunk"] == 20
    assert [job["repositories"].split(",") for job in include] == [kept[i:i + 20] for i in range(0, 220, 20)]
    assert result["note"] is None
    # Three pages of 100, following Link rel="next"; archived and disabled repositories are listed by GitHub.
    assert result["requests"] == 3 == fake_github.request_count("GET", "/orgs/acme/repos")
    assert [e.query for e in fake_github.requests] == [
        {"type": "all", "per_page": "100"}, {"type": "all", "per_page": "100", "page": "2"},
        {"type": "all", "per_page": "100", "page": "3"}]
    assert check(fake_github.requests) == {("/orgs/acme/repos", 200)}


def test_the_matrix_never_exceeds_256_jobs(fake_github: FakeGitHub, make_client: Any) -> None:
    fake_github.add_org_repos(ORG, names(300))

    result = plan(make_client(), ORG, 1)

    assert len(result["repositories"]) == 300 and result["chunk"] == 2 == math.ceil(300 / MAX_JOBS)
    include = result["matrix"]["include"]
    assert len(include) == result["jobs"] == 150 <= MAX_JOBS
    assert sum(len(job["repositories"].split(",")) for job in include) == 300
    assert "256" in result["note"] and "grew to 2" in result["note"] and "300 jobs" in result["note"]
    check(fake_github.requests)


def test_installation_listing(fake_github: FakeGitHub, make_client: Any) -> None:
    archived, disabled = seed(fake_github, 120)

    result = plan(make_client(), ORG, 50, installation=True)

    assert result["source"] == "installation"
    assert result["repositories"] == sorted(f"{ORG}/{n}" for n in set(names(120)) - archived - disabled)
    assert {e["reason"] for e in result["left_out"]} == {"archived", "disabled"} and len(result["left_out"]) == 15
    assert [len(j["repositories"].split(",")) for j in result["matrix"]["include"]] == [50, 50, 5]
    assert result["requests"] == 2 and fake_github.request_count("GET", "/orgs/") == 0
    assert json.loads(fake_github.requests[0].response_body)["total_count"] == 120
    assert check(fake_github.requests) == {("/installation/repositories", 200)}


def test_an_unknown_organisation_is_a_clear_source_error(fake_github: FakeGitHub, make_client: Any) -> None:
    with pytest.raises(SourceError, match=r"404 Not Found to GET /orgs/nope/repos: no organisation 'nope'.*--org"):
        plan(make_client(), "nope", 5)
    assert check(fake_github.requests) == {("/orgs/nope/repos", 404)}


@pytest.mark.parametrize("chunk", [0, -3, True, "5", 2.5])
def test_an_invalid_chunk_is_refused_before_any_request(fake_github: FakeGitHub, make_client: Any, chunk: Any) -> None:
    with pytest.raises(ValidationError, match="--chunk") as caught:
        plan(make_client(), ORG, chunk)
    assert caught.value.field == "--chunk" and fake_github.requests == []


@pytest.mark.parametrize("org", ["", "a/b", "x?y", "-lead"])
def test_a_malformed_org_is_refused(fake_github: FakeGitHub, make_client: Any, org: str) -> None:
    with pytest.raises(ValidationError, match="--org"):
        plan(make_client(), org, 5)
    assert fake_github.requests == []


def test_an_empty_organisation_says_to_skip_the_matrix(fake_github: FakeGitHub, make_client: Any) -> None:
    fake_github.add_org_repos(ORG, ["old"], archived={"old"})
    result = plan(make_client(), ORG, 5)
    assert result["repositories"] == [] and result["matrix"] == {"include": []} and result["jobs"] == 0
    assert result["left_out"] == [{"repository": "acme/old", "reason": "archived"}] and "skip" in result["note"]


def test_org_and_installation_requests_share_one_rate_limit(fake_github: FakeGitHub, make_client: Any) -> None:
    """One installation, one limit (GitHub's rule, and the fake's): listing spends what sync would."""
    seed(fake_github, 250)
    fake_github.set_rate_limit(remaining=4)
    client = make_client(reserve=0)
    assert plan(client, ORG, 20)["requests"] == 3
    with pytest.raises(RateLimited):
        plan(client, ORG, 20, installation=True)
    assert fake_github.request_count("GET", "/installation/repositories") == 1


def test_the_fake_lists_like_github(fake_github: FakeGitHub, make_client: Any) -> None:
    fake_github.add_org_repos(ORG, ["b", "a", "c"], private={"c"}, archived={"b"})
    client = make_client()
    newest_first = client.request("GET", "/orgs/ACME/repos").data
    assert [r["full_name"] for r in newest_first] == ["acme/c", "acme/a", "acme/b"]
    assert [r["full_name"] for r in client.request("GET", f"/orgs/{ORG}/repos", {"sort": "full_name"}).data] == \
        ["acme/a", "acme/b", "acme/c"]
    private = client.request("GET", f"/orgs/{ORG}/repos", {"type": "private"}).data
    assert [(r["full_name"], r["private"], r["visibility"]) for r in private] == [("acme/c", True, "private")]
    assert [r["archived"] for r in newest_first] == [False, False, True] and newest_first[0]["owner"]["type"] == "Organization"
    assert client.request("GET", f"/orgs/{ORG}/repos", {"type": "secret"}).status == 422
    client.request("GET", "/repos/octo/demo")  # the default repository is still there, and in the spec
    check([e for e in fake_github.requests if e.status != 422])


def test_the_validator_catches_a_malformed_repository(fake_github: FakeGitHub, make_client: Any) -> None:
    """Guards the guard: an org listing item missing a required field must fail."""
    fake_github.add_org_repos(ORG, ["a"])
    make_client().request("GET", f"/orgs/{ORG}/repos")
    exchange = fake_github.requests[-1]
    body = json.loads(exchange.response_body)
    del body[0]["full_name"]
    exchange.response_body = json.dumps(body).encode()
    with pytest.raises(Exception, match="full_name"):
        check([exchange])


# ----- the command line -----------------------------------------------------------------------
def run(capsys: Any, *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 1, out  # exactly one JSON object
    return code, json.loads(lines[0]), err


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    monkeypatch.setenv("GITHUB_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("ORG_TOKEN", FAKE_TOKEN)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    monkeypatch.setenv("ORCHESTRATOR_DATA", str(tmp_path / "store"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_json_is_one_object(fake_github: FakeGitHub, capsys: Any, cli_env: Any) -> None:
    seed(fake_github, 250)
    code, body, err = run(capsys, "org", "plan", "--org", ORG, "--chunk", "20", "--api-url", fake_github.base_url, "--json")
    assert code == 0 and body["success"] is True and err == ""
    data = body["data"]
    assert len(data["repositories"]) == 220 and len(data["matrix"]["include"]) == 11 and data["requests"] == 3
    assert body["message"] == "acme: 220 repositories in 11 jobs of up to 20; 30 left out (archived or disabled)"
    assert list(cli_env.iterdir()) == []  # no store was made: org plan needs none

    # Global options before the command, another token variable, the installation listing.
    code, body, _err = run(capsys, "--json", "--api-url", fake_github.base_url, "--token-env", "ORG_TOKEN",
                           "org", "plan", "--org", ORG, "--installation")
    assert code == 0 and body["data"]["source"] == "installation" and body["data"]["chunk"] == 10
    assert check(fake_github.requests) == {("/orgs/acme/repos", 200), ("/installation/repositories", 200)}


def test_cli_failures_are_one_failed_object_without_traceback(fake_github: FakeGitHub, capsys: Any, cli_env: Any) -> None:
    base = ["--api-url", fake_github.base_url, "--json", "org", "plan"]
    code, body, err = run(capsys, *base, "--org", ORG, "--chunk", "0")
    assert code == 2 and body["success"] is False and "--chunk" in body["message"] and body["error"] == "UsageError"
    code, body, err = run(capsys, *base, "--org", "nope")
    assert code == 1 and body["success"] is False and body["error"] == "SourceError" and "'nope'" in body["message"]
    assert "Traceback" not in err and "Traceback" not in body["message"]
    code, body, _err = run(capsys, *base, "--org", ORG, "--token-env", "NO_SUCH_TOKEN")
    assert code == 2 and body["error"] == "UsageError" and "NO_SUCH_TOKEN" in body["message"]
    code, body, _err = run(capsys, "--json", "org", "apply", "--org", ORG)
    assert code == 2 and body["success"] is False and "invalid choice" in body["message"]
    assert FAKE_TOKEN not in json.dumps(body)


def test_cli_without_json_prints_the_plan(fake_github: FakeGitHub, capsys: Any, cli_env: Any) -> None:
    fake_github.add_org_repos(ORG, ["a", "b"])
    assert main(["org", "plan", "--org", ORG, "--api-url", fake_github.base_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("acme: 2 repositories in 1 job of up to 10; 0 left out") and "acme/a" in out
