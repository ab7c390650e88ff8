"""The fake follows GitHub's rules where our correctness depends on them.

Filters and the ``created`` syntax, the 1,000-result cap of filtered listings, ``Link`` paging,
ETag/304 (free of charge), primary and secondary rate limits, Git compare-and-swap, faults.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.conftest import FAKE_TOKEN, REPO
from tests.fakegithub import FakeGitHub, make_runs

AUTH = {"Authorization": f"token {FAKE_TOKEN}"}
START = datetime(2025, 3, 1, tzinfo=timezone.utc)


def get(fake: FakeGitHub, path: str, **kwargs: object) -> requests.Response:
    headers = {**AUTH, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    return requests.get(fake.base_url + path, headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]


def runs_path() -> str:
    return f"/repos/{REPO}/actions/runs"


@pytest.mark.parametrize(("created", "expected"), [
    (">=2025-03-02", 24),                                  # a date means the whole day onwards
    ("<=2025-03-01", 24),                                  # ... and up to the day's end
    ("2025-03-01", 24),
    ("2025-03-01T05:00:00Z..2025-03-01T06:00:00Z", 2),     # inclusive at both ends
    ("2025-03-01T23:00:00Z..*", 25),
    ("*..2025-03-01T00:59:59Z", 1),
    (">2025-03-01T00:00:00Z", 47),
    ("<2025-03-01T01:00:00Z", 1),
])
def test_created_filter_follows_githubs_date_syntax(fake_github: FakeGitHub, created: str, expected: int) -> None:
    fake_github.seed_runs(make_runs(48, START, spacing=timedelta(hours=1)))
    body = get(fake_github, runs_path(), params={"created": created, "per_page": 100}).json()
    assert body["total_count"] == expected


def test_a_malformed_created_filter_is_refused(fake_github: FakeGitHub) -> None:
    response = get(fake_github, runs_path(), params={"created": ">=last tuesday"})
    assert response.status_code == 422


def test_status_event_and_branch_filters(fake_github: FakeGitHub) -> None:
    fake_github.seed_runs(make_runs(30, START))
    fake_github.seed_runs([{"id": 500, "created_at": START, "status": "in_progress", "conclusion": None, "head_branch": "dev"}])
    count = lambda **p: get(fake_github, runs_path(), params=p).json()["total_count"]  # noqa: E731
    assert count(status="failure") == 3
    assert count(status="in_progress") == 1
    assert count(event="schedule") == 10
    assert count(branch="dev") == 1


def test_filtered_listings_stop_at_1000_results_but_report_the_true_total(fake_github: FakeGitHub) -> None:
    fake_github.seed_runs(make_runs(1200, START, spacing=timedelta(minutes=1)))
    first = get(fake_github, runs_path(), params={"created": ">=2025-01-01", "per_page": 100})
    beyond = get(fake_github, runs_path(), params={"created": ">=2025-01-01", "per_page": 100, "page": 11})
    unfiltered = get(fake_github, runs_path(), params={"per_page": 100, "page": 11})
    assert first.json()["total_count"] == 1200
    assert 'page=10>; rel="last"' in first.headers["link"]
    assert beyond.json()["workflow_runs"] == []
    assert len(unfiltered.json()["workflow_runs"]) == 100


def test_link_headers_walk_every_page_newest_first_on_this_host_only(fake_github: FakeGitHub) -> None:
    fake_github.seed_runs(make_runs(250, START))
    url, ids = f"{fake_github.base_url}{runs_path()}?per_page=100", []
    while url:
        assert url.startswith("http://127.0.0.1:")
        response = requests.get(url, headers=AUTH, timeout=10)
        ids += [r["id"] for r in response.json()["workflow_runs"]]
        url = response.links.get("next", {}).get("url")
    assert ids == list(range(250, 0, -1))


def test_etag_answers_304_without_spending_the_rate_limit(fake_github: FakeGitHub) -> None:
    fake_github.seed_runs(make_runs(3, START))
    first = get(fake_github, runs_path())
    again = get(fake_github, runs_path(), headers={"If-None-Match": first.headers["etag"]})
    fake_github.seed_runs(make_runs(1, START + timedelta(days=1), first_id=9))
    changed = get(fake_github, runs_path(), headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]
    assert changed.status_code == 200


def test_primary_rate_limit_answers_403_until_the_reset(fake_github: FakeGitHub) -> None:
    fake_github.set_rate_limit(remaining=1, reset_in=3600)
    ok = get(fake_github, f"/repos/{REPO}")
    limited = get(fake_github, f"/repos/{REPO}")
    rate = get(fake_github, "/rate_limit")
    assert ok.status_code == 200 and ok.headers["x-ratelimit-remaining"] == "0"
    assert limited.status_code == 403 and "rate limit" in limited.json()["message"]
    assert int(limited.headers["x-ratelimit-reset"]) > datetime.now(timezone.utc).timestamp() + 3000
    assert rate.status_code == 200 and rate.json()["rate"]["remaining"] == 0
    fake_github.set_rate_limit(remaining=0, reset_in=-1)
    assert get(fake_github, f"/repos/{REPO}").status_code == 200


def test_secondary_rate_limit_carries_retry_after(fake_github: FakeGitHub) -> None:
    fake_github.secondary_rate_limit(1, retry_after=7)
    limited = get(fake_github, f"/repos/{REPO}")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    assert get(fake_github, f"/repos/{REPO}").status_code == 200


def test_requests_without_the_token_are_refused(fake_github: FakeGitHub) -> None:
    assert requests.get(fake_github.base_url + f"/repos/{REPO}", timeout=10).status_code == 401


def _commit_files(fake: FakeGitHub, files: dict[str, str], parents: list[str], base_tree: str | None = None) -> str:
    api = f"{fake.base_url}/repos/{REPO}/git"
    body: dict[str, object] = {"tree": [{"path": p, "mode": "100644", "type": "blob", "content": c} for p, c in files.items()]}
    if base_tree:
        body["base_tree"] = base_tree
    tree = requests.post(f"{api}/trees", json=body, headers=AUTH, timeout=10).json()["sha"]
    return requests.post(f"{api}/commits", json={"message": "m", "tree": tree, "parents": parents}, headers=AUTH, timeout=10).json()["sha"]


def test_git_refs_are_compare_and_swap(fake_github: FakeGitHub) -> None:
    api = f"{fake_github.base_url}/repos/{REPO}/git"
    root = _commit_files(fake_github, {"store.json": "{}"}, [])
    created = requests.post(f"{api}/refs", json={"ref": "refs/heads/data", "sha": root}, headers=AUTH, timeout=10)
    again = requests.post(f"{api}/refs", json={"ref": "refs/heads/data", "sha": root}, headers=AUTH, timeout=10)
    child = _commit_files(fake_github, {"runs/a.json": "[]"}, [root])
    sibling = _commit_files(fake_github, {"runs/b.json": "[]"}, [root])
    forward = requests.patch(f"{api}/refs/heads/data", json={"sha": child, "force": False}, headers=AUTH, timeout=10)
    lost = requests.patch(f"{api}/refs/heads/data", json={"sha": sibling, "force": False}, headers=AUTH, timeout=10)
    assert created.status_code == 201
    assert (again.status_code, again.json()["message"]) == (422, "Reference already exists")
    assert forward.status_code == 200
    assert (lost.status_code, lost.json()["message"]) == (422, "Update is not a fast forward")
    assert fake_github.ref_sha("data") == child


def test_trees_build_on_a_base_tree_with_nested_paths_and_real_git_ids(fake_github: FakeGitHub) -> None:
    api = f"{fake_github.base_url}/repos/{REPO}/git"
    blob = requests.post(f"{api}/blobs", json={"content": base64.b64encode(b"hello\n").decode(), "encoding": "base64"}, headers=AUTH, timeout=10)
    assert blob.json()["sha"] == "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object` of "hello\n"
    first = _commit_files(fake_github, {"store.json": "{}", "runs/2025-01.json": "[1]"}, [])
    tree = requests.get(f"{api}/commits/{first}", headers=AUTH, timeout=10).json()["tree"]["sha"]
    second = _commit_files(fake_github, {"runs/2025-02.json": "[2]"}, [first], base_tree=tree)
    requests.post(f"{api}/refs", json={"ref": "refs/heads/data", "sha": second}, headers=AUTH, timeout=10)
    assert fake_github.branch_files("data") == {"store.json": b"{}", "runs/2025-01.json": b"[1]", "runs/2025-02.json": b"[2]"}
    listing = requests.get(f"{api}/trees/{tree}", params={"recursive": "1"}, headers=AUTH, timeout=10).json()
    assert [(e["path"], e["type"]) for e in listing["tree"]] == [("runs", "tree"), ("runs/2025-01.json", "blob"), ("store.json", "blob")]
    content = requests.get(f"{api}/blobs/{blob.json()['sha']}", headers=AUTH, timeout=10).json()
    assert base64.b64decode(content["content"]) == b"hello\n"


def test_faults_fail_a_seeded_share_of_requests_in_each_way(fake_github: FakeGitHub) -> None:
    fake_github.inject_faults(error_rate=0.2, reset_rate=0.1, seed=3)
    outcomes = []
    for _ in range(100):
        try:
            outcomes.append(get(fake_github, f"/repos/{REPO}").status_code)
        except requests.ConnectionError:
            outcomes.append("reset")
    errors = sum(1 for o in outcomes if isinstance(o, int) and o >= 500)
    resets = outcomes.count("reset")
    assert 8 <= errors <= 35 and 2 <= resets <= 20
    assert outcomes.count(200) == 100 - errors - resets
    assert fake_github.request_count("GET", "/repos/") == 100
    fake_github.clear_faults()
    assert get(fake_github, f"/repos/{REPO}").status_code == 200


def test_reset_after_applies_the_change_but_drops_the_answer(fake_github: FakeGitHub) -> None:
    root = _commit_files(fake_github, {"store.json": "{}"}, [])
    fake_github.inject_faults(reset_after_rate=1.0, methods=["POST"])
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{fake_github.base_url}/repos/{REPO}/git/refs", json={"ref": "refs/heads/data", "sha": root}, headers=AUTH, timeout=10)
    assert fake_github.ref_sha("data") == root
