"""The fake's pulls endpoints and file seeding follow GitHub, through the project's real client.

List (``state``, ``head`` as ``owner:branch``, ``base``, ``Link`` paging), create (201, and GitHub's
422 validation errors), get, update; ``put_files`` as a person's push. Every exchange is checked
against the OpenAPI description with :func:`tests.test_fakegithub_schema.validate`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.conftest import REPO
from tests.fakegithub import FakeGitHub
from tests.test_fakegithub_schema import validate

PULLS = f"/repos/{REPO}/pulls"
DOCS = "https://docs.github.com/rest/pulls/pulls"


def failed(*errors: dict[str, Any], operation: str = "create-a-pull-request") -> dict[str, Any]:
    """GitHub's 422 body for ``errors``."""
    return {"message": "Validation Failed", "errors": list(errors), "documentation_url": f"{DOCS}#{operation}", "status": "422"}


def custom(message: str) -> dict[str, Any]:
    return {"resource": "PullRequest", "code": "custom", "message": message}


def test_pulls_list_create_get_and_update_answer_like_github(fake_github: FakeGitHub, make_client: Any) -> None:
    client = make_client()
    assert client.request("GET", PULLS).data == []
    tip = fake_github.put_files("feature", {"ci.yml": b"on: push\n", "README.md": b"# demo\nmore\n"}, message="Edit CI")

    created = client.request("POST", PULLS, body={"title": "Tune CI", "head": "feature", "base": "main", "body": "Why."})
    assert created.status == 201
    pull = created.data
    assert (pull["number"], pull["state"], pull["title"], pull["body"], pull["draft"]) == (1, "open", "Tune CI", "Why.", False)
    assert pull["html_url"] == f"{fake_github.base_url}/{REPO}/pull/1"
    assert pull["url"] == f"{fake_github.base_url}/repos/{REPO}/pulls/1"
    assert (pull["head"]["ref"], pull["head"]["label"], pull["head"]["sha"]) == ("feature", "octo:feature", tip)
    assert (pull["base"]["ref"], pull["base"]["label"], pull["base"]["sha"]) == ("main", "octo:main", fake_github.ref_sha("main"))
    assert pull["head"]["repo"]["full_name"] == REPO and pull["user"]["login"] == "github-actions[bot]"
    assert pull["user"]["type"] == "Bot"
    assert (pull["commits"], pull["changed_files"], pull["additions"], pull["deletions"]) == (1, 2, 2, 0)
    assert (pull["merged"], pull["mergeable"], pull["closed_at"]) == (False, True, None)

    again = client.request("POST", PULLS, body={"title": "Again", "head": "octo:feature", "base": "main"})
    assert (again.status, again.data) == (422, failed(custom("A pull request already exists for octo:feature.")))
    assert again.data["errors"][0]["message"] == "A pull request already exists for octo:feature."

    sha = fake_github.ref_sha("main")
    client.request("POST", f"/repos/{REPO}/git/refs", body={"ref": "refs/heads/same", "sha": sha})
    same = client.request("POST", PULLS, body={"title": "Nothing", "head": "same", "base": "main"})
    assert (same.status, same.data) == (422, failed(custom("No commits between main and same")))
    fake_github.put_files("main", {"NEWS": b"moved on\n"}, message="Main moves on")
    behind = client.request("POST", PULLS, body={"title": "Behind", "head": "octo:same", "base": "main"})
    assert behind.data["errors"] == [custom("No commits between main and octo:same")]

    no_head = client.request("POST", PULLS, body={"title": "x", "head": "nope", "base": "main"})
    assert (no_head.status, no_head.data) == (422, failed({"resource": "PullRequest", "field": "head", "code": "invalid"}))
    fork = client.request("POST", PULLS, body={"title": "x", "head": "someone:feature", "base": "main"})
    assert fork.data["errors"] == [{"resource": "PullRequest", "field": "head", "code": "invalid"}]
    no_base = client.request("POST", PULLS, body={"title": "x", "head": "feature", "base": "nope"})
    assert (no_base.status, no_base.data["errors"]) == (422, [{"resource": "PullRequest", "field": "base", "code": "invalid"}])
    untitled = client.request("POST", PULLS, body={"head": "feature", "base": "main"})
    assert untitled.data["errors"] == [{"resource": "PullRequest", "field": "title", "code": "missing_field"}]

    got = client.request("GET", f"{PULLS}/1")
    assert got.status == 200 and got.data["number"] == 1 and got.data["base"]["sha"] == fake_github.ref_sha("main")
    missing = client.request("GET", f"{PULLS}/99")
    assert (missing.status, missing.data["message"]) == (404, "Not Found")

    patched = client.request("PATCH", f"{PULLS}/1", body={"title": "Tune CI (2)", "body": "Because."})
    assert (patched.status, patched.data["title"], patched.data["body"], patched.data["state"]) == (200, "Tune CI (2)", "Because.", "open")
    closed = client.request("PATCH", f"{PULLS}/1", body={"state": "closed"})
    assert closed.data["state"] == "closed" and closed.data["closed_at"] is not None
    assert [p["title"] for p in fake_github.pulls()] == ["Tune CI (2)"]

    seen = validate(fake_github.requests)

    assert {("get", "/repos/{owner}/{repo}/pulls", 200), ("post", "/repos/{owner}/{repo}/pulls", 201),
            ("post", "/repos/{owner}/{repo}/pulls", 422), ("get", "/repos/{owner}/{repo}/pulls/{pull_number}", 200),
            ("get", "/repos/{owner}/{repo}/pulls/{pull_number}", 404),
            ("patch", "/repos/{owner}/{repo}/pulls/{pull_number}", 200)} <= seen


def test_listing_filters_by_state_head_and_base_and_pages(fake_github: FakeGitHub, make_client: Any) -> None:
    client = make_client()
    for n in range(1, 6):
        fake_github.put_files(f"topic-{n}", {f"f{n}.txt": b"x\n"})
        assert client.request("POST", PULLS, body={"title": f"Topic {n}", "head": f"topic-{n}", "base": "main"}).status == 201
    fake_github.put_files("release", {"r.txt": b"r\n"})
    client.request("POST", PULLS, body={"title": "Topic 1 to release", "head": "topic-1", "base": "release"})
    client.request("PATCH", f"{PULLS}/2", body={"state": "closed"})

    numbers = lambda **params: [p["number"] for p in client.request("GET", PULLS, params=params).data]  # noqa: E731
    assert numbers() == [6, 5, 4, 3, 1]                                   # open, newest first
    assert numbers(state="closed") == [2]
    assert numbers(state="all") == [6, 5, 4, 3, 2, 1]
    assert numbers(head="octo:topic-1") == [6, 1]
    assert numbers(head="octo:topic-1", base="main") == [1]
    assert numbers(head="OCTO:topic-3", state="open") == [3]             # owners compare case-insensitively
    assert numbers(head="octo:topic-2") == []                             # closed
    assert numbers(head="octo:nope") == [] and numbers(head="someone:topic-1") == []
    assert numbers(head="topic-1") == [6, 5, 4, 3, 1]                     # no owner: GitHub ignores the filter
    assert numbers(base="release") == [6]
    assert numbers(state="all", direction="asc") == [1, 2, 3, 4, 5, 6]

    first = client.request("GET", PULLS, params={"state": "all", "per_page": 4})
    assert [p["number"] for p in first.data] == [6, 5, 4, 3]
    assert 'rel="next"' in first.headers["link"] and 'rel="last"' in first.headers["link"]
    second = client.request("GET", first.next_link())
    assert [p["number"] for p in second.data] == [2, 1] and second.next_link() is None
    assert "merged" not in first.data[0] and first.data[0]["head"]["label"] == "octo:topic-1"

    seen = validate(fake_github.requests)

    assert {("get", "/repos/{owner}/{repo}/pulls", 200), ("post", "/repos/{owner}/{repo}/pulls", 201),
            ("patch", "/repos/{owner}/{repo}/pulls/{pull_number}", 200)} <= seen


def test_a_person_pushing_moves_an_open_pull_requests_head(fake_github: FakeGitHub, make_client: Any) -> None:
    client = make_client()
    first = fake_github.put_files("feature", {"a.txt": b"one\n"}, message="Bot change")
    client.request("POST", PULLS, body={"title": "T", "head": "feature", "base": "main"})
    second = fake_github.put_files("feature", {"a.txt": b"one\ntwo\n", "b.txt": b"new\n"}, message="A person's change")
    assert fake_github.commit(second).parents == [first] and fake_github.ref_sha("feature") == second

    pull = client.request("GET", f"{PULLS}/1").data
    assert pull["head"]["sha"] == second
    assert (pull["commits"], pull["changed_files"], pull["additions"], pull["deletions"]) == (2, 2, 3, 0)
    assert fake_github.pulls()[0]["head"]["sha"] == second

    ref = client.request("GET", f"/repos/{REPO}/git/ref/heads/feature").data
    commit = client.request("GET", f"/repos/{REPO}/git/commits/{ref['object']['sha']}").data
    assert commit["message"] == "A person's change" and [p["sha"] for p in commit["parents"]] == [first]
    tree = client.request("GET", f"/repos/{REPO}/git/trees/{commit['tree']['sha']}", params={"recursive": 1}).data
    blobs = {e["path"]: e["sha"] for e in tree["tree"] if e["type"] == "blob"}
    assert sorted(blobs) == ["README.md", "a.txt", "b.txt"]
    content = client.request("GET", f"/repos/{REPO}/git/blobs/{blobs['a.txt']}").data["content"]
    assert base64.b64decode(content) == b"one\ntwo\n"

    client.request("PATCH", f"{PULLS}/1", body={"state": "closed"})
    fake_github.put_files("feature", {"c.txt": b"after\n"})
    assert client.request("GET", f"{PULLS}/1").data["head"]["sha"] == second  # a closed one no longer follows

    seen = validate(fake_github.requests)

    assert {("get", "/repos/{owner}/{repo}/pulls/{pull_number}", 200), ("get", "/repos/{owner}/{repo}/git/ref/{ref}", 200),
            ("get", "/repos/{owner}/{repo}/git/trees/{tree_sha}", 200), ("get", "/repos/{owner}/{repo}/git/blobs/{file_sha}", 200),
            ("get", "/repos/{owner}/{repo}/git/commits/{commit_sha}", 200)} <= seen


def test_reopening_beside_an_open_duplicate_is_refused(fake_github: FakeGitHub, make_client: Any) -> None:
    client = make_client()
    fake_github.put_files("feature", {"a.txt": b"a\n"})
    client.request("POST", PULLS, body={"title": "One", "head": "feature", "base": "main"})
    client.request("PATCH", f"{PULLS}/1", body={"state": "closed"})
    assert client.request("POST", PULLS, body={"title": "Two", "head": "feature", "base": "main"}).status == 201

    reopened = client.request("PATCH", f"{PULLS}/1", body={"state": "open"})
    assert (reopened.status, reopened.data) == (
        422, failed(custom("A pull request already exists for octo:feature."), operation="update-a-pull-request"))
    rebased = client.request("PATCH", f"{PULLS}/2", body={"base": "nope"})
    assert rebased.data["errors"] == [{"resource": "PullRequest", "field": "base", "code": "invalid"}]
    assert [p["state"] for p in fake_github.pulls()] == ["closed", "open"]

    assert ("patch", "/repos/{owner}/{repo}/pulls/{pull_number}", 422) in validate(fake_github.requests)


def test_put_files_seeds_on_the_tip_and_starts_missing_branches_from_the_default(fake_github: FakeGitHub) -> None:
    initial = fake_github.ref_sha("main")
    assert initial is not None and fake_github.branch_files("main") == {"README.md": b"# demo\n"}
    sha = fake_github.put_files("main", {"src/app.py": b"print(1)\n"}, message="Add app")
    assert fake_github.branch_history("main") == [sha, initial]
    assert fake_github.branch_files("main") == {"README.md": b"# demo\n", "src/app.py": b"print(1)\n"}

    topic = fake_github.put_files("topic", {"README.md": None, "src/app.py": b"print(2)\n"})
    assert fake_github.commit(topic).parents == [sha] and fake_github.commit(topic).message == "Update files"
    assert fake_github.branch_files("topic") == {"src/app.py": b"print(2)\n"}
    assert fake_github.ref_sha("main") == sha and fake_github.pulls() == []

    fake_github.add_repo("octo/other")
    other = fake_github.put_files("main", {"x": b"\x00\xff"}, repo="octo/other")
    assert fake_github.commit_files(other, repo="octo/other")["x"] == b"\x00\xff"
    assert fake_github.ref_sha("main") == sha


def test_a_pull_request_missing_a_required_field_fails_validation(fake_github: FakeGitHub, make_client: Any) -> None:
    """Guards the guard: the pulls schemas are really applied to our answers."""
    fake_github.put_files("feature", {"a.txt": b"a\n"})
    make_client().request("POST", PULLS, body={"title": "T", "head": "feature", "base": "main"})
    exchange = fake_github.requests[-1]
    body = json.loads(exchange.response_body)
    del body["head"]["sha"]
    exchange.response_body = json.dumps(body).encode()
    with pytest.raises(Exception, match="sha|required"):
        validate([exchange])
