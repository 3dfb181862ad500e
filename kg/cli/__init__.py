"""The `kg` command: thin typer commands over the Python API, one module per command group.

Exit codes: 0 success, 1 runtime error, 2 bad usage or invalid input. Errors are one line on stderr.
"""

from __future__ import annotations

import importlib

from kg.cli.common import app

# Each module registers its commands on `app` when imported; this order is the order of `kg --help`.
GROUPS = ("plan", "query", "analyse", "viz", "assign", "progress", "ledger", "report")
for _group in GROUPS:
    importlib.import_module(f"kg.cli.{_group}")

__all__ = ["app", "main"]


def main() -> None:
    app()


if __name__ == "__main__":
    main()
