"""Shared fixtures: a running fake GitHub and clients pointed at it.

``fake_github`` is a started :class:`tests.fakegithub.FakeGitHub` for ``octo/demo`` (default branch
``main``, one active workflow ``CI`` with id 1) that requires the token :data:`FAKE_TOKEN`;
``github_env`` is an environment holding that token; ``make_client`` builds a
:class:`GitHubClient` for it with throttling off and instant backoff sleeps, recorded in ``sleeps``
(``make_client(reserve=0, attempts=2, ...)`` overrides the rate-limit reserve or retry policy).
"""

from __future__ import annotations

import os

# scikit-learn's OpenMP pools take one thread per core in every pytest-xdist worker; on the 2-core
# CI machine that oversubscription made model fits 3x slower. Set before anything imports sklearn.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import random
from typing import Any, Callable, Iterator

import pytest

from orchestrator.source.github import ClientSettings, GitHubClient
from orchestrator.source.retry import RetryPolicy
from tests.fakegithub import FakeGitHub

#: A token shaped like a GitHub one, so leak checks can search for it verbatim.
FAKE_TOKEN = "ghs_FAKEtoken0123456789abcdefABCDEF0123"
REPO = "octo/demo"


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub(repo=REPO, token=FAKE_TOKEN) as fake:
        fake.add_workflow(1, "CI", ".github/workflows/ci.yml")
        yield fake


@pytest.fixture
def github_env() -> dict[str, str]:
    return {"GITHUB_TOKEN": FAKE_TOKEN}


@pytest.fixture
def sleeps() -> list[float]:
    """Every backoff wait a client asked for (the fixture's clients never really sleep)."""
    return []


@pytest.fixture
def make_client(fake_github: FakeGitHub, github_env: dict[str, str], sleeps: list[float]) -> Callable[..., GitHubClient]:
    def build(fake: FakeGitHub | None = None, reserve: int = ClientSettings.reserve, **retry: Any) -> GitHubClient:
        policy = RetryPolicy(sleep=sleeps.append, rng=random.Random(7), **retry)
        settings = ClientSettings.resolve(api_url=(fake or fake_github).base_url, environ=github_env, throttle=False, timeout=10,
                                          retry=policy, reserve=reserve)
        return GitHubClient(settings, environ=github_env)

    return build
