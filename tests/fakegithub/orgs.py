"""Organisation-wide endpoints: an organisation's repositories and an installation's repositories.

Seed them with ``FakeGitHub.add_org_repos(org, names, archived=..., disabled=..., private=...)``.
Neither path is in the vendored OpenAPI subset (``openapi/api.github.com.subset.json``); they follow
GitHub's REST documentation, and their items have the subset's component shapes
(``minimal-repository`` and ``repository``). Every request here counts against the fake's one
rate limit, as all requests of one GitHub App installation share one limit on GitHub.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import shapes
from .routes import Answer, invalid, paginate
from .state import Reply, RepoState

if TYPE_CHECKING:
    from .server import FakeGitHub

ORG_REPOS_DOCS = "https://docs.github.com/rest/repos/repos#list-organization-repositories"
INSTALLATION_DOCS = "https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation"
TYPES = ("all", "public", "private", "forks", "sources", "member")
SORTS = ("created", "updated", "pushed", "full_name")


def _listed(fake: "FakeGitHub", repo: RepoState) -> dict[str, Any]:
    return shapes.listed_repository(fake.public_base(), repo.full_name, repo.repo_id, repo.default_branch,
                                    private=repo.private, archived=repo.archived, disabled=repo.disabled)


def _bad(field: str) -> Reply:
    reply = invalid("list-organization-repositories", {"resource": "Repository", "field": field, "code": "invalid"})
    reply.documentation_url = ORG_REPOS_DOCS
    return reply


def list_org_repos(fake: "FakeGitHub", repo: RepoState | None, match: re.Match[str], query: dict[str, str], data: Any) -> Answer:
    """GET /orgs/{org}/repos — ``type`` (all, public, private, forks, sources, member; default all),
    ``sort`` (created, updated, pushed, full_name; default created), ``direction`` (default asc for
    full_name, else desc), ``per_page`` (≤ 100), ``page``; 404 for an organisation nobody seeded.
    Archived and disabled repositories are listed like any other, flagged in their fields."""
    found = fake.orgs.get(match.group("org").lower())
    if found is None:
        raise Reply(404, "Not Found", documentation_url=ORG_REPOS_DOCS)
    kind, sort = query.get("type", "all"), query.get("sort", "created")
    if kind not in TYPES:
        raise _bad("type")
    if sort not in SORTS:
        raise _bad("sort")
    direction = query.get("direction", "asc" if sort == "full_name" else "desc")
    if direction not in ("asc", "desc"):
        raise _bad("direction")
    repos = [fake._repo(name) for name in found[1]]
    if kind == "public":
        repos = [r for r in repos if not r.private]
    elif kind == "private":
        repos = [r for r in repos if r.private]
    elif kind == "forks":
        repos = []  # the fake has no forks; "sources" (non-forks) and "member" are all of them
    # Created, updated and pushed times are alike in the fake: creation order (the id) stands in.
    repos.sort(key=(lambda r: r.full_name.lower()) if sort == "full_name" else (lambda r: r.repo_id),
               reverse=direction == "desc")
    page, links = paginate(fake, repos, len(repos), query, match.group(0))
    return 200, [_listed(fake, r) for r in page], links


def list_installation_repos(fake: "FakeGitHub", repo: RepoState | None, match: re.Match[str], query: dict[str, str],
                            data: Any) -> Answer:
    """GET /installation/repositories — ``{"total_count", "repository_selection", "repositories"}``
    of every seeded organisation repository (one installation on all of them), ``per_page`` (≤ 100)
    and ``page``, in creation order."""
    repos = sorted((fake._repo(name) for _login, names in fake.orgs.values() for name in names), key=lambda r: r.repo_id)
    page, links = paginate(fake, repos, len(repos), query, match.group(0))
    return 200, {"total_count": len(repos), "repository_selection": "all", "repositories": [_listed(fake, r) for r in page]}, links


ORG_ROUTES = [
    ("GET", re.compile(r"^/orgs/(?P<org>[^/]+)/repos$"), list_org_repos),
    ("GET", re.compile(r"^/installation/repositories$"), list_installation_repos),
]
