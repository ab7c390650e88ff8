"""Rebuild the bundled sample history (orchestrator/sample/store) from the shared GHAminer data.

The sample is facebook/react's runs from GHAminer (MIT, stilab-ets/GHA-Dashboard), imported with
the project's own importer, so it is exactly what a user would get from `import`:

    python scripts/build_sample.py ../shared/data/ghaminer
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from orchestrator.source.importers import read_files
from orchestrator.store import HistoryStore

SAMPLE_REPOSITORY = "facebook/react"
TARGET = Path(__file__).resolve().parents[1] / "orchestrator" / "sample" / "store"


def main(source: str) -> None:
    parsed = read_files(sorted(Path(source).glob("*.csv")))
    runs = [r for r in parsed.runs if r.repository == SAMPLE_REPOSITORY]
    with tempfile.TemporaryDirectory() as scratch:
        store = HistoryStore.local(Path(scratch) / "store")
        result = store.commit(runs, message="Bundled sample")
        shutil.rmtree(TARGET, ignore_errors=True)
        shutil.copytree(Path(scratch) / "store", TARGET, ignore=shutil.ignore_patterns(".lock"))
    print(f"{result.added} distinct {SAMPLE_REPOSITORY} runs written to {TARGET}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/ghaminer")
