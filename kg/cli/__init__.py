"""The `kg` command: thin typer commands over the Python API, one module per command group.

Exit codes: 0 success, 1 runtime error, 2 bad usage or invalid input. Errors are one line on stderr.
"""

from __future__ import annotations

from kg.cli import analyse, plan, query, viz  # noqa: F401  (each module registers its commands on `app`)
from kg.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    app()


if __name__ == "__main__":
    main()
