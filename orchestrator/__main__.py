"""``python -m orchestrator`` behaves exactly like the ``workflow-orchestrator`` command."""

from .cli import main

raise SystemExit(main())
