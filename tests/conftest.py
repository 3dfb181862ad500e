"""Shared fixtures. The Neo4j server fixture lives in neo4j_server/fixture.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed"
SOURCE = SEED / "source" / "shenyang-three-year-action-plan-2023-2025.txt"


@pytest.fixture(scope="session")
def plan_graph():  # type: ignore[no-untyped-def]
    from kg.seed import load_plan

    return load_plan(SEED)


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A writable copy of seed/ to break on purpose."""
    dst = tmp_path / "seed"
    shutil.copytree(SEED, dst)
    return dst
