"""``workflow-orchestrator``: a thin argparse shell over :class:`WorkflowOrchestratorAPI`.

Each command parses its flags, calls one API method and prints the response: the human layout, or
with ``--json`` exactly one JSON object, whatever happens (a usage error, a bug of ours). Global
options (``--json``, ``--data``, ``--repo``, ...) work before or after the command. Exit codes: 0
success, 1 failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from .api import APIResponse, WorkflowOrchestratorAPI, default_data_dir, internal_error
from .errors import OrchestratorError, UsageError, ValidationError
from .schedule.decision import DEFAULT_MIN_CONFIDENCE
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


def _workflows_dir_option(parser: argparse.ArgumentParser) -> None:
    """Workflow files give schedules, and their time zones (hour features follow a schedule's zone)."""
    parser.add_argument("--workflows-dir", default=".github/workflows",
                        help="where workflow files are (default .github/workflows)")


def _pricing_options(parser: argparse.ArgumentParser) -> None:
    """How a run is priced: the rate table, and whether standard runners are free."""
    parser.add_argument("--rates", metavar="FILE",
                        help="your runner rate table (JSON, the shape of orchestrator/cost/rates.json) instead of "
                             "GitHub's list prices")
    parser.add_argument("--public", action="store_true",
                        help="the repository is public: standard GitHub-hosted runners are free")


def _json_object(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc.msg})") from None


def _unit_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{value:g} is not between 0 and 1")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage text and exiting, so a usage error can be
    answered like any other failure (one JSON object with ``--json``, exit code 2)."""

    def error(self, message: str) -> Any:  # argparse's hook; never returns
        raise UsageError(f"{self.prog}: {message}. Run `{self.prog} --help` for its options.")


#: What ``--repo`` means in each command (a store can hold several repositories).
_REPO_HELP = {
    "import": "repository of rows that do not name their own (a JSON array or gh run list output without one)",
    "record": "repository of the run, when the store holds several or does not know the workflow yet",
    "sync": "the repository to fetch runs of (required)",
    "compact": "the repository whose data branch to compact (required, with --data-branch)",
    "recommend": "the repository the workflow files belong to, when the store holds several",
    "apply": "the repository the workflow files belong to (required with --pull-request: it is opened there)",
    "workflows": "list only this repository's workflows",
    "accuracy": "only this repository's predictions, or the repository of --workflow",
    "health": "with --data-branch: the repository that holds the data branch",
}
_REPO_DEFAULT_HELP = "the repository of the workflow, when a name is known in several"


def _global_options(parser: argparse.ArgumentParser, command: str | None) -> None:
    """The options every command takes, accepted before or after the command name.

    On a subcommand they default to ``SUPPRESS``, so a value given before the command is not
    overwritten by the subcommand's default (argparse's known trap).
    """
    default: dict[str, Any] = {"default": argparse.SUPPRESS} if command else {}
    flag: dict[str, Any] = {"default": argparse.SUPPRESS} if command else {"default": False}
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object, whatever happens", **flag)
    parser.add_argument("--data", metavar="DIR", type=Path,
                        help="history store directory (default: $ORCHESTRATOR_DATA or .workflow-orchestrator)", **default)
    parser.add_argument("--repo", metavar="OWNER/NAME", help=_REPO_HELP.get(command or "", _REPO_DEFAULT_HELP), **default)
    parser.add_argument("--data-branch", metavar="BRANCH",
                        help="keep the store on this branch of --repo (Git Data API) instead of --data", **default)
    parser.add_argument("--api-url", metavar="URL",
                        help="GitHub API address (default: $GITHUB_API_URL or https://api.github.com)", **default)
    parser.add_argument("--token-env", metavar="NAME",
                        help="environment variable holding the token (default GITHUB_TOKEN)", **default)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; every command has help text (a test checks it)."""
    parser = _Parser(
        prog="workflow-orchestrator", allow_abbrev=False,
        description="Learn from GitHub Actions run history: durations, success, and when schedules should run.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _global_options(parser, None)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        COMMANDS[name] = (help_text, handler)
        parsed = sub.add_parser(name, help=help_text, description=help_text, allow_abbrev=False)
        _global_options(parsed, name)
        return parsed

    p = command("insights", "Success rate, duration and queue figures, busiest hour, trend and per-event view.",
                lambda api, a: api.get_workflow_insights(a.workflow, repo=a.repo, workflows_dir=a.workflows_dir,
                                                         public=a.public, rates=a.rates))
    p.add_argument("--workflow", required=True, help="workflow name, path or id")
    _workflows_dir_option(p)
    _pricing_options(p)

    p = command("history", "A workflow's runs, newest first, with derived duration, queue time and outcome.",
                lambda api, a: api.get_execution_history(a.workflow, limit=a.limit, repo=a.repo))
    p.add_argument("--workflow", required=True, help="workflow name, path or id")
    p.add_argument("--limit", type=_positive_int, default=20, help="how many runs to show (default 20)")

    command("workflows", "The workflows the store has history for.", lambda api, a: api.list_workflows(repo=a.repo))
    command("health", "Whether the store reads, its schema version, what it holds, and versions; fails when "
                      "--data holds no store.", lambda api, a: api.health_check())

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

    p = command("predict", "Expected duration (p50/p90), success probability, confidence and schedule of a workflow.",
                lambda api, a: api.predict_execution_time(a.workflow, repo=a.repo, workflows_dir=a.workflows_dir,
                                                          public=a.public, rates=a.rates))
    p.add_argument("--workflow", required=True, help="workflow name, path or id")
    _workflows_dir_option(p)
    _pricing_options(p)

    p = command("batch", "`predict` for several workflows at once.",
                lambda api, a: api.predict_batch(a.workflows, repo=a.repo, workflows_dir=a.workflows_dir,
                                                 public=a.public, rates=a.rates))
    p.add_argument("--workflows", nargs="+", required=True, help="workflow names, paths or ids")
    _workflows_dir_option(p)
    _pricing_options(p)

    p = command("predict-runs", "Duration quantiles and success probability for a JSON array of run contexts.",
                lambda api, a: api.predict_runs(_read_json_file(a.input), repo=a.repo, workflows_dir=a.workflows_dir))
    p.add_argument("--input", required=True, help='JSON file: [{"workflow": ..., "at": ISO, "event": ..., "branch": ..., "actor": ...}]')
    _workflows_dir_option(p)

    p = command("backtest", "Time-ordered evaluation of the models against every baseline.",
                lambda api, a: api.backtest(a.workflow, repo=a.repo, workflows_dir=a.workflows_dir))
    p.add_argument("--workflow", help="score only this workflow (models still learn from all)")
    _workflows_dir_option(p)

    p = command("accuracy", "How logged predictions turned out against the runs that followed them.",
                lambda api, a: api.get_accuracy_metrics(a.workflow, repo=a.repo))
    p.add_argument("--workflow", help="only this workflow")

    p = command("recommend", "Recommended cron schedules, conflicts, liveness warnings and timeouts.",
                lambda api, a: api.recommend(a.workflows_dir, repo=a.repo, workflows=a.workflows, weights=a.weights,
                                             min_confidence=a.min_confidence, rates=a.rates, public=a.public))
    _workflows_dir_option(p)
    p.add_argument("--min-confidence", type=_unit_float, default=DEFAULT_MIN_CONFIDENCE,
                   help=f"smallest confidence (0 to 1) for a move to count as a change (default {DEFAULT_MIN_CONFIDENCE})")
    p.add_argument("--workflows", nargs="+", help="only these workflows (names or paths)")
    p.add_argument("--weights", type=_json_object,
                   help='slot-cost weights as JSON, e.g. {"failure": 1.0, "overlap": 0.1} (docs/schedule.md)')
    _pricing_options(p)

    p = command("apply", "Write the recommended crons into the workflow files (only the cron values change), "
                         "or propose them as one pull request.",
                lambda api, a: api.apply(a.workflows_dir, repo=a.repo, workflows=a.workflows,
                                         min_confidence=a.min_confidence, pull_request=a.pull_request, base=a.base,
                                         api_url=a.api_url, token_env=a.token_env))
    _workflows_dir_option(p)
    p.add_argument("--min-confidence", type=_unit_float, default=DEFAULT_MIN_CONFIDENCE,
                   help=f"smallest confidence (0 to 1) for a move to be applied (default {DEFAULT_MIN_CONFIDENCE})")
    p.add_argument("--workflows", nargs="+", help="only these workflows (names or paths)")
    p.add_argument("--pull-request", action="store_true",
                   help="leave the files alone and open (or update) one pull request in --repo instead; the token "
                        "needs contents, pull-requests and workflows write (GITHUB_TOKEN cannot write workflow files)")
    p.add_argument("--base", help="the branch the pull request targets (default: the repository's default branch)")

    p = command("sync", "Fetch new and changed runs from the GitHub API (token from $GITHUB_TOKEN).",
                lambda api, a: api.sync(a.repo, max_requests=a.max_requests, since=a.since, jobs=a.jobs,
                                        api_url=a.api_url, token_env=a.token_env))
    p.add_argument("--max-requests", type=_positive_int, help="request budget for this sync (default 300)")
    p.add_argument("--since", help="backfill no further back than this date (default: all GitHub keeps)")
    p.add_argument("--jobs", type=int, default=0, metavar="N",
                   help="also measure the jobs of up to N runs (one request each, within the budget) for exact cost figures")

    p = command("org", "Organisation-wide commands: `org plan` lists an organisation's repositories, leaves out "
                       "archived and disabled ones and splits the rest into a GitHub Actions job matrix; `org run` syncs "
                       "and recommends a chunk of them into one store repository; `org report DIR...` "
                       "merges per-repository reports into one organisation report (Markdown, CSV, JSON).",
                lambda api, a: _org(a))
    p.add_argument("action", choices=["plan", "run", "report"],
                   help="plan: the repositories and the matrix (JSON with --json); run: sync and recommend "
                        "--repositories into --store-repo, one report JSON each in --out; "
                        "report: merge the per-repository report JSON files under DIR... into one organisation report")
    p.add_argument("dirs", nargs="*", metavar="DIR", help="report: directories searched recursively for *.json reports")
    p.add_argument("--org", metavar="ORG", help="the organisation's login (required by plan)")
    p.add_argument("--out", metavar="PATH", help="run: the directory for the reports (default org-reports); report: "
                                                 "write the Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY); "
                                                 "without it the Markdown is printed unless --json")
    p.add_argument("--repositories", metavar="O/A,O/B", help="run: the chunk's repositories (a matrix entry)")
    p.add_argument("--store-repo", metavar="OWNER/NAME", help="run: the repository that keeps every history, a branch each")
    p.add_argument("--store-token-env", metavar="NAME",
                   help="run: variable holding the token that writes --store-repo (default: the --token-env one)")
    p.add_argument("--max-requests", type=_positive_int, metavar="N", help="run: the job's request budget (default: none)")
    p.add_argument("--sync-only", action="store_true", help="run: only update the histories, no recommendations")
    p.add_argument("--jobs", type=int, default=0, metavar="N",
                   help="run: measure the jobs of up to N runs per repository (one request each) for exact cost figures")
    p.add_argument("--csv", metavar="FILE", help="report: write one CSV row per scheduled workflow here")
    p.add_argument("--chunk", type=_positive_int, default=10, metavar="N",
                   help="repositories per matrix job (default 10; grows when more than 256 jobs would be needed)")
    p.add_argument("--installation", action="store_true",
                   help="list the repositories of the GitHub App installation the token belongs to "
                        "(GET /installation/repositories) instead of GET /orgs/ORG/repos")

    command("compact", "Squash the data branch's history into one fresh commit (needs --repo and --data-branch).",
            lambda api, a: api.compact())

    command("demo", "Run the action's main job on the bundled sample history and print its job summary.", _demo)
    return parser


def _demo(api: WorkflowOrchestratorAPI, args: argparse.Namespace) -> APIResponse:
    """The demo needs no store of the user's: it copies the bundled sample to a temporary one."""
    from .demo import run_demo
    from .report.text import insights_text

    result = run_demo()
    if not args.json:
        for found in result.insights:
            print(insights_text(found))
        print(result.summary)
    changes = result.outputs.get("changes")
    data = {"outputs": result.outputs}
    if args.json:
        data.update(report=result.report, insights=result.insights)
    moves = int(changes or 0)
    return APIResponse(True, f"Main job on the bundled sample finished; {moves} schedule change{'' if moves == 1 else 's'} "
                             "recommended", data)


def _org(args: argparse.Namespace) -> APIResponse:
    """``org ACTION``: organisation-wide commands (``plan``, ``report``); they need no store."""
    from .org.plan import plan_response

    if args.action == "report":
        from .org.render import render_markdown
        from .org.report import report_response

        response = report_response(args.dirs, out=args.out, csv=args.csv)
        if not args.json and args.out is None:
            print(render_markdown(response.data))
        return response
    if args.dirs:
        raise UsageError(f"org {args.action} takes no positional arguments (got {' '.join(args.dirs)[:80]})")
    if args.action == "run":
        from .org.run import run_response

        if not args.repositories or not args.store_repo:
            raise UsageError("org run: the following arguments are required: --repositories, --store-repo")
        return run_response(args.repositories, args.store_repo, out=args.out or "org-reports",
                            max_requests=args.max_requests, api_url=args.api_url, token_env=args.token_env,
                            store_token_env=args.store_token_env, sync_only=args.sync_only, jobs=args.jobs)
    if not args.org:
        raise UsageError("org plan: the following arguments are required: --org")
    return plan_response(args.org, args.chunk, installation=args.installation, api_url=args.api_url,
                         token_env=args.token_env)


def _read_json_file(path: str) -> Any:
    """Read ``--input``; a missing or malformed file is a usage error naming it."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise ValidationError("--input", path, f"a readable JSON file ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError("--input", path, f"valid JSON ({exc})") from None


def _api(args: argparse.Namespace) -> WorkflowOrchestratorAPI:
    """The API over the store the flags name: a data branch of --repo, or a local directory."""
    if args.data_branch:
        if not args.repo:
            raise ValidationError("--repo", None, "OWNER/NAME together with --data-branch")
        return WorkflowOrchestratorAPI.on_branch(args.repo, args.data_branch, api_url=args.api_url,
                                                 token_env=args.token_env)
    return WorkflowOrchestratorAPI(data_dir=args.data or default_data_dir())


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (0 success, 1 failed, 2 usage)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    command = "workflow-orchestrator"
    try:
        args = build_parser().parse_args(argv)
        command, as_json = args.command, args.json
        response = COMMANDS[args.command][1](_api(args), args)
    except OrchestratorError as exc:  # a usage error, or raised before the API could answer
        response = APIResponse(False, str(exc), None, error=type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - a bug of ours still answers, never with a traceback
        response = internal_error(exc, command)
    try:
        print(json.dumps(response.to_dict(), ensure_ascii=False, default=str) if as_json else render(command, response))
    except BrokenPipeError:  # `... | head` closed the pipe: what was wanted has been read
        sys.stderr.close()
    if not response.success and response.error in USAGE_ERRORS:
        return 2
    return 0 if response.success else 1
