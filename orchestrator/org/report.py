"""``org report``: many per-repository reports merged into one organisation report.

Each ``*.json`` file found (recursively) under the given directories is one repository's report,
as ``org run`` writes them::

    {"repository": "o/a", "generated_at": "...", "visibility": "private" | "public" | null,
     "error": null | {"kind": ..., "message": ...}, "sync": {...} | null,
     "recommend": <the data of ``recommend``> | null}

:func:`~orchestrator.org.merge.merge_reports` reads them (a corrupt file is named under ``errors``
and skipped, the others go on) and works out, across the organisation:

* ``repositories``: how many, every one named, the failed ones with their reason;
* ``scheduled_runs``: runs per day by UTC hour before and after the recommendations, overall and
  per runner label group (a job's ``runs-on`` labels, normalised and joined: ``self-hosted,linux``),
  with the share of ticks at minute :00 (the top-of-hour pile-up GitHub's queue suffers from);
* ``attention``: the workflows that fail most, that have liveness warnings (dropped ticks, a
  schedule that stopped, a workflow GitHub reports disabled), and that have jobs without
  ``timeout-minutes``;
* ``cost``: expected USD per 30 days by repository, workflow and runner SKU, and the minutes
  expected to be spent on failed runs; each workflow's figure is measured (its jobs fetched) or
  estimated, and says which (``cost_basis``);
* ``conflicts``: workflows of *different* repositories whose jobs share a self-hosted runner
  group (the same label set) and whose run windows (tick to tick + p90 duration) overlap on the
  reference week after the recommendations;
* ``workflows``: one row per scheduled workflow (the CSV's rows).

The modules, in the order the data flows:

* :mod:`~orchestrator.org.merge`: reading the reports and working out the figures above;
* :mod:`~orchestrator.org.ticks`: crons counted on a fixed reference week, in UTC (GitHub's
  scheduler and runner pools see UTC, whatever ``timezone:`` says);
* :mod:`~orchestrator.org.conflicts`: the shared self-hosted runner conflicts;
* :mod:`~orchestrator.org.values`: report values checked for their type on the way in;
* :mod:`~orchestrator.org.render`: the job summary (Markdown) and the CSV.

:func:`report_response` here is the CLI's ``org report DIR... [--out FILE] [--csv FILE]``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ..errors import NotAvailable, ValidationError
from .merge import find_report_files, merge_reports
from .render import render_markdown, write_csv

if TYPE_CHECKING:
    from ..api import APIResponse

__all__ = ["report_response"]


def report_response(dirs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str] | None = None,
                    csv: str | os.PathLike[str] | None = None) -> "APIResponse":
    """``org report DIR...``: merge, then write the Markdown to ``out`` and the CSV to ``csv``.

    Raises :class:`ValidationError` for a missing directory or an unwritable output, and
    :class:`NotAvailable` when the directories hold no report file at all.
    """
    from ..api import APIResponse

    if not dirs:
        raise ValidationError("DIR", None, "one or more directories holding per-repository report JSON files")
    for given in dirs:
        if not Path(given).is_dir():
            raise ValidationError("DIR", str(given), "an existing directory of per-repository report JSON files")
    if not find_report_files(dirs):
        raise NotAvailable(f"no *.json report files under {', '.join(str(d) for d in dirs)}; "
                           "run `org run` first, or point at the directory it wrote")
    report = merge_reports(dirs)
    written = {}
    for flag, target, write in (("--out", out, lambda p: Path(p).write_text(render_markdown(report), encoding="utf-8")),
                                ("--csv", csv, lambda p: write_csv(report, p))):
        if target is None:
            continue
        try:
            write(target)
        except OSError as exc:
            raise ValidationError(flag, str(target), f"a writable file ({exc.strerror or exc})") from None
        written[flag.strip("-")] = str(target)
    repos = report["repositories"]
    message = (f"{repos['count']} repositories ({repos['failed_count']} failed), {report['workflows_count']} scheduled "
               f"workflows, {report['changes']} should move; ~${report['cost']['usd_per_30_days']:,.2f} per 30 days; "
               f"{report['conflicts']['count']} shared-runner conflicts")
    if report["errors"]:
        message += f"; {len(report['errors'])} file(s) skipped"
    report["written"] = written
    return APIResponse(True, message, report)
