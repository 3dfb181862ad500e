"""The hostile corpus (tests/hostile/cypher.txt) on every store: each query is refused by the guard or answered
read-only, and afterwards no file changed (the seed, the database, a canary folder the corpus aims at), no
connection reached a local listener the corpus aims at, nothing crashed and the graph's counts are the same."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED

CORPUS = ROOT / "tests" / "hostile" / "cypher.txt"
REFUSED = "Error: refused: `kg cypher` only reads"


def corpus(canary: Path, port: int) -> list[tuple[bool, str]]:
    """(the guard lets it through, the query) for each line, placeholders filled in."""
    out = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        reads = line.startswith("+ ")
        query = (line[2:] if reads else line).replace("{LF}", "\n").replace("{CR}", "\r").replace("{TAB}", "\t")
        query = re.sub(r"\{U\+([0-9A-F]{4,6})\}", lambda m: chr(int(m.group(1), 16)), query)
        out.append((reads, query.replace("{CANARY}", str(canary)).replace("{PORT}", str(port))))
    return out


def tree_hash(*roots: Path) -> dict[str, str]:
    """Every file under the roots (or the root file itself) with its SHA-256: a new, changed or removed file shows."""
    out = {}
    for root in roots:
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return out


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """A TCP server on 127.0.0.1 that records every connection made to it (the corpus points downloads at it)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    seen: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, addr = server.accept()
            except TimeoutError:
                continue
            seen.append(f"{addr}")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    stop.set()
    thread.join()
    server.close()


# One process runs the whole corpus through the CLI, a JSON line per query: a crash (a segfault) ends the
# process, and pytest sees its exit status instead of dying with it.
RUNNER = """
import json, sys
from typer.testing import CliRunner
from kg.cli import app
queries, args = json.load(sys.stdin)
runner = CliRunner()
for query in queries:
    print(json.dumps({"query": query}), flush=True)
    r = runner.invoke(app, ["cypher", query, *args, "--limit", "20", "--timeout", "5"])
    print(json.dumps({"exit": r.exit_code, "stderr": r.stderr, "traceback": repr(r.exception)
                      if r.exception and not isinstance(r.exception, SystemExit) else None}), flush=True)
"""


def stats(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", "from kg.cli import main; main()", "stats", "--format", "json",
                           *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_corpus_is_refused_or_answered_read_only(cli_store, store_settings, tmp_path: Path,
                                                     listener) -> None:  # type: ignore[no-untyped-def]
    args, extra_env = cli_store
    port, connections = listener
    canary = tmp_path / "canary"
    canary.mkdir()
    (canary / "canary.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (canary / "canary.json").write_text('{"a": 1}', encoding="utf-8")
    (canary / "evil.so").write_bytes(b"\x7fELF not really")
    queries = corpus(canary, port)
    assert len(queries) >= 150
    env = {**os.environ, **extra_env, "PYTHONPATH": str(ROOT)}
    watched = [SEED, canary] + ([store_settings.path.parent] if store_settings.kind == "ladybug" else [])
    before, counts = tree_hash(*watched), stats(args, env)

    done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps([[q for _, q in queries], args]),
                          env=env, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0, f"the corpus run ended with {done.returncode} after {lines[-1:]}: {done.stderr}"
    results = lines[1::2]
    assert len(results) == len(queries)
    refused = 0
    for (reads, query), result in zip(queries, results, strict=True):
        assert result["traceback"] is None, (query, result)
        assert result["stderr"].startswith("Error: ") and result["stderr"].count("\n") == 1 \
            if result["exit"] else True, (query, result)
        if reads:  # through the guard: answered, or refused by the store as a bad query, never a crash
            assert result["exit"] in (0, 2) and not result["stderr"].startswith(REFUSED), (query, result)
        else:
            assert result["exit"] == 2 and result["stderr"].startswith(REFUSED), (query, result)
            refused += 1
    assert refused >= 150
    assert tree_hash(*watched) == before  # no file written, changed or removed: seed, database, canary
    assert connections == []  # nothing reached the local listener
    assert stats(args, env) == counts
