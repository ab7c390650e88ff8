"""Every Python and CLI example of the design document, run as written (issue 10, item 2).

The document (``shared/seed/000_c948f0d93adca974.txt``) is the product's contract: its examples
must run verbatim, apart from the import path (``tools.workflow_orchestrator_api`` → ``orchestrator``)
and the program (``python3 tools/workflow_orchestrator_api.py`` → ``workflow-orchestrator``).
They are copied here so the tests run without the document; when it is beside the checkout, a
test checks that every Python example in it is one of these, letter for letter.

The examples name workflows (``my-workflow``, ``learn-from-tldr``, ``heavy-workflow`` ...) that a
reader's store would have. They run twice: on the bundled sample as shipped, where those names
are unknown and every call must fail cleanly rather than raise, and on the sample plus runs of
those workflows recorded through the document's own ``record_execution``, where they succeed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from orchestrator import WorkflowOrchestratorAPI
from orchestrator.cli import main

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_c948f0d93adca974.txt"
SEED_IMPORT = "from tools.workflow_orchestrator_api import WorkflowOrchestratorAPI"
OUR_IMPORT = "from orchestrator import WorkflowOrchestratorAPI"
SEED_PROGRAM = "python3 tools/workflow_orchestrator_api.py"

# ----- the document's Python examples, in its order ----------------------------------------------
PYTHON_EXAMPLES = [
    '''from orchestrator import WorkflowOrchestratorAPI

# Initialize API
api = WorkflowOrchestratorAPI()

# Get prediction
response = api.predict_execution_time("my-workflow")

if response.success:
    print(f"Recommended schedule: {response.data['recommended_schedule']}")
    print(f"Confidence: {response.data['confidence']*100:.0f}%")
    print(f"Expected duration: {response.data['expected_duration_seconds']}s")

# Get insights
insights = api.get_workflow_insights("my-workflow")
if insights.success:
    print(f"Success rate: {insights.data['success_rate']*100:.0f}%")
    print(f"Average duration: {insights.data['average_duration']}s")
''',
    '''# Get predictions for all workflows
api = WorkflowOrchestratorAPI()
workflows = ['learn-tldr', 'learn-hn', 'idea-generator']
predictions = api.predict_batch(workflows)

# Apply high-confidence recommendations
for workflow, pred in predictions.data['predictions'].items():
    if pred['confidence'] > 0.7:
        print(f"Update {workflow} to {pred['recommended_schedule']}")
''',
    '''# Track how well predictions match reality
accuracy = api.get_accuracy_metrics()
if accuracy.success:
    mae = accuracy.data['mean_absolute_error']
    print(f"Average prediction error: {mae}s")
''',
    '''# Find workflows with low success rates
insights = api.get_workflow_insights("problematic-workflow")
if insights.success and insights.data['success_rate'] < 0.7:
    print(f"Warning: {workflow} has {insights.data['success_rate']*100}% success rate")
''',
    '''# Record each execution to improve predictions
api.record_execution(
    workflow_name="my-workflow",
    start_time=datetime.now(timezone.utc).isoformat(),
    duration_seconds=execution_time,
    success=was_successful,
    resource_usage={
        'cpu_percent': cpu_usage,
        'memory_mb': memory_usage,
        'api_calls': api_calls_made
    }
)
''',
    '''predictions = api.predict_batch(workflows)
for workflow, pred in predictions.data['predictions'].items():
    if pred['confidence'] >= 0.7:
        # High confidence - apply recommendation
        apply_schedule(workflow, pred['recommended_schedule'])
    else:
        # Low confidence - keep current schedule
        print(f"Need more data for {workflow}")
''',
    '''# Weekly accuracy check
for week in range(4):
    accuracy = api.get_accuracy_metrics()
    print(f"Week {week}: {accuracy.data['accuracy_score']*100:.0f}% accurate")
''',
    '''prediction = api.predict_execution_time("heavy-workflow")
if prediction.data['resource_impact'] == 'high':
    # Ensure scheduled during off-peak
    assert int(prediction.data['recommended_schedule'].split()[1]) < 6
''',
]

# ----- the document's CLI examples ------------------------------------------------------------------
CLI_EXAMPLES = [
    "predict --workflow learn-from-tldr",
    "batch --workflows learn-from-tldr learn-from-hackernews idea-generator",
    "insights --workflow learn-from-tldr",
    "history --workflow learn-from-tldr --limit 50",
    "accuracy --workflow learn-from-tldr",
    "health",
    "predict --workflow my-workflow --json",
]

#: The document's GitHub Actions step, with ``${{ github.workflow }}`` and
#: ``${{ job.status == 'success' }}`` as the runner substitutes them, and its bash function.
RECORD_STEP = '''DURATION=$(($(date +%s) - $(date -d "$WORKFLOW_START" +%s)))
workflow-orchestrator record \\
  --workflow "my-workflow" \\
  --start-time "$WORKFLOW_START" \\
  --duration "$DURATION" \\
  --success "true"
'''
BASH_EXAMPLE = '''#!/bin/bash

# Get prediction for a workflow
predict_workflow() {
    local workflow=$1
    workflow-orchestrator predict \\
        --workflow "$workflow" \\
        --json | jq -r '.data.recommended_schedule'
}

# Update workflow schedule based on prediction
SCHEDULE=$(predict_workflow "learn-from-tldr")
echo "Recommended schedule: $SCHEDULE"
'''

#: The examples' workflows as a reader's store would hold them: (name, typical seconds, failure
#: share, UTC hour of their nightly schedule). heavy-workflow runs 50 minutes, so its impact is high.
READER_WORKFLOWS = [
    ("my-workflow", 240, 0.1, 3), ("learn-from-tldr", 245, 0.08, 3), ("learn-from-hackernews", 300, 0.1, 4),
    ("learn-tldr", 200, 0.05, 5), ("learn-hn", 320, 0.1, 6), ("idea-generator", 600, 0.2, 7),
    ("problematic-workflow", 400, 0.5, 8), ("heavy-workflow", 3000, 0.1, 2),
]


def _copy_sample(target: Path) -> Path:
    with resources.as_file(resources.files("orchestrator") / "sample") as src:
        shutil.copytree(src / "store", target)
    return target


@pytest.fixture
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bundled sample, as the default store of a directory with no workflow files."""
    monkeypatch.setenv("ORCHESTRATOR_DATA", str(_copy_sample(tmp_path / "store")))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "store"


@pytest.fixture(scope="module")
def reader_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plus 40 nightly runs of each of the examples' workflows, up to yesterday,
    recorded through the document's ``record_execution`` (built once; tests get a copy)."""
    api = WorkflowOrchestratorAPI(data_dir=_copy_sample(tmp_path_factory.mktemp("reader") / "store"))
    today = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    for index, (name, seconds, failing, hour) in enumerate(READER_WORKFLOWS):
        for day in range(40, 0, -1):
            start = today.replace(hour=hour) - timedelta(days=day, minutes=-(day * 7 + index) % 11)
            response = api.record_execution(name, start.isoformat(), seconds * (1 + 0.1 * ((day * 3) % 5 - 2)),
                                            (day * 7 + index) % 10 >= failing * 10, event="schedule")
            assert response.success, response.message
    return api.store.backend.root


@pytest.fixture
def reader_store(reader_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(reader_template, tmp_path / "store")
    monkeypatch.setenv("ORCHESTRATOR_DATA", str(tmp_path / "store"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "store"


def run_examples() -> dict[str, Any]:
    """Run the Python examples in order in one namespace, as a reader would in one session; the
    names the document leaves to the reader (measurements, ``apply_schedule``) are provided."""
    applied: list[tuple[str, str]] = []
    namespace: dict[str, Any] = {
        "datetime": datetime, "timezone": timezone, "execution_time": 251.0, "was_successful": True,
        "cpu_usage": 40.0, "memory_usage": 512.0, "api_calls_made": 12,
        "apply_schedule": lambda workflow, cron: applied.append((workflow, cron)),
    }
    for example in PYTHON_EXAMPLES:
        exec(compile(example, "<seed example>", "exec"), namespace)  # noqa: S102 - the examples are ours
    namespace["applied"] = applied
    return namespace


def test_python_examples_fail_cleanly_on_the_bare_sample(sample_store, capsys):
    """The bare sample has none of the examples' workflows: every call fails, none raises, and
    the trend example cannot run because no prediction has ever been checked."""
    namespace: dict[str, Any] = {"datetime": datetime, "timezone": timezone, "execution_time": 251.0,
                                 "was_successful": True, "cpu_usage": 40.0, "memory_usage": 512.0,
                                 "api_calls_made": 12, "apply_schedule": lambda *a: None}
    for example in PYTHON_EXAMPLES[:6] + PYTHON_EXAMPLES[7:]:
        exec(compile(example, "<seed example>", "exec"), namespace)  # noqa: S102
    assert not namespace["response"].success and namespace["response"].error == "WorkflowNotFound"
    assert set(namespace["predictions"].data["predictions"]) == {"learn-tldr", "learn-hn", "idea-generator"}
    assert namespace["prediction"].data["resource_impact"] is None
    assert "Need more data for idea-generator" in capsys.readouterr().out


def test_python_examples_run_as_written_on_a_readers_store(reader_store, capsys):
    namespace = run_examples()
    out = capsys.readouterr().out
    assert namespace["response"].success and namespace["insights"].success
    assert re.search(r"Recommended schedule: \d+ \d+ \* \* \*", out)
    assert re.search(r"Average duration: [\d.]+s", out)
    batch = namespace["predictions"].data["predictions"]
    assert list(batch) == ["learn-tldr", "learn-hn", "idea-generator"]
    assert all(p["expected_duration_seconds"] > 0 for p in batch.values())
    assert "Warning: " in out, "problematic-workflow fails half the time"
    scores = re.findall(r"Week \d: (\d+)% accurate", out)
    assert len(scores) == 4 and len(set(scores)) == 1
    heavy = namespace["prediction"].data
    assert heavy["resource_impact"] == "high" and int(heavy["recommended_schedule"].split()[1]) < 6
    assert WorkflowOrchestratorAPI().get_accuracy_metrics().data["checked_predictions"] >= 1


@pytest.mark.parametrize("example", CLI_EXAMPLES)
def test_cli_examples_run_as_written(example, reader_store, capsys):
    capsys.readouterr()
    code = main(example.split())
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Traceback" not in out
    if example.endswith("--json"):
        body = json.loads(out)
        assert body["data"]["workflow_name"] == "my-workflow" and body["data"]["recommended_schedule"]


@pytest.mark.parametrize("example", CLI_EXAMPLES)
def test_cli_examples_fail_cleanly_on_the_bare_sample(example, sample_store, capsys):
    capsys.readouterr()
    code = main(example.split() + ([] if example.endswith("--json") else ["--json"]))
    body = json.loads(capsys.readouterr().out)
    assert code == (0 if example == "health" else 1) and body["success"] == (example == "health")


def test_the_record_step_and_the_bash_example_run_in_a_shell(reader_store, tmp_path):
    program = Path(sys.executable).with_name("workflow-orchestrator")
    if not program.exists():
        pytest.skip("the console script is not installed beside this Python")
    env = {"PATH": f"{program.parent}:/usr/bin:/bin", "ORCHESTRATOR_DATA": str(reader_store),
           "WORKFLOW_START": (datetime.now(timezone.utc) - timedelta(seconds=42)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    step = subprocess.run(["bash", "-c", RECORD_STEP], env=env, capture_output=True, text=True, timeout=120)
    assert step.returncode == 0, step.stdout + step.stderr
    assert "Recorded run" in step.stdout
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (the bash example pipes into it)")
    bash = subprocess.run(["bash", "-c", BASH_EXAMPLE], env=env, capture_output=True, text=True, timeout=120)
    assert bash.returncode == 0 and re.fullmatch(r"Recommended schedule: \d+ \d+ \* \* \*\n", bash.stdout), bash.stdout


def test_these_are_the_documents_examples_letter_for_letter():
    if not SEED.is_file():
        pytest.skip("the design document is not beside this checkout")
    text = SEED.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    usage = [b.replace(SEED_IMPORT, OUR_IMPORT) for b in blocks if "WorkflowOrchestratorAPI" in b or "api." in b]
    assert usage == PYTHON_EXAMPLES
    commands = [line.replace(SEED_PROGRAM + " ", "") for line in re.findall(r"```bash\n(.*?)\n```", text, re.S)
                if line.startswith(SEED_PROGRAM)]
    assert commands == CLI_EXAMPLES
