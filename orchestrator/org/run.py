"""``org run``: one matrix job's repositories, each synced and recommended in turn.

The history of every source repository lives in one central store repository, on its own data
branch ``workflow-orchestrator-data/<owner>/<repo>``, so parallel jobs never race on one ref and
the source repositories need only read access. Workflow files are read at the source's default
branch through the Git Data API (no checkout). A repository that fails (404, 403, a rate limit,
a corrupt store) is reported with its reason and the others go on. All repositories of a job
share one request budget and one client, which respects ``x-ratelimit-*`` for the token.
"""

from __future__ import annotations

import json
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import OrchestratorError, ValidationError
from ..model import format_time
from ..schedule.workflows import WORKFLOWS_PREFIX
from ..source.repo_files import files_under, ok

if TYPE_CHECKING:
    from ..api import APIResponse
    from ..source.github import GitHubClient

__all__ = ["BRANCH_PREFIX", "data_branch", "run_repositories", "run_response"]

BRANCH_PREFIX = "workflow-orchestrator-data"
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


def data_branch(repository: str) -> str:
    """The store repository's branch that holds ``repository``'s history."""
    return f"{BRANCH_PREFIX}/{repository}"


def parse_repositories(value: str | Sequence[str]) -> list[str]:
    """``o/a,o/b`` (a matrix entry) or a list; each must be ``OWNER/NAME``; duplicates dropped."""
    items = value.split(",") if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        if not _REPOSITORY.match(item):
            raise ValidationError("repositories", item, "OWNER/NAME entries separated by commas")
        if item not in out:
            out.append(item)
    if not out:
        raise ValidationError("repositories", value, "at least one OWNER/NAME")
    return out


def run_repositories(client: "GitHubClient", repositories: Sequence[str], store_repo: str, out: Path,
                     max_requests: int | None = None, now: datetime | None = None,
                     store_client: "GitHubClient | None" = None, sync_only: bool = False,
                     jobs: int = 0) -> dict[str, Any]:
    """Sync and recommend each repository; one report JSON per repository in ``out``.

    ``client`` reads the source repositories; ``store_client`` (default the same) writes the
    store repository, so each token can be scoped to what it needs. ``sync_only`` updates the
    histories and skips the recommendations (like the action's ``mode: sync``: an hourly sync
    keeps the weekly report's history current). ``jobs`` runs per repository get their jobs
    measured (one request each), so their cost is priced job by job rather than estimated.

    A repository's next sync is the next scheduled ``org run``, and a repository with scheduled
    workflows has new runs by then, so the 304 that priming the next window's ETag would buy is
    never collected: these syncs do not prime (one request per repository saved, each run).
    """
    store_client = store_client or client
    from ..api import WorkflowOrchestratorAPI
    from ..store import HistoryStore
    from ..store.branch import BranchBackend

    out.mkdir(parents=True, exist_ok=True)
    started = client.requests
    results = []
    store_default: str | None = None  # asked once, for every branch this job writes (None: each backend asks)
    for repository in repositories:
        left = None if max_requests is None else max_requests - (client.requests - started)
        report: dict[str, Any] = {"repository": repository, "generated_at": format_time(now or datetime.now(timezone.utc)),
                                  "visibility": None, "error": None, "sync": None, "recommend": None}
        try:
            if left is not None and left <= 0:
                raise _Skipped("the job's request budget is spent; the next run goes on from here")
            if store_default is None:
                store_default = ok(store_client, "GET", f"/repos/{store_repo}").data.get("default_branch") or None
            api = WorkflowOrchestratorAPI(
                store=HistoryStore(BranchBackend(store_client, store_repo, data_branch(repository), store_default)),
                client=client)
            if now is not None:
                api.clock = lambda: now
            meta = ok(client, "GET", f"/repos/{repository}").data
            report["visibility"] = "private" if meta.get("private") else "public"
            synced = api.sync(repository, max_requests=left, jobs=jobs, prime=False)
            report["sync"] = synced.data if synced.success else None
            if not synced.success:
                raise _Failed(synced.error or "SourceError", synced.message)
            if not sync_only:
                report["recommend"] = _recommend(client, api, repository, str(meta["default_branch"]),
                                                 report["visibility"] == "public")
        except _Failed as exc:
            report["error"] = {"kind": exc.kind, "message": str(exc)}
        except OrchestratorError as exc:
            report["error"] = {"kind": type(exc).__name__, "message": str(exc)}
        name = repository.replace("/", "__")
        (out / f"{name}.json").write_text(json.dumps(report, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        results.append({"repository": repository, "report": f"{name}.json", "error": report["error"]})
    failed = [r for r in results if r["error"]]
    return {"store_repository": store_repo, "out": str(out), "repositories": results, "failed": len(failed),
            "requests": client.requests - started}


def _recommend(client: "GitHubClient", api: Any, repository: str, branch: str, public: bool) -> dict[str, Any]:
    """The recommendations for the workflow files at ``branch``, read through the Git Data API."""
    with tempfile.TemporaryDirectory(prefix="workflow-orchestrator-org-") as scratch:
        directory = Path(scratch)
        for path, data in files_under(client, repository, branch, WORKFLOWS_PREFIX, (".yml", ".yaml")).items():
            (directory / Path(path).name).write_bytes(data)
        answer = api.recommend(directory, repo=repository, public=public, log_predictions=False)
    if not answer.success:
        raise _Failed(answer.error or "Error", answer.message)
    return dict(answer.data)


class _Failed(OrchestratorError):
    """A step answered with a failure (the API answers rather than raises); ``kind`` is its error."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class _Skipped(_Failed):
    def __init__(self, message: str) -> None:
        super().__init__("BudgetExhausted", message)


def run_response(repositories: str | Sequence[str], store_repo: str, out: str | Path = "org-reports",
                 max_requests: int | None = None, api_url: str | None = None,
                 token_env: str | None = None, store_token_env: str | None = None,
                 sync_only: bool = False, jobs: int = 0) -> "APIResponse":
    """:func:`run_repositories` with a client built as ``sync`` builds one, as an ``APIResponse``."""
    from ..api import APIResponse
    from ..source.github import ClientSettings, GitHubClient

    names = parse_repositories(repositories)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 0:
        raise ValidationError("--jobs", jobs, "a whole number ≥ 0 (runs per repository whose jobs are measured)")
    if not _REPOSITORY.match(store_repo or ""):
        raise ValidationError("store-repo", store_repo, "OWNER/NAME of the repository that keeps the histories")
    client = GitHubClient(ClientSettings.resolve(api_url=api_url, token_env=token_env))
    store_client = GitHubClient(ClientSettings.resolve(api_url=api_url, token_env=store_token_env)) if store_token_env else None
    data = run_repositories(client, names, store_repo, Path(out), max_requests, store_client=store_client,
                            sync_only=sync_only, jobs=jobs)
    done = len(names) - data["failed"]
    message = (f"{done} of {len(names)} repositories synced{'' if sync_only else ' and recommended'} "
               f"({data['requests']} requests)")
    if data["failed"]:
        message += "; failed: " + ", ".join(f"{r['repository']} ({r['error']['kind']})" for r in data["repositories"]
                                            if r["error"])[:400]
    return APIResponse(True, message, data)
