"""Small builders of realistic run data shared by the tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from orchestrator.model import RunRecord

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def api_run(run_id: int = 1, *, minutes: float = 5, at: datetime = T0, **overrides: Any) -> dict[str, Any]:
    """A workflow-run object shaped like GET /repos/{owner}/{repo}/actions/runs returns it."""
    started = at + timedelta(seconds=20)
    run: dict[str, Any] = {
        "id": run_id,
        "name": "CI",
        "workflow_id": 161335,
        "path": ".github/workflows/ci.yml@refs/heads/main",
        "run_number": run_id,
        "run_attempt": 1,
        "event": "push",
        "head_branch": "main",
        "status": "completed",
        "conclusion": "success",
        "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "run_started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated_at": (started + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "actor": {"login": "octocat"},
        "repository": {"full_name": "octo/repo"},
    }
    run.update(overrides)
    return run


def record(run_id: int = 1, **kwargs: Any) -> RunRecord:
    return RunRecord.from_api(api_run(run_id, **kwargs))


def run_concurrently(worker: Callable[[int], None], count: int) -> list[BaseException]:
    """Run ``worker(0) … worker(count - 1)`` on threads at once; what they raised, in no order."""
    import threading

    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            worker(index)
        except BaseException as exc:  # noqa: BLE001 - returned to the test, which asserts on it
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
