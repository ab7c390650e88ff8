"""A stateful fake GitHub REST API over real HTTP on 127.0.0.1, for tests and benchmarks.

It speaks the parts of the protocol workflow-orchestrator uses, with GitHub's shapes (checked
against the official OpenAPI description in ``tests/test_fakegithub_schema.py``) and GitHub's rules:

* ``GET /repos/{o}/{r}``, ``GET /rate_limit``, ``GET .../actions/workflows`` (with ``state``);
* ``GET .../actions/runs`` newest first, filters ``created`` (``>=``, ``<=``, ``>``, ``<``, ``A..B``,
  ``*``, dates or times), ``status`` (a status or a conclusion), ``event``, ``branch``, ``actor``,
  ``head_sha``; ``per_page`` (≤ 100) and ``page``; a *filtered* listing reports the true
  ``total_count`` but serves only its first 1,000 results; ``Link`` headers (this host only);
* ``GET .../actions/runs/{id}``, ``.../attempts/{n}`` and ``.../attempts/{n}/jobs``;
* ``ETag`` on every 200 GET and ``304`` for a matching ``If-None-Match`` (not counted against the
  limit); ``x-ratelimit-*`` headers; 403 (or 429) once the primary limit is spent, until reset;
  secondary limits with ``retry-after``;
* the Git Data API: refs (create → 422 ``Reference already exists``; update with ``force: false``
  → 422 ``Update is not a fast forward`` unless it is one), commits, trees (``base_tree``, nested
  paths, deletions), blobs (utf-8 / base64), all with real Git SHA-1 ids;
* pulls: list (``state``, ``head`` as ``owner:branch``, ``base``, paginated), create, get, update,
  with GitHub's 422 answers "A pull request already exists for owner:branch." and "No commits
  between BASE and HEAD" (and ``invalid`` head/base fields);
* fault injection: 5xx, connection resets before or after the change is applied, slow answers.

Typical use (``tests/conftest.py`` provides it as the ``fake_github`` fixture)::

    with FakeGitHub(repo="octo/demo", token="t0k") as fake:
        fake.add_workflow(1, "CI", ".github/workflows/ci.yml")
        fake.seed_runs(make_runs(250, start=datetime(2025, 1, 1, tzinfo=timezone.utc)))
        fake.set_rate_limit(remaining=100)            # then 403 with x-ratelimit-reset
        fake.inject_faults(error_rate=0.05, seed=1)     # 5 % of requests answer 5xx
        ...  # point a client at fake.base_url
        fake.request_count("GET", "/actions/runs")     # what the client did
        fake.branch_files("data")                      # {path: bytes} at the branch tip

The whole API of :class:`FakeGitHub`:

* lifecycle: ``start()``/``stop()`` or ``with``; ``base_url``; ``FakeGitHub(repo, default_branch,
  token, prefix="/api/v3" for Enterprise-Server-style paths, record_bodies=False for big loads,
  login)``; ``extra_tokens`` (a set of further accepted tokens, e.g. an apply token);
* seeding: ``add_repo``, ``add_workflow(id, name, path, state)``, ``seed_runs(runs)``,
  ``update_run(id, **fields)``, ``delete_run(id)``; ``make_runs(n, start, spacing, ...)``;
  ``put_files(branch, {path: bytes or None}, message)`` (a commit on the branch's tip: a
  repository's content, or a person pushing); ``add_org_repos(org, names, archived, disabled,
  private)``, ``drop_repo(name)``;
* limits and faults: ``set_rate_limit(remaining, limit, reset_in, status)``,
  ``secondary_rate_limit(count, retry_after, status)``, ``inject_faults(error_rate, reset_rate,
  reset_after_rate, slow_rate, slow_seconds, statuses, methods, seed, after)``, ``clear_faults()``;
* inspection: ``requests`` (every :class:`Exchange`), ``request_count(method, path_contains)``,
  ``clear_requests()``, ``runs()``, ``ref_sha(branch)``, ``branch_files(branch)``,
  ``branch_history(branch)``, ``branch_bytes(branch)``, ``commit(sha)``, ``commit_files(sha)``,
  ``pulls()``.

Seeds are REST workflow-run objects or ``RunRecord.to_dict()``-like dicts; missing fields get
plausible values. Only 127.0.0.1 is ever bound, on an ephemeral port.
"""

from .runs import make_runs
from .server import FakeGitHub
from .state import Exchange

__all__ = ["FakeGitHub", "Exchange", "make_runs"]
