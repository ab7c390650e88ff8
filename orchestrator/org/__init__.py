"""Organisation scale: working across many repositories of one organisation.

:mod:`orchestrator.org.plan` lists an organisation's repositories and splits them into a GitHub
Actions job matrix (``workflow-orchestrator org plan``).
"""

from .plan import MAX_JOBS, plan, plan_response

__all__ = ["MAX_JOBS", "plan", "plan_response"]
