"""Workflow Orchestrator: learn from GitHub Actions run history.

The public surface is small on purpose; everything else is an implementation detail.
"""

from .api import APIResponse, WorkflowOrchestratorAPI
from .errors import OrchestratorError
from .model import RunRecord
from .store import HistoryStore
from .version import __version__

__all__ = ["APIResponse", "WorkflowOrchestratorAPI", "HistoryStore", "RunRecord", "OrchestratorError", "__version__"]
