"""The plan run: `kg progress ...` (indicator readings and status, the task ledger). Commands are added here
and in the modules that import `progress_app`."""

from __future__ import annotations

from kg.cli.common import group

progress_app = group("progress", "Run the plan: indicator readings and status, the departments' task ledger.")
