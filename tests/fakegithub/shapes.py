"""Builders for the JSON objects GitHub's REST API returns, in their documented shapes.

Only the shapes live here (no state): a repository, a user, a workflow, a workflow run, a job and a
pull request. Every ``*_url`` field points at the fake server itself, so PyGithub, which refuses to
follow URLs to other hosts, can follow whatever it is handed.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

#: Fields of a workflow run a caller may seed; everything else is derived.
RUN_FIELDS = (
    "id", "name", "display_title", "path", "workflow_id", "event", "head_branch", "head_sha", "status",
    "conclusion", "created_at", "updated_at", "run_started_at", "run_attempt", "run_number", "actor",
)


def iso(value: datetime | str | None) -> str | None:
    """GitHub's timestamp form: UTC, seconds, ``Z``."""
    if value is None or isinstance(value, str):
        return value
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, key: object) -> str:
    return f"{kind}_" + hashlib.sha1(f"{kind}:{key}".encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=256)
def user(base: str, login: str) -> dict[str, Any]:
    """A ``simple-user`` (cached and shared: callers never mutate it)."""
    uid = int(hashlib.sha1(login.encode()).hexdigest()[:8], 16)
    u = f"{base}/users/{login}"
    return {
        "login": login, "id": uid, "node_id": node_id("U", login), "avatar_url": f"{base}/avatars/{login}",
        "gravatar_id": "", "url": u, "html_url": u, "followers_url": f"{u}/followers",
        "following_url": f"{u}/following{{/other_user}}", "gists_url": f"{u}/gists{{/gist_id}}",
        "starred_url": f"{u}/starred{{/owner}}{{/repo}}", "subscriptions_url": f"{u}/subscriptions",
        "organizations_url": f"{u}/orgs", "repos_url": f"{u}/repos", "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events", "type": "User", "site_admin": False,
    }


_REPO_URLS = {
    "archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}", "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}", "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}", "commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}", "contributors_url": "/contributors", "deployments_url": "/deployments",
    "downloads_url": "/downloads", "events_url": "/events", "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}", "git_refs_url": "/git/refs{/sha}", "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks", "issue_comment_url": "/issues/comments{/number}", "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}",
    "languages_url": "/languages", "merges_url": "/merges", "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}", "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}", "stargazers_url": "/stargazers", "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers", "subscription_url": "/subscription", "tags_url": "/tags",
    "teams_url": "/teams", "trees_url": "/git/trees{/sha}",
}


def repository(base: str, full_name: str, repo_id: int, default_branch: str, full: bool) -> dict[str, Any]:
    """A ``minimal-repository`` or, with ``full``, a ``full-repository``."""
    owner, name = full_name.split("/", 1)
    url = f"{base}/repos/{full_name}"
    out: dict[str, Any] = {
        "id": repo_id, "node_id": node_id("R", full_name), "name": name, "full_name": full_name,
        "owner": user(base, owner), "private": False, "html_url": f"{base}/{full_name}", "description": None,
        "fork": False, "url": url,
    }
    out.update({key: url + suffix for key, suffix in _REPO_URLS.items()})
    if full:
        stamp = "2020-01-01T00:00:00Z"
        out.update({
            "clone_url": f"{base}/{full_name}.git", "default_branch": default_branch, "forks": 0, "forks_count": 0,
            "git_url": f"git://127.0.0.1/{full_name}.git", "has_issues": True, "has_projects": False,
            "has_wiki": False, "has_pages": False, "has_discussions": False, "homepage": None, "language": "Python",
            "archived": False, "disabled": False, "mirror_url": None, "open_issues": 0, "open_issues_count": 0,
            "license": None, "pushed_at": stamp, "size": 1, "ssh_url": f"git@127.0.0.1:{full_name}.git",
            "stargazers_count": 0, "svn_url": f"{base}/{full_name}", "watchers": 0, "watchers_count": 0,
            "created_at": stamp, "updated_at": stamp, "network_count": 0, "subscribers_count": 0,
            "visibility": "public",
        })
    return out


def listed_repository(base: str, full_name: str, repo_id: int, default_branch: str, private: bool = False,
                      archived: bool = False, disabled: bool = False, organization: bool = True) -> dict[str, Any]:
    """A repository as listings show it (``GET /orgs/{org}/repos``: ``minimal-repository``;
    ``GET /installation/repositories``: ``repository``): every field of both, with the owner an
    ``Organization``, ``visibility`` following ``private`` and the token's ``permissions``."""
    out = repository(base, full_name, repo_id, default_branch, True)
    if organization:
        out["owner"] = {**out["owner"], "type": "Organization"}  # a copy: user() is shared
    out.update({
        "private": private, "archived": archived, "disabled": disabled, "visibility": "private" if private else "public",
        "has_downloads": True, "is_template": False, "topics": [], "allow_forking": not private,
        "web_commit_signoff_required": False, "delete_branch_on_merge": False,
        "permissions": {"admin": False, "maintain": False, "push": False, "triage": False, "pull": True},
    })
    return out


def workflow(base: str, full_name: str, wid: int, name: str, path: str, state: str) -> dict[str, Any]:
    """A ``workflow``; ``state`` is one of GitHub's (``active``, ``disabled_inactivity``, ...)."""
    url = f"{base}/repos/{full_name}/actions/workflows/{wid}"
    return {
        "id": wid, "node_id": node_id("W", wid), "name": name, "path": path, "state": state,
        "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z", "url": url,
        "html_url": f"{base}/{full_name}/blob/main/{path}", "badge_url": f"{base}/{full_name}/workflows/{name}/badge.svg",
    }


def workflow_run(base: str, repo: Mapping[str, Any], seed: Mapping[str, Any]) -> dict[str, Any]:
    """A full ``workflow-run`` from a seed holding (a subset of) :data:`RUN_FIELDS`.

    Seeds may be REST run objects or ``RunRecord.to_dict()``-like dicts (``actor`` as a login
    string, times as ISO strings or datetimes).
    """
    run_id = int(seed["id"])
    full_name = repo["full_name"]
    url = f"{base}/repos/{full_name}/actions/runs/{run_id}"
    wid = int(seed.get("workflow_id") or 1)
    sha = seed.get("head_sha") or hashlib.sha1(str(run_id).encode()).hexdigest()
    actor = seed.get("actor") or "octocat"
    if isinstance(actor, Mapping):
        actor = actor.get("login") or "octocat"
    created = iso(seed["created_at"])
    status = seed.get("status", "completed")
    return {
        "id": run_id, "name": seed.get("name") or "CI", "node_id": node_id("WFR", run_id),
        "head_branch": seed.get("head_branch", "main"), "head_sha": sha,
        "path": seed.get("path") or ".github/workflows/ci.yml",
        "display_title": seed.get("display_title") or seed.get("name") or "CI",
        "run_number": int(seed.get("run_number") or run_id), "run_attempt": int(seed.get("run_attempt") or 1),
        "event": seed.get("event") or "push", "status": status,
        "conclusion": seed.get("conclusion", "success" if status == "completed" else None),
        "workflow_id": wid, "url": url, "html_url": f"{base}/{full_name}/actions/runs/{run_id}",
        "pull_requests": [], "created_at": created, "updated_at": iso(seed.get("updated_at")) or created,
        "run_started_at": iso(seed.get("run_started_at")) or created,
        "actor": user(base, str(actor)), "triggering_actor": user(base, str(actor)),
        "jobs_url": f"{url}/jobs", "logs_url": f"{url}/logs", "check_suite_url": f"{base}/repos/{full_name}/check-suites/{run_id}",
        "artifacts_url": f"{url}/artifacts", "cancel_url": f"{url}/cancel", "rerun_url": f"{url}/rerun",
        "previous_attempt_url": None, "workflow_url": f"{base}/repos/{full_name}/actions/workflows/{wid}",
        "head_commit": {
            "id": sha, "tree_id": hashlib.sha1(sha.encode()).hexdigest(), "message": "change",
            "timestamp": created, "author": {"name": str(actor), "email": f"{actor}@example.com"},
            "committer": {"name": str(actor), "email": f"{actor}@example.com"},
        },
        "repository": repo, "head_repository": repo,
    }


def job(base: str, run: Mapping[str, Any], index: int, spec: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A ``job`` of ``run``: spanning the run's time, on ``ubuntu-latest``, unless ``spec`` (see
    ``FakeGitHub.set_jobs``) gives its labels, length and offset."""
    job_id = int(run["id"]) * 1000 + index
    full_name = run["repository"]["full_name"]
    url = f"{base}/repos/{full_name}/actions/jobs/{job_id}"
    done = run["status"] == "completed"
    started, completed = run["run_started_at"], run["updated_at"] if done else None
    labels = ["ubuntu-latest"]
    if spec is not None:
        labels = list(spec.get("labels", labels))
        begin = datetime.fromisoformat(run["run_started_at"].replace("Z", "+00:00")) + timedelta(seconds=spec.get("offset", 0))
        started = begin.strftime("%Y-%m-%dT%H:%M:%SZ")
        completed = (begin + timedelta(seconds=spec.get("seconds") or 0)).strftime("%Y-%m-%dT%H:%M:%SZ") if done else None
    body = {
        "id": job_id, "run_id": run["id"], "run_url": run["url"], "run_attempt": run["run_attempt"],
        "node_id": node_id("J", job_id), "head_sha": run["head_sha"], "url": url, "html_url": url,
        "status": "completed" if done else "in_progress", "conclusion": run["conclusion"] if done else None,
        "created_at": run["created_at"], "started_at": started,
        "completed_at": completed, "name": f"build-{index}", "steps": [],
        "check_run_url": f"{base}/repos/{full_name}/check-runs/{job_id}", "labels": labels,
        "runner_id": 1, "runner_name": "fake-runner", "runner_group_id": 1, "runner_group_name": "Default",
        "workflow_name": run["name"], "head_branch": run["head_branch"],
    }
    if spec is not None:
        body["name"] = str(spec.get("name", body["name"]))
        if spec.get("conclusion") and done:
            body["conclusion"] = spec["conclusion"]
        if spec.get("seconds") is None:  # never ran: GitHub lists it queued, or skipped (0 s) once the run is done
            body.update(status="completed" if done else "queued", conclusion="skipped" if done else None)
    return body


def actor(base: str, login: str) -> dict[str, Any]:
    """A ``simple-user`` for ``login``; an app's bot (``github-actions[bot]``) is of type ``Bot``."""
    if not login.endswith("[bot]"):
        return user(base, login)
    return {**user(base, login), "type": "Bot", "html_url": f"{base}/apps/{login[:-len('[bot]')]}"}


def pull_request(base: str, repo: Mapping[str, Any], pull: Mapping[str, Any], head_sha: str, base_sha: str,
                 stats: Mapping[str, int] | None) -> dict[str, Any]:
    """A ``pull-request`` or, without ``stats``, a ``pull-request-simple`` (as listings return).

    ``repo`` is the ``repository`` both ends live in (the fake has no forks), ``pull`` a stored pull
    request (see ``RepoState.pulls``) and ``stats`` its ``commits``, ``additions``, ``deletions``
    and ``changed_files``.
    """
    full_name, number = repo["full_name"], int(pull["number"])
    owner = full_name.split("/", 1)[0]
    api = f"{base}/repos/{full_name}"
    url, html, issue = f"{api}/pulls/{number}", f"{base}/{full_name}/pull/{number}", f"{api}/issues/{number}"
    author = actor(base, pull["user"])
    links = {"self": url, "html": html, "issue": issue, "comments": f"{issue}/comments",
             "review_comments": f"{url}/comments", "review_comment": f"{api}/pulls/comments{{/number}}",
             "commits": f"{url}/commits", "statuses": f"{api}/statuses/{head_sha}"}
    out: dict[str, Any] = {
        "url": url, "id": int(pull["id"]), "node_id": node_id("PR", f"{full_name}#{number}"), "html_url": html,
        "diff_url": f"{html}.diff", "patch_url": f"{html}.patch", "issue_url": issue, "number": number,
        "state": pull["state"], "locked": False, "title": pull["title"], "user": author, "body": pull["body"],
        "labels": [], "milestone": None, "active_lock_reason": None, "created_at": pull["created_at"],
        "updated_at": pull["updated_at"], "closed_at": pull["closed_at"], "merged_at": None, "merge_commit_sha": None,
        "assignee": None, "assignees": [], "requested_reviewers": [], "requested_teams": [],
        "commits_url": links["commits"], "review_comments_url": links["review_comments"],
        "review_comment_url": links["review_comment"], "comments_url": links["comments"], "statuses_url": links["statuses"],
        "head": {"label": f"{owner}:{pull['head']}", "ref": pull["head"], "sha": head_sha, "user": repo["owner"], "repo": repo},
        "base": {"label": f"{owner}:{pull['base']}", "ref": pull["base"], "sha": base_sha, "user": repo["owner"], "repo": repo},
        "_links": {name: {"href": href} for name, href in links.items()},
        "author_association": "OWNER" if pull["user"] == owner else "NONE", "auto_merge": None, "draft": bool(pull["draft"]),
    }
    if stats is not None:
        is_open = pull["state"] == "open"
        out.update({
            "merged": False, "mergeable": True if is_open else None, "rebaseable": True if is_open else None,
            "mergeable_state": "clean" if is_open else "unknown", "merged_by": None, "comments": 0, "review_comments": 0,
            "maintainer_can_modify": bool(pull["maintainer_can_modify"]), **{k: int(v) for k, v in stats.items()},
        })
    return out
