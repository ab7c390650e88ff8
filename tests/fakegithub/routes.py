"""The endpoints: one function per REST operation, each named by its method and path.

Each takes the fake (for its public URL), the repository, the path match, the query and the
parsed JSON body, and returns ``(status, body, extra headers)`` or raises :class:`Reply`.
"""

from __future__ import annotations

import base64
import bisect
import difflib
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterator
from urllib.parse import urlencode

from . import shapes
from .query import FILTERS, created_bounds, run_filter
from .state import Reply, RepoState

if TYPE_CHECKING:
    from .server import FakeGitHub

LISTING_CAP = 1000
#: ``(status, JSON body, extra headers)``
Answer = tuple[int, Any, dict[str, str]]


def get_repo(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """GET /repos/{owner}/{repo} (an organisation's repository says what its listing says: private, archived...)"""
    body = shapes.repository(fake.public_base(), repo.full_name, repo.repo_id, repo.default_branch, True)
    body.update(private=repo.private, archived=repo.archived, disabled=repo.disabled,
                visibility="private" if repo.private else "public")
    return 200, body, {}

def list_workflows(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """GET /repos/{owner}/{repo}/actions/workflows"""
    base = fake.public_base()
    items = [shapes.workflow(base, repo.full_name, w["id"], w["name"], w["path"], w["state"]) for _i, w in sorted(repo.workflows.items())]
    page, links = paginate(fake, items, len(items), query, match.group(0))
    return 200, {"total_count": len(items), "workflows": page}, links

def list_runs(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """GET /repos/{owner}/{repo}/actions/runs — newest first; filtered listings stop at 1,000."""
    ordered = repo.ordered()
    if "created" in query:
        lo, hi = created_bounds(query["created"])
        start = 0 if hi is None else bisect.bisect_left(ordered, (-hi.timestamp(), -(2**63)))
        end = len(ordered) if lo is None else bisect.bisect_right(ordered, (-lo.timestamp(), 2**63))
        ordered = ordered[start:end]
    keep = run_filter(query)
    items = [repo.latest[-i] for _t, i in ordered]
    if keep is not None:
        items = [run for run in items if keep(run)]
    filtered = any(name in query for name in FILTERS)
    reachable = items[:LISTING_CAP] if filtered else items
    page, links = paginate(fake, reachable, len(reachable), query, match.group(0))
    return 200, {"total_count": len(items), "workflow_runs": page}, links

def get_run(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """GET /repos/{owner}/{repo}/actions/runs/{run_id}[/attempts/{n}]"""
    run_id, attempt = int(match.group("id")), match.group("attempt")
    run = repo.attempts.get((run_id, int(attempt))) if attempt else repo.latest.get(run_id)
    if run is None:
        raise Reply(404, "Not Found")
    return 200, run, {}

def list_jobs(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs"""
    run = repo.attempts.get((int(match.group("id")), int(match.group("attempt"))))
    if run is None:
        raise Reply(404, "Not Found")
    seeded = repo.jobs.get((run["id"], run["run_attempt"]))
    jobs = ([shapes.job(fake.public_base(), run, i + 1, spec) for i, spec in enumerate(seeded)] if seeded is not None
            else [shapes.job(fake.public_base(), run, 1)])
    page, links = paginate(fake, jobs, len(jobs), query, match.group(0))
    return 200, {"total_count": len(jobs), "jobs": page}, links

def paginate(fake: "FakeGitHub", items: list[Any], count: int, query: dict[str, str], path: str) -> tuple[list[Any], dict[str, str]]:
    try:
        per_page = min(100, max(1, int(query.get("per_page", 30))))
        page = max(1, int(query.get("page", 1)))
    except ValueError:
        raise Reply(422, "Invalid pagination parameters") from None
    last = max(1, -(-count // per_page))
    links = []
    for rel, number in (("prev", page - 1), ("next", page + 1), ("last", last), ("first", 1)):
        if (rel == "prev" and page > 1) or (rel == "next" and page < last) or (rel in ("last", "first") and last > 1 and page != number):
            params = {**query, "per_page": str(per_page), "page": str(number)}
            links.append(f'<{fake.public_base()}{path}?{urlencode(params)}>; rel="{rel}"')
    return items[(page - 1) * per_page: page * per_page], ({"link": ", ".join(links)} if links else {})

# ----- git data ---------------------------------------------------------------------------
def ref_json(fake: "FakeGitHub", repo: RepoState, ref: str) -> dict[str, Any]:
    base = f"{fake.public_base()}/repos/{repo.full_name}/git"
    sha = repo.git.refs[ref]
    return {"ref": ref, "node_id": shapes.node_id("REF", ref), "url": f"{base}/{ref}",
            "object": {"type": "commit", "sha": sha, "url": f"{base}/commits/{sha}"}}

def get_ref(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """GET /repos/{owner}/{repo}/git/ref/{ref}"""
    ref = "refs/" + match.group("ref")
    if ref not in repo.git.refs:
        raise Reply(404, "Not Found")
    return 200, ref_json(fake, repo, ref), {}

def create_ref(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """POST /repos/{owner}/{repo}/git/refs"""
    repo.git.create_ref(str(data["ref"]), str(data["sha"]))
    return 201, ref_json(fake, repo, data["ref"]), {}

def update_ref(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """PATCH /repos/{owner}/{repo}/git/refs/{ref} — ``force: false`` must be a fast forward."""
    ref = "refs/" + match.group("ref")
    repo.git.update_ref(ref, str(data["sha"]), bool(data.get("force", False)))
    return 200, ref_json(fake, repo, ref), {}

def delete_ref(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """DELETE /repos/{owner}/{repo}/git/refs/{ref}"""
    ref = "refs/" + match.group("ref")
    if repo.git.refs.pop(ref, None) is None:
        raise Reply(422, "Reference does not exist")
    return 204, None, {}

def commit_json(fake: "FakeGitHub", repo: RepoState, sha: str) -> dict[str, Any]:
    commit = repo.git.commits[sha]
    base = f"{fake.public_base()}/repos/{repo.full_name}/git"
    person = {"name": "fake", "email": "fake@example.com", "date": commit.date}
    return {
        "sha": sha, "node_id": shapes.node_id("C", sha), "url": f"{base}/commits/{sha}",
        "html_url": f"{fake.public_base()}/{repo.full_name}/commit/{sha}", "author": person, "committer": dict(person),
        "tree": {"sha": commit.tree, "url": f"{base}/trees/{commit.tree}"}, "message": commit.message,
        "parents": [{"sha": p, "url": f"{base}/commits/{p}", "html_url": f"{fake.public_base()}/{repo.full_name}/commit/{p}"} for p in commit.parents],
        "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None, "verified_at": None},
    }

def get_commit(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """GET /repos/{owner}/{repo}/git/commits/{commit_sha}"""
    if match.group("sha") not in repo.git.commits:
        raise Reply(404, "Not Found")
    return 200, commit_json(fake, repo, match.group("sha")), {}

def create_commit(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """POST /repos/{owner}/{repo}/git/commits"""
    sha = repo.git.put_commit(str(data["tree"]), [str(p) for p in data.get("parents", [])], str(data["message"]), now_iso())
    return 201, commit_json(fake, repo, sha), {}

def get_tree(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """GET /repos/{owner}/{repo}/git/trees/{tree_sha}[?recursive=1]"""
    sha = match.group("sha")
    if sha not in repo.git.trees:
        raise Reply(404, "Not Found")
    return 200, tree_json(fake, repo, sha, recursive=bool(query.get("recursive"))), {}

def tree_json(fake: "FakeGitHub", repo: RepoState, sha: str, recursive: bool) -> dict[str, Any]:
    git, base = repo.git, f"{fake.public_base()}/repos/{repo.full_name}/git"
    rows = git.walk(sha) if recursive else [(n, m, k, s) for n, (m, k, s) in sorted(git.trees[sha].items())]
    entries = []
    for path, mode, kind, entry_sha in rows:
        entry: dict[str, Any] = {"path": path, "mode": mode, "type": kind, "sha": entry_sha, "url": f"{base}/{kind}s/{entry_sha}"}
        if kind == "blob":
            entry["size"] = len(git.blobs[entry_sha])
        entries.append(entry)
    return {"sha": sha, "url": f"{base}/trees/{sha}", "tree": entries, "truncated": False}

def create_tree(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """POST /repos/{owner}/{repo}/git/trees (``base_tree`` + path entries)"""
    sha = repo.git.build_tree(data.get("base_tree"), data["tree"])
    return 201, tree_json(fake, repo, sha, recursive=False), {}

def get_blob(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """GET /repos/{owner}/{repo}/git/blobs/{file_sha} — base64, wrapped at 60 characters like GitHub."""
    sha = match.group("sha")
    if sha not in repo.git.blobs:
        raise Reply(404, "Not Found")
    raw = repo.git.blobs[sha]
    encoded = base64.b64encode(raw).decode()
    wrapped = "\n".join(encoded[i:i + 60] for i in range(0, len(encoded), 60)) + "\n"
    return 200, {"sha": sha, "node_id": shapes.node_id("B", sha), "size": len(raw), "content": wrapped, "encoding": "base64",
                 "url": f"{fake.public_base()}/repos/{repo.full_name}/git/blobs/{sha}"}, {}

def create_blob(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """POST /repos/{owner}/{repo}/git/blobs (``encoding`` utf-8 or base64)"""
    content = str(data["content"])
    encoding = data.get("encoding", "utf-8")
    if encoding == "base64":
        raw = base64.b64decode(content, validate=False)
    elif encoding == "utf-8":
        raw = content.encode()
    else:
        raise Reply(422, f"encoding {encoding!r} is not supported")
    sha = repo.git.put_blob(raw)
    return 201, {"sha": sha, "url": f"{fake.public_base()}/repos/{repo.full_name}/git/blobs/{sha}"}, {}


# ----- pulls ------------------------------------------------------------------------------
PULLS_DOCS = "https://docs.github.com/rest/pulls/pulls"


def invalid(operation: str, *errors: dict[str, Any]) -> Reply:
    """GitHub's 422 ``validation-error``: ``Validation Failed`` with one entry per problem."""
    return Reply(422, "Validation Failed", errors=list(errors), documentation_url=f"{PULLS_DOCS}#{operation}")

def _ancestors(repo: RepoState, sha: str) -> set[str]:
    seen, stack = set(), [sha]
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(repo.git.commits[current].parents)
    return seen

def pull_stats(repo: RepoState, head_sha: str, base_sha: str) -> dict[str, int]:
    """``commits`` on head and not on base; files and lines changed since their merge base."""
    on_base = _ancestors(repo, base_sha)
    ahead = _ancestors(repo, head_sha) - on_base
    merge_base = next((sha for sha in _breadth_first(repo, head_sha) if sha in on_base), None)
    before = repo.git.files(merge_base) if merge_base else {}
    after = repo.git.files(head_sha)
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    additions = deletions = 0
    for path in changed:
        old = before.get(path, b"").decode(errors="replace").splitlines()
        new = after.get(path, b"").decode(errors="replace").splitlines()
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            deletions += (i2 - i1) if tag in ("replace", "delete") else 0
            additions += (j2 - j1) if tag in ("replace", "insert") else 0
    return {"commits": len(ahead), "additions": additions, "deletions": deletions, "changed_files": len(changed)}

def _breadth_first(repo: RepoState, sha: str) -> Iterator[str]:
    seen, queue = {sha}, [sha]
    while queue:
        current = queue.pop(0)
        yield current
        for parent in repo.git.commits[current].parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)

def _follow_tips(repo: RepoState, pull: dict[str, Any]) -> None:
    """An open pull request follows its branches' tips (a deleted branch keeps its last one)."""
    if pull["state"] == "open":
        for end in ("head", "base"):
            pull[f"{end}_sha"] = repo.git.refs.get(f"refs/heads/{pull[end]}", pull[f"{end}_sha"])

def pull_json(fake: "FakeGitHub", repo: RepoState, pull: dict[str, Any], simple: bool = False) -> dict[str, Any]:
    """The REST object of a stored pull request, ``pull-request-simple`` with ``simple``."""
    _follow_tips(repo, pull)
    base = fake.public_base()
    where = {**shapes.repository(base, repo.full_name, repo.repo_id, repo.default_branch, True), "has_downloads": True}
    stats = None if simple else pull_stats(repo, pull["head_sha"], pull["base_sha"])
    return shapes.pull_request(base, where, pull, pull["head_sha"], pull["base_sha"], stats)

def _already_open(repo: RepoState, head: str, base: str, number: int | None = None) -> Reply | None:
    for other in repo.pulls.values():
        if other["state"] == "open" and other["head"] == head and other["base"] == base and other["number"] != number:
            owner = repo.full_name.split("/", 1)[0]
            return invalid("update-a-pull-request" if number else "create-a-pull-request",
                           {"resource": "PullRequest", "code": "custom", "message": f"A pull request already exists for {owner}:{head}."})
    return None

def list_pulls(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """GET /repos/{owner}/{repo}/pulls — ``state``, ``head`` (``owner:branch``; a bare branch is
    ignored, as GitHub ignores it), ``base``, ``sort``, ``direction``; newest first."""
    state = query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise invalid("list-pull-requests", {"resource": "PullRequest", "field": "state", "code": "invalid"})
    pulls = [p for p in repo.pulls.values() if state in ("all", p["state"])]
    head = query.get("head", "")
    if ":" in head:
        owner, branch = head.split(":", 1)
        same = owner.lower() == repo.full_name.split("/", 1)[0].lower()
        pulls = [p for p in pulls if same and p["head"] == branch]
    if query.get("base"):
        pulls = [p for p in pulls if p["base"] == query["base"]]
    sort = query.get("sort", "created")
    key = "updated_at" if sort == "updated" else "created_at"
    descending = query.get("direction", "desc" if sort == "created" else "asc") == "desc"
    pulls.sort(key=lambda p: (p[key], p["number"]), reverse=descending)
    page, links = paginate(fake, pulls, len(pulls), query, match.group(0))
    return 200, [pull_json(fake, repo, p, simple=True) for p in page], links

def create_pull(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """POST /repos/{owner}/{repo}/pulls — ``head`` is ``branch`` or ``owner:branch`` (no forks here)."""
    data = data or {}
    missing = [name for name in ("title", "head", "base") if not data.get(name)]
    if missing:
        raise invalid("create-a-pull-request", *({"resource": "PullRequest", "field": f, "code": "missing_field"} for f in missing))
    given, base = str(data["head"]), str(data["base"])
    owner, _sep, head = given.rpartition(":")
    bad = []
    if (owner and owner.lower() != repo.full_name.split("/", 1)[0].lower()) or f"refs/heads/{head}" not in repo.git.refs:
        bad.append({"resource": "PullRequest", "field": "head", "code": "invalid"})
    if f"refs/heads/{base}" not in repo.git.refs:
        bad.append({"resource": "PullRequest", "field": "base", "code": "invalid"})
    if bad:
        raise invalid("create-a-pull-request", *bad)
    exists = _already_open(repo, head, base)
    if exists:
        raise exists
    head_sha, base_sha = repo.git.refs[f"refs/heads/{head}"], repo.git.refs[f"refs/heads/{base}"]
    if repo.git.is_ancestor(head_sha, base_sha):
        raise invalid("create-a-pull-request", {"resource": "PullRequest", "code": "custom", "message": f"No commits between {base} and {given}"})
    number, stamp = repo.next_number, now_iso()
    repo.next_number += 1
    repo.pulls[number] = {
        "number": number, "id": repo.repo_id * 100_000 + number, "title": str(data["title"]), "body": data.get("body"),
        "head": head, "base": base, "head_sha": head_sha, "base_sha": base_sha, "state": "open",
        "draft": bool(data.get("draft", False)), "maintainer_can_modify": bool(data.get("maintainer_can_modify", False)),
        "user": fake.login, "created_at": stamp, "updated_at": stamp, "closed_at": None,
    }
    return 201, pull_json(fake, repo, repo.pulls[number]), {}

def get_pull(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """GET /repos/{owner}/{repo}/pulls/{pull_number}"""
    pull = repo.pulls.get(int(match.group("number")))
    if pull is None:
        raise Reply(404, "Not Found", documentation_url=f"{PULLS_DOCS}#get-a-pull-request")
    return 200, pull_json(fake, repo, pull), {}

def update_pull(fake: "FakeGitHub", repo: RepoState, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """PATCH /repos/{owner}/{repo}/pulls/{pull_number} — ``title``, ``body``, ``state``, ``base``."""
    pull = repo.pulls.get(int(match.group("number")))
    if pull is None:
        raise Reply(404, "Not Found", documentation_url=f"{PULLS_DOCS}#update-a-pull-request")
    data = data or {}
    state, base = data.get("state", pull["state"]), data.get("base", pull["base"])
    if state not in ("open", "closed"):
        raise invalid("update-a-pull-request", {"resource": "PullRequest", "field": "state", "code": "invalid"})
    if f"refs/heads/{base}" not in repo.git.refs:
        raise invalid("update-a-pull-request", {"resource": "PullRequest", "field": "base", "code": "invalid"})
    if state == "open" and (pull["state"] == "closed" or base != pull["base"]):
        exists = _already_open(repo, pull["head"], base, pull["number"])
        if exists:
            raise exists
    _follow_tips(repo, pull)  # a closed pull request keeps the tips it last saw
    for name in ("title", "body", "maintainer_can_modify"):
        if name in data:
            pull[name] = data[name]
    if state != pull["state"]:
        pull["closed_at"] = now_iso() if state == "closed" else None
    pull.update({"state": state, "base": base, "updated_at": now_iso()})
    return 200, pull_json(fake, repo, pull), {}


_REPO = r"^/repos/(?P<repo>[^/]+/[^/]+)"
_Route = Callable[["FakeGitHub", RepoState, "re.Match[str]", dict[str, str], Any], Answer]
ROUTES: list[tuple[str, re.Pattern[str], _Route]] = [
    ("GET", re.compile(_REPO + r"$"), get_repo),
    ("GET", re.compile(_REPO + r"/actions/workflows$"), list_workflows),
    ("GET", re.compile(_REPO + r"/actions/runs$"), list_runs),
    ("GET", re.compile(_REPO + r"/actions/runs/(?P<id>\d+)(?:/attempts/(?P<attempt>\d+))?$"), get_run),
    ("GET", re.compile(_REPO + r"/actions/runs/(?P<id>\d+)/attempts/(?P<attempt>\d+)/jobs$"), list_jobs),
    ("GET", re.compile(_REPO + r"/git/ref/(?P<ref>.+)$"), get_ref),
    ("POST", re.compile(_REPO + r"/git/refs$"), create_ref),
    ("PATCH", re.compile(_REPO + r"/git/refs/(?P<ref>.+)$"), update_ref),
    ("DELETE", re.compile(_REPO + r"/git/refs/(?P<ref>.+)$"), delete_ref),
    ("GET", re.compile(_REPO + r"/git/commits/(?P<sha>[0-9a-f]{40})$"), get_commit),
    ("POST", re.compile(_REPO + r"/git/commits$"), create_commit),
    ("GET", re.compile(_REPO + r"/git/trees/(?P<sha>[0-9a-f]{40})$"), get_tree),
    ("POST", re.compile(_REPO + r"/git/trees$"), create_tree),
    ("GET", re.compile(_REPO + r"/git/blobs/(?P<sha>[0-9a-f]{40})$"), get_blob),
    ("POST", re.compile(_REPO + r"/git/blobs$"), create_blob),
    ("GET", re.compile(_REPO + r"/pulls$"), list_pulls),
    ("POST", re.compile(_REPO + r"/pulls$"), create_pull),
    ("GET", re.compile(_REPO + r"/pulls/(?P<number>\d+)$"), get_pull),
    ("PATCH", re.compile(_REPO + r"/pulls/(?P<number>\d+)$"), update_pull),
]


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# Organisation-wide routes (no repository in the path) live in orgs.py, which imports from here.
from .orgs import ORG_ROUTES  # noqa: E402

ROUTES.extend(ORG_ROUTES)
