"""Import throughput and store compactness (issue 2's benchmark; prints figures, asserts nothing).

    python bench/import_bench.py [GHAMINER_DIR]

1. Imports every GHAminer CSV and JSON file into a fresh store, then again (re-import must add 0).
2. Generates a 100,000-run history (50 workflows, REST run objects as JSON Lines) and imports it.
For each: runs/second, bytes per run on disk (run shards), and the process's peak RSS.
"""

from __future__ import annotations

import json
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from orchestrator import WorkflowOrchestratorAPI


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def shard_bytes(store: Path) -> int:
    return sum(p.stat().st_size for p in (store / "runs").glob("*.json"))


def measure(label: str, files: list[Path], store: Path) -> None:
    api = WorkflowOrchestratorAPI(data_dir=store)
    start = time.perf_counter()
    response = api.import_files(files)
    elapsed = time.perf_counter() - start
    if not response.success:
        raise SystemExit(response.message)
    data = response.data
    total = len(api.store.runs())
    print(f"{label:<28} imported {data['imported']:>7} updated {data['updated']:>5} skipped {data['skipped']:>4}  "
          f"{(data['imported'] + data['unchanged'] + data['updated']) / elapsed:>9,.0f} runs/s  "
          f"{shard_bytes(store) / max(total, 1):6.1f} bytes/run  {total:>7} runs stored  peak RSS {peak_rss_mb():6.0f} MB")


def generate(path: Path, runs: int = 100_000, workflows: int = 50, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    with path.open("w") as handle:
        for i in range(runs):
            wf = rng.randrange(workflows)
            created = start + timedelta(seconds=i * 300 + rng.randrange(300))
            began = created + timedelta(seconds=rng.randrange(5, 120))
            ended = began + timedelta(seconds=int(rng.lognormvariate(5.5 + wf % 5 * 0.3, 0.5)))
            handle.write(json.dumps({
                "id": 9_000_000_000 + i, "name": f"Workflow {wf}", "workflow_id": 1000 + wf,
                "path": f".github/workflows/wf{wf}.yml@refs/heads/main", "run_number": i, "run_attempt": 1,
                "event": rng.choice(["push", "pull_request", "schedule"]), "head_branch": rng.choice(["main", f"feature-{i % 97}"]),
                "status": "completed", "conclusion": "success" if rng.random() < 0.85 else "failure",
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "run_started_at": began.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "updated_at": ended.strftime("%Y-%m-%dT%H:%M:%SZ"), "actor": {"login": f"dev{wf % 13}"},
                "repository": {"full_name": "bench/repo"},
            }) + "\n")


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared/data/ghaminer")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        files = sorted(source.glob("*.csv")) + sorted(source.glob("*.json"))
        measure("GHAminer (all files)", files, root / "ghaminer")
        measure("GHAminer re-import", files, root / "ghaminer")
        generated = root / "generated.jsonl"
        generate(generated)
        measure("generated 100k runs", [generated], root / "generated")


if __name__ == "__main__":
    main()
