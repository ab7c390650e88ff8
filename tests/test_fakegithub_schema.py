"""The fake answers in GitHub's documented shapes, and our client asks with documented parameters.

Every exchange of a real sync and data-branch round trip is validated, request and response,
against a patched copy of ``tests/fakegithub/openapi/api.github.com.subset.json`` (a verbatim copy of
``../shared/github-openapi/``). The patches fix
two places where the description cannot be used as is: ``created`` is search syntax (``>=…``,
``A..B``), not a plain date-time, and the ``workflow-id`` parameter's ``oneOf`` matches a numeric
id twice (integer and string).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from orchestrator.source.sync import sync
from orchestrator.store import HistoryStore
from orchestrator.store.branch import BranchBackend
from tests.conftest import REPO
from tests.fakegithub import Exchange, FakeGitHub, make_runs

SPEC = Path(__file__).resolve().parent / "fakegithub" / "openapi" / "api.github.com.subset.json"

#: Our request paths → the spec's path templates (``ref`` holds slashes, which templates cannot match).
PATTERNS = [
    (r"/rate_limit", "/rate_limit"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)", "/repos/{owner}/{repo}"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/actions/workflows", "/repos/{owner}/{repo}/actions/workflows"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/actions/runs", "/repos/{owner}/{repo}/actions/runs"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/actions/runs/(?P<run_id>\d+)", "/repos/{owner}/{repo}/actions/runs/{run_id}"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/actions/runs/(?P<run_id>\d+)/attempts/(?P<attempt_number>\d+)/jobs",
     "/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/git/ref/(?P<ref>.+)", "/repos/{owner}/{repo}/git/ref/{ref}"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/git/refs", "/repos/{owner}/{repo}/git/refs"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/git/refs/(?P<ref>.+)", "/repos/{owner}/{repo}/git/refs/{ref}"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/git/commits", "/repos/{owner}/{repo}/git/commits"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/git/commits/(?P<commit_sha>[0-9a-f]+)", "/repos/{owner}/{repo}/git/commits/{commit_sha}"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/git/trees", "/repos/{owner}/{repo}/git/trees"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/git/trees/(?P<tree_sha>[0-9a-f]+)", "/repos/{owner}/{repo}/git/trees/{tree_sha}"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/git/blobs", "/repos/{owner}/{repo}/git/blobs"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/git/blobs/(?P<file_sha>[0-9a-f]+)", "/repos/{owner}/{repo}/git/blobs/{file_sha}"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls", "/repos/{owner}/{repo}/pulls"),
    (r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls/(?P<pull_number>\d+)", "/repos/{owner}/{repo}/pulls/{pull_number}"),
]


@lru_cache(maxsize=1)
def openapi() -> OpenAPI:
    spec = json.loads(SPEC.read_text())
    patched = copy.deepcopy(spec)
    patched["components"]["parameters"]["created"]["schema"] = {"type": "string"}
    patched["components"]["parameters"]["workflow-id"]["schema"] = {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    return OpenAPI.from_dict(patched)


@dataclass
class _Request:
    """An exchange's request in openapi-core's protocol, with the path template pre-matched."""

    method: str
    path: str
    path_pattern: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str
    host_url: str = "https://api.github.com"

    @property
    def full_url_pattern(self) -> str:
        return self.host_url + self.path_pattern


@dataclass
class _Response:
    status_code: int
    headers: Headers
    data: bytes
    content_type: str


def _template(path: str) -> tuple[str, dict[str, str]]:
    for regex, template in PATTERNS:
        match = re.fullmatch(regex, path)
        if match:
            return template, match.groupdict()
    raise AssertionError(f"no spec path for {path}")


def as_openapi(exchange: Exchange) -> tuple[_Request, _Response]:
    template, path_params = _template(exchange.path)
    params = RequestParameters(query=ImmutableMultiDict(exchange.query), header=Headers(exchange.request_headers),
                               path=path_params)
    request = _Request(exchange.method.lower(), exchange.path, template, params, exchange.request_body or None,
                       exchange.request_headers.get("content-type", "application/json").split(";")[0].lower())
    response = _Response(int(exchange.status or 0), Headers(exchange.response_headers), exchange.response_body,
                         exchange.response_headers.get("content-type", "application/json").split(";")[0])
    return request, response


def validate(exchanges: list[Exchange]) -> set[tuple[str, str, int]]:
    """Validate every answered exchange; returns the (method, template, status) combinations seen."""
    api, seen = openapi(), set()
    for exchange in exchanges:
        request, response = as_openapi(exchange)
        api.validate_request(request)
        if exchange.status in (304,):
            seen.add((request.method, request.path_pattern, 304))
            continue
        api.validate_response(request, response)
        seen.add((request.method, request.path_pattern, response.status_code))
    return seen


def test_sync_and_branch_round_trip_use_documented_requests_and_shapes(fake_github: FakeGitHub, make_client: Any) -> None:
    fake_github.add_workflow(2, "Nightly", ".github/workflows/nightly.yml", state="disabled_inactivity")
    now = datetime.now(timezone.utc)
    fake_github.seed_runs(make_runs(250, now - timedelta(days=30), spacing=timedelta(hours=2)))
    fake_github.seed_runs([{"id": 99_999, "created_at": now - timedelta(minutes=5), "status": "in_progress", "conclusion": None}])
    client = make_client()
    store = HistoryStore(BranchBackend(client, REPO, "data"))
    sync(store, REPO, client, max_requests=10, since=now - timedelta(days=25), jobs=5)
    fake_github.update_run(99_999, status="completed", conclusion="success", updated_at=now)
    client.set_budget(None)
    sync(HistoryStore(BranchBackend(make_client(), REPO, "data")), REPO, make_client(), max_requests=None)
    client.request("GET", "/rate_limit")

    seen = validate(fake_github.requests)

    assert {("get", "/repos/{owner}/{repo}/actions/runs", 200), ("get", "/repos/{owner}/{repo}/actions/workflows", 200),
            ("get", "/repos/{owner}/{repo}/actions/workflows", 304), ("get", "/repos/{owner}/{repo}", 200),
            ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs", 200),
            ("post", "/repos/{owner}/{repo}/git/refs", 201), ("patch", "/repos/{owner}/{repo}/git/refs/{ref}", 200),
            ("post", "/repos/{owner}/{repo}/git/trees", 201), ("post", "/repos/{owner}/{repo}/git/commits", 201),
            ("get", "/repos/{owner}/{repo}/git/trees/{tree_sha}", 200), ("get", "/repos/{owner}/{repo}/git/blobs/{file_sha}", 200),
            ("get", "/repos/{owner}/{repo}/git/commits/{commit_sha}", 200), ("get", "/rate_limit", 200),
            ("get", "/repos/{owner}/{repo}/git/ref/{ref}", 404), ("get", "/repos/{owner}/{repo}/git/ref/{ref}", 200)} <= seen


def test_error_answers_have_the_documented_shape(fake_github: FakeGitHub, make_client: Any) -> None:
    client = make_client()
    fake_github.seed_runs(make_runs(1, datetime(2025, 1, 1, tzinfo=timezone.utc)))
    run = fake_github.runs()[0]
    client.request("GET", f"/repos/{REPO}/actions/runs/{run['id']}")
    sha = fake_github.ref_sha("main")
    client.request("POST", f"/repos/{REPO}/git/refs", body={"ref": "refs/heads/main", "sha": sha})
    client.request("GET", f"/repos/{REPO}/git/blobs/{'0' * 40}")
    client.request("POST", f"/repos/{REPO}/git/blobs", body={"content": "aGk=", "encoding": "base64"})

    seen = validate(fake_github.requests)

    assert ("post", "/repos/{owner}/{repo}/git/refs", 422) in seen
    assert ("get", "/repos/{owner}/{repo}/git/blobs/{file_sha}", 404) in seen
    assert ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}", 200) in seen


def test_a_malformed_response_is_caught_by_the_validator(fake_github: FakeGitHub, make_client: Any) -> None:
    """Guards the guard: a run missing a required field must fail validation."""
    fake_github.seed_runs(make_runs(1, datetime(2025, 1, 1, tzinfo=timezone.utc)))
    make_client().request("GET", f"/repos/{REPO}/actions/runs", {"per_page": 5})
    exchange = fake_github.requests[-1]
    body = json.loads(exchange.response_body)
    del body["workflow_runs"][0]["head_sha"]
    exchange.response_body = json.dumps(body).encode()
    with pytest.raises(Exception, match="head_sha|required"):
        validate([exchange])


def test_the_vendored_description_is_the_shared_one() -> None:
    shared = Path(__file__).resolve().parents[2] / "shared" / "github-openapi" / "api.github.com.subset.json"
    if not shared.exists():
        pytest.skip("no ../shared beside this clone (e.g. on GitHub's runners)")
    assert SPEC.read_bytes() == shared.read_bytes()
