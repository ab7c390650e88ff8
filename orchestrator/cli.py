"""``workflow-orchestrator``: a thin argparse shell over :class:`WorkflowOrchestratorAPI`.

Each command parses its flags, calls one API method and prints the response: the human layout, or
with ``--json`` exactly one JSON object. Exit codes: 0 success, 1 failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable, Sequence

from .api import APIResponse, WorkflowOrchestratorAPI, default_data_dir
from .errors import UsageError, ValidationError
from .report.text import render
from .version import __version__

Handler = Callable[[WorkflowOrchestratorAPI, argparse.Namespace], APIResponse]
COMMANDS: dict[str, tuple[str, Handler]] = {}
USAGE_ERRORS = (UsageError.__name__, ValidationError.__name__)


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


def _json_object(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc.msg})") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; every command has help text (a test checks it)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print exactly one JSON object")
    common.add_argument("--repo", metavar="OWNER/NAME", help="the repository, where a workflow name is ambiguous")

    parser = argparse.ArgumentParser(
        prog="workflow-orchestrator",
        description="Learn from GitHub Actions run history: durations, success, and when schedules should run.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data", metavar="DIR", type=Path, default=None,
                        help="history store directory (default: $ORCHESTRATOR_DATA or .workflow-orchestrator)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        COMMANDS[name] = (help_text, handler)
        return sub.add_parser(name, help=help_text, description=help_text, parents=[common])

    p = command("insights", "Success rate, duration and queue figures, busiest hour, trend and per-event view.",
                lambda api, a: api.get_workflow_insights(a.workflow, repo=a.repo))
    p.add_argument("--workflow", required=True, help="workflow name, path or id")

    p = command("history", "A workflow's runs, newest first, with derived duration, queue time and outcome.",
                lambda api, a: api.get_execution_history(a.workflow, limit=a.limit, repo=a.repo))
    p.add_argument("--workflow", required=True, help="workflow name, path or id")
    p.add_argument("--limit", type=_positive_int, default=20, help="how many runs to show (default 20)")

    command("workflows", "The workflows the store has history for.", lambda api, a: api.list_workflows(repo=a.repo))
    command("health", "Whether the store reads, its schema version, what it holds, and versions.",
            lambda api, a: api.health_check())

    p = command("import", "Import run history files (REST pages, JSON, JSON Lines, gh run list, GHAminer CSV).",
                lambda api, a: api.import_files(a.files, repo=a.repo))
    p.add_argument("files", nargs="+", help="files to import")

    p = command("record", "Record one execution of a workflow, with optional resource usage.",
                lambda api, a: api.record_execution(
                    a.workflow, a.start_time, a.duration, a.success, run_id=a.run_id,
                    resource_usage=a.resource_usage, repo=a.repo, run_attempt=a.run_attempt,
                    event=a.event, branch=a.branch))
    p.add_argument("--workflow", required=True, help="workflow name, path or id")
    p.add_argument("--start-time", required=True, help="ISO-8601 start time with a zone, e.g. 2025-01-31T09:30:00Z")
    p.add_argument("--duration", required=True, type=float, help="duration in seconds")
    p.add_argument("--success", required=True, type=_bool, help="true or false")
    p.add_argument("--run-id", type=int, help="the GitHub run id, so a later sync merges into this record")
    p.add_argument("--run-attempt", type=int, default=1, help="the run attempt (default 1)")
    p.add_argument("--event", help="the triggering event, e.g. push or schedule")
    p.add_argument("--branch", help="the branch the run was for")
    p.add_argument("--resource-usage", type=_json_object,
                   help='JSON object, e.g. {"cpu_percent": 40, "memory_mb": 512, "api_calls": 12}')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (0 success, 1 failed, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = COMMANDS[args.command][1]
    api = WorkflowOrchestratorAPI(data_dir=args.data or default_data_dir())
    response = handler(api, args)
    if args.json:
        print(json.dumps(response.to_dict(), ensure_ascii=False, default=str))
    else:
        print(render(args.command, response))
    if not response.success and response.error in USAGE_ERRORS:
        return 2
    return 0 if response.success else 1
