"""Organisation scale: working across many repositories of one organisation.

:mod:`~orchestrator.org.plan` lists an organisation's repositories and splits them into a GitHub
Actions job matrix (``org plan``); :mod:`~orchestrator.org.run` syncs and recommends one matrix
job's repositories into a central store repository (``org run``); :mod:`~orchestrator.org.report`
merges their reports into one organisation report (``org report``).
"""

from .plan import MAX_JOBS, plan, plan_response

__all__ = ["MAX_JOBS", "plan", "plan_response"]
