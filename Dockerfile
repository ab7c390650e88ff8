# The Workflow Orchestrator action image.
#
# GitHub runs Docker actions as root with the workspace mounted at /github/workspace and sets the
# working directory itself, so this image sets no USER and no WORKDIR (both would break that
# contract). Code lives in /app and the entry point is absolute.
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies first, from the hash-pinned lock: this layer is reused until the lock changes.
# The libraries' own test suites (~110 MB of numpy, scipy, pandas, scikit-learn) are never
# imported at run time, so they are deleted in the same layer that installed them.
COPY requirements.lock /app/requirements.lock
RUN pip install --no-deps --require-hashes --only-binary=:all: -r /app/requirements.lock \
    && find /usr/local/lib/python3.11/site-packages -depth -type d -name tests -exec rm -rf {} +

# Only what the action runs: the package and the entry point (no tests, docs or benchmarks).
COPY orchestrator /app/orchestrator
COPY entrypoint.py /app/entrypoint.py

ENTRYPOINT ["python", "/app/entrypoint.py"]
