"""Importers of run history files, for history that did not come through ``sync``.

Accepted, detected from content: a REST list-runs page (``{"total_count", "workflow_runs"}``), a
JSON array of REST run objects, JSON Lines of either, ``gh run list --json ...`` output, GHAminer
CSV (``builds_features.csv``) and GHAminer's per-repository JSON. Bad rows are skipped and counted
by reason, and each file with skipped rows gets a warning saying how many of its rows and why. A
file that is not any of these formats, or whose every row was skipped for one reason an option
cures (:data:`FIXABLE`), is an error naming the file, raised before anything is written, so the
store never holds half an import.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from ..errors import ImportRejected, OrchestratorError, SourceError, ValidationError
from ..model import OVER_MAX_DURATION, RunRecord

MAX_FILE_BYTES = 1 << 30
_GH_URL_REPO = re.compile(r"https?://[^/]+/([^/]+/[^/]+)/actions/runs/")

#: Skip reasons of rows that lack a repository, each ending in the option that supplies one.
NO_REPOSITORY = "no repository: pass --repo OWNER/NAME"
NO_GH_REPOSITORY = "no repository: add url to the --json fields or pass --repo OWNER/NAME"
#: Reasons an option of ``import`` cures: a file skipped wholly for one of them is refused
#: (:class:`ImportRejected`), because "imported 0, skipped 70" with exit code 0 hides the fix.
FIXABLE = frozenset({NO_REPOSITORY, NO_GH_REPOSITORY})


@dataclass
class ParsedRuns:
    """Runs read from files, and the rows skipped with the reason for each."""

    runs: list[RunRecord] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    formats: dict[str, str] = field(default_factory=dict)
    #: One line per file that had rows skipped: how many of its rows, and why.
    warnings: list[str] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    @property
    def rows(self) -> int:
        """Rows read, kept or skipped."""
        return len(self.runs) + sum(self.skipped.values())

    def skip_summary(self) -> str:
        """``skipped 3 of 70 rows: 3 bad created_at`` (the reasons, most common first)."""
        total = sum(self.skipped.values())
        reasons = "; ".join(f"{count} {reason}" for reason, count in self.skipped.most_common())
        return f"skipped {total} of {self.rows} rows" + (f": {reasons}" if reasons else "")

    def absorb(self, path: Path, one: "ParsedRuns") -> None:
        """Add what one file gave, refusing the file when a flag would have saved every row."""
        reasons = list(one.skipped)
        if not one.runs and len(reasons) == 1 and reasons[0] in FIXABLE:
            raise ImportRejected(f"{path}: all {one.rows} rows were skipped for one reason, {reasons[0]}. "
                                 "Nothing was imported.")
        if one.skipped:
            self.warnings.append(f"{path}: {one.skip_summary()}")
        self.runs.extend(one.runs)
        self.skipped.update(one.skipped)


def read_files(paths: Iterable[str | Path], repository: str | None = None) -> ParsedRuns:
    """Parse every file; ``repository`` names the repo for formats that do not carry it."""
    parsed = ParsedRuns()
    for path in paths:
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise SourceError(f"{path}: {size} bytes is larger than the 1 GiB an import accepts; split it")
            data = path.read_bytes()
        except FileNotFoundError:
            raise SourceError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise SourceError(f"{path}: is a directory; pass the files inside it") from None
        except PermissionError:
            raise SourceError(f"{path}: permission denied") from None
        one = ParsedRuns()
        parsed.formats[str(path)] = _read_one(path, data, repository, one)
        parsed.absorb(path, one)
    return parsed


def _read_one(path: Path, data: bytes, repository: str | None, parsed: ParsedRuns) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    stripped = text.lstrip()
    if not stripped:
        raise SourceError(f"{path}: the file is empty")
    if stripped[0] in "[{":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as whole_error:
            if stripped[0] == "{" and "\n" in stripped.strip():
                return _read_json_lines(path, text, repository, parsed)
            raise SourceError(f"{path}: not valid JSON ({whole_error.msg} at line {whole_error.lineno})") from None
        return _read_document(path, document, repository, parsed)
    if path.suffix.lower() == ".csv" or stripped.split("\n", 1)[0].startswith("repo,"):
        return _read_ghaminer_csv(path, text, parsed)
    raise SourceError(
        f"{path}: not a recognised history file; expected a REST runs page, a JSON array or JSON Lines "
        "of run objects, `gh run list --json` output, or GHAminer CSV"
    )


def _read_document(path: Path, document: Any, repository: str | None, parsed: ParsedRuns) -> str:
    if isinstance(document, dict) and isinstance(document.get("workflow_runs"), list):
        _add_api_runs(document["workflow_runs"], repository, parsed)
        return "rest-page"
    if isinstance(document, dict) and isinstance(document.get("runs"), (dict, list)) and "repo" in document:
        _add_ghaminer_json(document, parsed)
        return "ghaminer-json"
    if isinstance(document, dict):
        _add_api_runs([document], repository, parsed)
        return "rest-run"
    if isinstance(document, list):
        if any(isinstance(item, dict) and "databaseId" in item for item in document[:50]):
            _add_gh_cli_runs(document, repository, parsed)
            return "gh-run-list"
        _add_api_runs(document, repository, parsed)
        return "rest-array"
    raise SourceError(f"{path}: expected a JSON object or array of runs, found {type(document).__name__}")


def _read_json_lines(path: Path, text: str, repository: str | None, parsed: ParsedRuns) -> str:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            parsed.skip("line is not valid JSON")
            continue
        if isinstance(item, dict) and isinstance(item.get("workflow_runs"), list):
            _add_api_runs(item["workflow_runs"], repository, parsed)
        else:
            _add_api_runs([item], repository, parsed)
    return "json-lines"


def _add_api_runs(items: Iterable[Any], repository: str | None, parsed: ParsedRuns) -> None:
    """REST run objects; ``--repo`` (``repository``) stands in for a missing ``repository`` field."""
    for item in items:
        _add(parsed, lambda: RunRecord.from_api(item, repository=repository),
             missing_repository=None if repository else NO_REPOSITORY)


def _add(parsed: ParsedRuns, build: Callable[[], RunRecord], missing_repository: str | None = None) -> None:
    """Build one record; a bad row is counted under its reason instead of stopping the import.

    ``missing_repository`` is the reason to count when the row has no repository and an option
    could supply one. A run longer than GitHub lets a run last is counted, never stored.
    """
    try:
        run = build()
    except OrchestratorError as exc:
        if missing_repository and isinstance(exc, ValidationError) and exc.field == "repository" and not exc.value:
            parsed.skip(missing_repository)
        else:
            parsed.skip(f"bad {str(exc).split(':', 1)[0]}")
        return
    if run.over_max_duration:
        parsed.skip(OVER_MAX_DURATION)
    else:
        parsed.runs.append(run)


def _add_gh_cli_runs(items: Iterable[Any], repository: str | None, parsed: ParsedRuns) -> None:
    """``gh run list --json databaseId,workflowName,...`` uses camelCase and omits the repository."""
    for item in items:
        if not isinstance(item, Mapping):
            parsed.skip("bad run: not an object")
            continue
        repo = repository
        match = _GH_URL_REPO.match(str(item.get("url") or ""))
        if match:
            repo = match.group(1)
        if not repo:
            parsed.skip(NO_GH_REPOSITORY)
            continue
        api_shape = {
            "id": item.get("databaseId"),
            "name": item.get("workflowName") or item.get("name"),
            "workflow_id": item.get("workflowDatabaseId"),
            "run_attempt": item.get("attempt") or 1,
            "run_number": item.get("number"),
            "event": item.get("event"),
            "head_branch": item.get("headBranch"),
            "status": item.get("status"),
            "conclusion": item.get("conclusion") or None,
            "created_at": item.get("createdAt"),
            "run_started_at": item.get("startedAt"),
            "updated_at": item.get("updatedAt"),
        }
        _add(parsed, lambda: RunRecord.from_api(api_shape, repository=repo))


def _add_ghaminer_json(document: Mapping[str, Any], parsed: ParsedRuns) -> None:
    """GHAminer's per-repository JSON: ``{"repo", "runs": {id: run}}`` with flattened fields."""
    runs = document["runs"]
    items = runs.values() if isinstance(runs, dict) else runs
    for item in items:
        if not isinstance(item, Mapping):
            parsed.skip("bad run: not an object")
            continue
        api_shape = dict(item)
        api_shape["name"] = item.get("workflow_name")
        api_shape["head_branch"] = item.get("branch")
        _add(parsed, lambda: RunRecord.from_api(api_shape, repository=document["repo"]))


def _read_ghaminer_csv(path: Path, text: str, parsed: ParsedRuns) -> str:
    """GHAminer CSV: one build per row; ``created_at`` mixes ``YYYY-MM-DD HH:MM:SS`` and ISO, in UTC."""
    reader = csv.DictReader(io.StringIO(text))
    required = {"repo", "id_build", "created_at", "updated_at", "workflow_name"}
    missing = required - set(reader.fieldnames or ())
    if missing:
        raise SourceError(f"{path}: CSV lacks the GHAminer columns {', '.join(sorted(missing))}")
    for row in _rows(reader, parsed):
        api_shape = {
            "id": row.get("id_build"),
            "name": row.get("workflow_name"),
            "workflow_id": row.get("workflow_id") or None,
            "event": row.get("workflow_event_trigger"),
            "head_branch": row.get("branch"),
            "status": row.get("status"),
            "conclusion": row.get("conclusion") or None,
            "created_at": row.get("created_at"),
            "updated_at": row.get("updated_at"),
            "actor": row.get("issuer_name"),
        }
        _add(parsed, lambda: RunRecord.from_api(api_shape, repository=row.get("repo")))
    return "ghaminer-csv"


def _rows(reader: csv.DictReader, parsed: ParsedRuns) -> Iterator[dict[str, str]]:
    """Yield CSV rows, counting (not raising on) malformed lines."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            parsed.skip("malformed CSV line")
            continue
        if None in row:
            parsed.skip("CSV row has extra fields")
            continue
        yield row
