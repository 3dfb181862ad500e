"""Shared fixtures. The Neo4j server fixture lives in neo4j_server/fixture.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Assessments record the day they were computed; a fixed day makes two builds in one test run identical.
os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed"
SOURCE = SEED / "source" / "shenyang-three-year-action-plan-2023-2025.txt"


@pytest.fixture(scope="session")
def plan_graph():  # type: ignore[no-untyped-def]
    from kg.ingest.seed import load_plan

    return load_plan(SEED)


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A writable copy of seed/ to break on purpose."""
    dst = tmp_path / "seed"
    shutil.copytree(SEED, dst)
    return dst


from tests.neo4j_server.fixture import neo4j_settings  # noqa: E402, F401  (a session fixture)


@pytest.fixture(params=["ladybug", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store_settings(request, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Settings for each store in turn: the same test body runs against Ladybug and a real Neo4j."""
    from kg.stores.base import StoreSettings

    if request.param == "ladybug":
        return StoreSettings(kind="ladybug", path=tmp_path / "plan.lbug")
    return request.getfixturevalue("neo4j_settings")


@pytest.fixture
def store(store_settings):  # type: ignore[no-untyped-def]
    """An empty store of each kind; Neo4j is wiped of the plans this test built when it ends."""
    from kg.stores.base import open_store

    s = open_store(store_settings)
    yield s
    if store_settings.kind == "neo4j":
        for plan in ("shenyang-2023-2025", "pytest-other-plan"):
            s.delete_plan(plan)
        s._write(lambda tx: tx.run("MATCH (n:ForeignData) DETACH DELETE n").consume())
    s.close()


@pytest.fixture
def cli_store(store, store_settings, plan_graph):  # type: ignore[no-untyped-def]
    """The Shenyang plan built into each store, and the CLI arguments and environment that reach it."""
    store.build(plan_graph)
    if store_settings.kind == "ladybug":
        return ["--db", str(store_settings.path)], {}
    env = {"NEO4J_URI": store_settings.uri, "NEO4J_USERNAME": store_settings.user,
           "NEO4J_PASSWORD": store_settings.password}
    return ["--store", "neo4j"], env


from tests.browser import chromium, open_page  # noqa: E402, F401  (browser fixtures)

# Every error message the CLI shows during the session is logged; at the end a message without Chinese fails the
# run (issue 19: every error message reachable from the tests has both languages). One log per session, named by
# the pid of the process that started it; xdist workers inherit its path and append to it, and only that process
# checks it, so a partial run (-k, one file) checks exactly the messages it met.
MESSAGE_LOG = ROOT / "tests" / "artifacts" / f"messages-{os.getpid()}.log"


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker: the controller set KG_MESSAGE_LOG before starting it
        return
    from kg.lock import alive

    MESSAGE_LOG.parent.mkdir(exist_ok=True)
    for old in MESSAGE_LOG.parent.glob("messages-*.log"):  # left by a session that was killed
        pid = old.stem.removeprefix("messages-")
        if pid.isdigit() and not alive(int(pid)):  # kg.lock's check: another user's process counts as alive
            old.unlink(missing_ok=True)
    MESSAGE_LOG.write_text("", encoding="utf-8")
    os.environ["KG_MESSAGE_LOG"] = str(MESSAGE_LOG)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput") or not MESSAGE_LOG.exists():
        return
    import json

    from kg import i18n
    from tests.test_i18n_errors import untranslated

    seen = {json.loads(line) for line in MESSAGE_LOG.read_text(encoding="utf-8").splitlines() if line}
    MESSAGE_LOG.unlink()
    i18n.set_language("zh")
    try:
        missing = sorted(m for m in seen if untranslated(m))
    finally:
        i18n.set_language(None)
    report = MESSAGE_LOG.with_name("untranslated-messages.txt")
    report.write_text("".join(f"{m}\n" for m in missing), encoding="utf-8")
    if not missing:
        return
    write = session.config.pluginmanager.get_plugin("terminalreporter").write_line
    write(f"{len(missing)} of {len(seen)} error messages shown in the tests have no Chinese (listed in {report}); "
          "add templates to kg/locale/zh_CN/LC_MESSAGES/kg.po:", red=True)
    for message in missing:
        write(f"  {message}", red=True)
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _plan_size() -> tuple[int, int]:
    """The shipped plan's node and edge counts, as `kg build` reports them (readings and assessments included)."""
    from kg.ingest.seed import load_plan

    counts = load_plan(SEED).counts()
    return sum(counts["nodes"].values()), sum(counts["edges"].values())


PLAN_NODES, PLAN_EDGES = _plan_size()
