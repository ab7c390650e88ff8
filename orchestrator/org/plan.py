"""``org plan``: an organisation's repositories, split into a job matrix GitHub Actions accepts.

:func:`plan` lists the repositories (``GET /orgs/{org}/repos``, or with ``installation`` the
GitHub App installation's ``GET /installation/repositories``), following ``Link: rel="next"``
pages, leaves out archived and disabled ones (nothing runs there: they cannot be synced or
changed), sorts the rest and cuts them into chunks of ``chunk`` repositories: one matrix job
each, as ``{"include": [{"chunk": 1, "repositories": "org/a,org/b", "names": "a,b"}, ...]}`` (chunks
count from 1).

GitHub refuses a matrix of more than 256 jobs, so when ``ceil(repositories / chunk)`` exceeds
that the chunk grows to the smallest size that fits, and ``note`` says so. An empty matrix is an
error in a workflow too: with nothing to plan, ``include`` is empty and ``note`` says to skip the
job (e.g. ``if: fromJSON(needs.plan.outputs.matrix).include[0] != null``).

Every request goes through the one :class:`~orchestrator.source.github.GitHubClient`, with its
retries and rate-limit care; ``requests`` in the answer counts them.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import SourceError, ValidationError
from ..source.github import PER_PAGE

if TYPE_CHECKING:
    from ..api import APIResponse
    from ..source.github import GitHubClient, Response

#: GitHub Actions' limit on the jobs one matrix may generate.
MAX_JOBS = 256
DEFAULT_CHUNK = 10
#: An organisation login as it may appear in a path (no ``/``, ``?``, ``#`` or spaces).
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")

__all__ = ["MAX_JOBS", "DEFAULT_CHUNK", "plan", "plan_response"]


def plan(client: "GitHubClient", org: str, chunk: int, installation: bool = False) -> dict[str, Any]:
    """The plan for ``org``: repositories to work on, those left out and why, and the matrix.

    Raises :class:`ValidationError` for a malformed ``org`` or a ``chunk`` below 1, and
    :class:`SourceError` when GitHub does not list the repositories (a 404 names the organisation).
    """
    if not isinstance(org, str) or not _LOGIN.fullmatch(org):
        raise ValidationError("--org", org, "an organisation's login, such as octo-org")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValidationError("--chunk", chunk, "a whole number of repositories per job, at least 1")
    before = client.requests
    path, params = ("/installation/repositories", {"per_page": PER_PAGE}) if installation else \
        (f"/orgs/{org}/repos", {"type": "all", "per_page": PER_PAGE})

    keep: dict[str, str] = {}
    left_out: dict[str, tuple[str, str]] = {}
    foreign: set[str] = set()
    for item in _listed(client, path, params, org, installation):
        name = _full_name(item)
        if name is None:
            continue
        if name.split("/", 1)[0].lower() != org.lower():
            foreign.add(name)  # an installation on another account: not this organisation's
            continue
        key = name.lower()  # a repository listed twice (pages shifted under us) counts once
        reason = "archived" if item.get("archived") else "disabled" if item.get("disabled") else None
        if reason is not None:
            left_out[key] = (name, reason)
            keep.pop(key, None)
        elif key not in left_out:
            keep[key] = name

    repositories = sorted(keep.values(), key=_order)
    size = max(chunk, math.ceil(len(repositories) / MAX_JOBS))
    chunks = [repositories[i:i + size] for i in range(0, len(repositories), size)]
    notes = []
    if size != chunk:
        notes.append(f"{len(repositories)} repositories in chunks of {chunk} would be {math.ceil(len(repositories) / chunk)} "
                     f"jobs, more than the {MAX_JOBS} a GitHub Actions matrix may have: the chunk grew to {size}")
    if not repositories:
        notes.append("no repositories to plan: skip the matrix job, GitHub Actions rejects an empty matrix")
    if foreign:
        notes.append(f"{len(foreign)} repositories of other owners in the installation were not planned")
    return {
        "organization": org,
        "repositories": repositories,
        "left_out": [{"repository": name, "reason": reason}
                     for name, reason in sorted(left_out.values(), key=lambda pair: _order(pair[0]))],
        "chunk": size,
        "jobs": len(chunks),
        # ``names`` (without the owner) is what actions/create-github-app-token's ``repositories``
        # takes, so each job's token can be scoped to its own chunk.
        "matrix": {"include": [{"chunk": i, "repositories": ",".join(names),
                                "names": ",".join(n.split("/", 1)[1] for n in names)}
                               for i, names in enumerate(chunks, 1)]},
        "note": "; ".join(notes) or None,
        "source": "installation" if installation else "organization",
        "requests": client.requests - before,
    }


def plan_response(org: str, chunk: int = DEFAULT_CHUNK, installation: bool = False, api_url: str | None = None,
                  token_env: str | None = None) -> "APIResponse":
    """:func:`plan` with a client built as ``sync`` builds one (``--api-url``, ``--token-env``), as
    an :class:`~orchestrator.api.APIResponse`; the tool's errors propagate (the CLI answers them)."""
    from ..api import APIResponse
    from ..source.github import ClientSettings, GitHubClient

    client = GitHubClient(ClientSettings.resolve(api_url=api_url, token_env=token_env))
    data = plan(client, org, chunk, installation=installation)
    count, jobs = len(data["repositories"]), data["jobs"]
    message = (f"{org}: {count} {'repository' if count == 1 else 'repositories'} in {jobs} "
               f"{'job' if jobs == 1 else 'jobs'} of up to {data['chunk']}; {len(data['left_out'])} left out "
               "(archived or disabled)")
    return APIResponse(True, message, data)


# ----- internals ------------------------------------------------------------------------------
def _order(name: str) -> tuple[str, str]:
    return name.lower(), name


def _full_name(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    name = item.get("full_name")
    if isinstance(name, str) and "/" in name:
        return name
    owner = item.get("owner") if isinstance(item.get("owner"), dict) else {}
    if isinstance(owner.get("login"), str) and isinstance(item.get("name"), str):
        return f"{owner['login']}/{item['name']}"
    return None


def _listed(client: "GitHubClient", path: str, params: dict[str, Any], org: str, installation: bool) -> Iterator[Any]:
    """Every item of every page of the listing at ``path``."""
    target: str = path
    query: dict[str, Any] | None = params
    seen: set[str] = set()
    while True:
        response = client.request("GET", target, query)
        if response.status != 200:
            raise _error(client, response, target, org, installation)
        data = response.data
        items = data.get("repositories") if installation and isinstance(data, dict) else data
        if not isinstance(items, list):
            raise SourceError(f"GitHub answered GET {path} with something other than a list of repositories; "
                              "check --api-url points at a GitHub REST API")
        yield from items
        link = response.next_link()
        if not link or link in seen:
            return
        seen.add(link)
        target, query = link, None


def _error(client: "GitHubClient", response: "Response", path: str, org: str, installation: bool) -> SourceError:
    """The client's explanation, with a hint that fits an organisation listing."""
    if response.status == 404 and not installation:
        message = response.data.get("message", "") if isinstance(response.data, dict) else ""
        return SourceError(f"GitHub answered 404 {message!s:.200} to GET /orgs/{org}/repos: no organisation {org!r} the token "
                           "can see; check --org (an organisation's login, not a user's) and --api-url")
    if response.status in (401, 403) and installation:
        base = str(client.error(response, "GET", path))
        return SourceError(f"{base}. --installation needs a GitHub App installation token "
                           "(actions/create-github-app-token); without --installation any token that can see the organisation works")
    return client.error(response, "GET", path)
