"""A real Neo4j Community server for the test session, run in a JVM from Neo4jLauncher.java (no Docker).

Maven resolves the server's classpath from pom.xml; the server listens on 127.0.0.1 at a free port with a
random password, and is stopped at the end. With NEO4J_URI set, that server is used instead, provided its
database is empty: the fixture never wipes data it did not create. Without Java or Maven the Neo4j tests skip
with the reason; with CI=true they fail instead.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.stores.base import StoreSettings

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent / "artifacts"
START_TIMEOUT_S = 180


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Neo4j tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"Neo4j tests skipped: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _classpath(log: Path) -> str:
    target = HERE / "target"
    target.mkdir(exist_ok=True)
    out = target / "classpath.txt"
    if not out.exists() or out.stat().st_mtime < (HERE / "pom.xml").stat().st_mtime:
        with log.open("a", encoding="utf-8") as fh:
            done = subprocess.run(
                ["mvn", "-B", "-q", "-f", str(HERE / "pom.xml"), "dependency:build-classpath",
                 f"-Dmdep.outputFile={out}"], stdout=fh, stderr=subprocess.STDOUT, timeout=900, check=False)
        if done.returncode != 0 or not out.exists():
            pytest.fail(f"Maven could not resolve the Neo4j classpath; see {log}", pytrace=False)
    return out.read_text(encoding="utf-8").strip()


def _wait_ready(proc: subprocess.Popen[str], log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("READY "):
            return line.split()[1]
        if not line and proc.poll() is not None:
            break
    proc.kill()
    proc.wait()
    pytest.fail(f"Neo4j did not start within {START_TIMEOUT_S}s; server log: {log}", pytrace=False)


@pytest.fixture(scope="session")
def neo4j_settings() -> Iterator[StoreSettings]:
    if os.environ.get("NEO4J_URI"):
        yield from _external()
        return
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        _unavailable(f"{' and '.join(missing)} not found on PATH (Neo4j runs in a JVM; its classpath comes from Maven)")
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "neo4j-server.log"
    log.write_text("", encoding="utf-8")
    classpath = _classpath(log)
    port, password = _free_port(), secrets.token_urlsafe(16)
    data = ARTIFACTS / "neo4j-data"
    shutil.rmtree(data, ignore_errors=True)
    env = {**os.environ, "PLAN_KG_TEST_NEO4J_PASSWORD": password}
    java = [shutil.which("java") or "java", "-Xmx1g", "-XX:+UseSerialGC", "-cp", classpath,
            str(HERE / "Neo4jLauncher.java"), str(port), str(data)]
    with log.open("a", encoding="utf-8") as err:
        proc = subprocess.Popen(java, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    try:
        uri = _wait_ready(proc, log)
        settings = StoreSettings(kind="neo4j", uri=uri, user="neo4j", password=password)
        _check_connect(settings, log)
        yield settings
    finally:
        if proc.stdin:
            proc.stdin.close()  # the launcher stops the server when its stdin closes
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _check_connect(settings: StoreSettings, log: Path) -> None:
    import neo4j

    with neo4j.GraphDatabase.driver(settings.uri or "", auth=(settings.user, settings.password or "")) as driver:
        try:
            driver.verify_connectivity()
        except Exception as e:  # report where to look, then fail
            pytest.fail(f"Neo4j started but does not answer ({e}); server log: {log}", pytrace=False)


def _external() -> Iterator[StoreSettings]:
    import neo4j

    settings = StoreSettings(kind="neo4j", uri=os.environ["NEO4J_URI"], user=os.environ.get("NEO4J_USERNAME", "neo4j"),
                             password=os.environ.get("NEO4J_PASSWORD"), database=os.environ.get("NEO4J_DATABASE"))
    with neo4j.GraphDatabase.driver(settings.uri or "", auth=(settings.user, settings.password or "")) as driver:
        n = driver.execute_query("MATCH (n) RETURN count(n) AS n", database_=settings.database).records[0]["n"]
    if n:
        pytest.fail(f"refusing to use the Neo4j database at {settings.uri}: it holds {n} nodes this test session did "
                    "not create; point NEO4J_URI/NEO4J_DATABASE at an empty database", pytrace=False)
    yield settings
