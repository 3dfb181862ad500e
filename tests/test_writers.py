"""One writer at a time, and a store file that is what `kg build` wrote: real processes, run at once, killed
with SIGKILL, and store files damaged on purpose (each command in a subprocess, so a crash cannot take pytest)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PLAN_EDGES, PLAN_NODES, SEED

KG = str(Path(sys.executable).parent / "kg")
LOCKED = "is being written by pid "


def _kg(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KG_DB", "KG_STORE", "KG_DEBUG", "KG_LANG")}
    return subprocess.run([KG, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)


def _nodes(db: Path) -> int:
    result = _kg("stats", "--db", str(db), "--format", "json")
    assert result.returncode == 0, result.stderr
    return sum(r["count"] for r in json.loads(result.stdout) if r["element"] == "node")


def _wait_for(predicate, seconds: float = 120) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_eight_builds_at_once_leave_the_full_plan(tmp_path: Path) -> None:
    db = tmp_path / "plan.lbug"
    argv = [[KG, "build", "--seed", str(SEED), "--db", str(db), *(["--wait"] if i % 2 else [])] for i in range(8)]
    procs = [subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for a in argv]
    results = [(a, p.wait(timeout=600), *p.communicate()) for a, p in zip(argv, procs, strict=True)]
    for args, code, out, err in results:
        assert "Traceback" not in err
        if code == 0:
            assert out == f"built shenyang-2023-2025 in {db}: {PLAN_NODES} nodes, {PLAN_EDGES} edges\n" and err == ""
        else:
            assert "--wait" not in args, err  # a build that waits never gives up
            assert code == 1 and err.count("\n") == 1, err
            assert err.startswith(f"Error: {db} {LOCKED}") and err.endswith(
                "(kg build); nothing was done (give --wait to wait for it)\n"), err
    assert sum(code == 0 for _, code, _, _ in results) >= 4
    assert _nodes(db) == PLAN_NODES
    assert sorted(p.name for p in tmp_path.iterdir()) == [".plan.lbug.writer.lock", "plan.lbug",
                                                          "plan.lbug.integrity.json"]


def test_kill_9_during_build_keeps_the_old_graph_and_the_next_build_works(tmp_path: Path) -> None:
    db = tmp_path / "plan.lbug"
    assert _kg("build", "--db", str(db)).returncode == 0
    old = db.stat().st_ino
    proc = subprocess.Popen([KG, "build", "--db", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(lambda: any(p.name.startswith("plan.lbug.new-") for p in tmp_path.iterdir()))
    time.sleep(random.uniform(0, 0.3))  # somewhere while the staged copy is written
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _nodes(db) == PLAN_NODES  # the old graph answers, and the integrity record still matches it
    if db.stat().st_ino == old:
        assert any(p.name.startswith("plan.lbug.new-") for p in tmp_path.iterdir())  # killed before the swap
    result = _kg("build", "--db", str(db))  # the lock died with its holder; the leftovers are removed
    assert result.returncode == 0, result.stderr
    assert not any(p.name.startswith("plan.lbug.new") for p in tmp_path.iterdir())
    assert _nodes(db) == PLAN_NODES


def test_a_held_lock_names_its_holder(tmp_path: Path) -> None:
    from kg.lock import writer_lock

    db = tmp_path / "plan.lbug"
    with writer_lock(db, "kg build"):
        result = _kg("build", "--db", str(db))
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {db} {LOCKED}{os.getpid()} on ") and result.stderr.count("\n") == 1
    assert not db.exists()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("built") / "plan.lbug"
    assert _kg("build", "--db", str(db)).returncode == 0
    return db


def _copy(built: Path, folder: Path) -> Path:
    db = folder / "plan.lbug"
    db.write_bytes(built.read_bytes())
    record = json.loads((built.parent / "plan.lbug.integrity.json").read_text(encoding="utf-8"))
    os.utime(db, ns=(record["mtime_ns"], record["mtime_ns"]))
    (folder / "plan.lbug.integrity.json").write_text(json.dumps(record), encoding="utf-8")
    return db


@pytest.mark.parametrize("damage", ["bit flips", "truncated", "emptied", "zeroed page"])
def test_a_damaged_store_is_refused_not_read(built: Path, tmp_path: Path, damage: str) -> None:
    db = _copy(built, tmp_path)
    data = bytearray(db.read_bytes())
    rng = random.Random(12)
    if damage == "bit flips":
        for _ in range(64):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif damage == "truncated":
        data = data[: len(data) // 3]
    elif damage == "emptied":
        data = bytearray()
    else:
        data[4096:8192] = bytes(4096)
    db.write_bytes(bytes(data))
    for argv in (["stats"], ["query", "area_tasks", "-p", "area", "A1"], ["export", "-o", str(tmp_path / "o.json")]):
        result = _kg(*argv, "--db", str(db))
        assert result.returncode == 1, (argv, result.returncode, result.stderr)  # not 139 (a segfault)
        assert result.stderr == f"Error: {db}: the store was changed outside kg build; run kg build\n"
        assert result.stdout == ""
    assert not (tmp_path / "o.json").exists()


def test_a_touched_but_unchanged_store_still_opens(built: Path, tmp_path: Path) -> None:
    db = _copy(built, tmp_path)
    os.utime(db)  # a new mtime; the same bytes: the hash decides
    assert _nodes(db) == PLAN_NODES


def test_kill_9_during_pack_leaves_staging_that_the_next_pack_removes(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    live = tmp_path / f".pack.staging-{os.getpid()}-live"  # this process is alive: never touched
    live.mkdir()
    proc = subprocess.Popen([KG, "pack", "--db", str(built), "-o", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    staging = f".pack.staging-{proc.pid}-"
    _wait_for(lambda: any(p.name.startswith(staging) and any(p.iterdir()) for p in tmp_path.iterdir()))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert any(p.name.startswith(staging) for p in tmp_path.iterdir()) and not out.exists()
    result = _kg("pack", "--db", str(built), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".pack.staging-" + live.name.split("staging-")[1],
                                                          ".pack.writer.lock", "pack"]
    assert (out / "index.html").exists()


def test_a_build_killed_between_its_record_and_its_swap_leaves_a_store_that_opens(built: Path, tmp_path: Path) -> None:
    from kg.stores import integrity

    db = _copy(built, tmp_path)
    staged = tmp_path / "plan.lbug.new-1"
    staged.write_bytes(db.read_bytes() + b"\0" * 4096)  # stands for the next build's file
    integrity.record(db, integrity.measure(staged))  # the record is written, the rename has not happened
    integrity.check(db)  # the old file is still accepted as the previous one
    os.replace(staged, db)
    integrity.check(db)  # and so is the new one once it is in place
    db.write_bytes(db.read_bytes()[:-1])
    with pytest.raises(Exception, match="changed outside kg build"):
        integrity.check(db)


def test_build_into_a_symlink_writes_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    """os.replace onto the --db path replaced a link by the new database and left its target stale."""
    real = tmp_path / "stores" / "plan.lbug"
    real.parent.mkdir()
    link = tmp_path / "plan.lbug"
    link.symlink_to(real)
    done = _kg("build", "--db", str(link))
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and real.is_file()
    assert _nodes(real) == PLAN_NODES and _nodes(link) == PLAN_NODES


@pytest.mark.parametrize("kind", ["fifo", "socket"])
def test_build_never_replaces_a_special_file(tmp_path: Path, kind: str) -> None:
    """--db naming a FIFO, a socket (or, as root, a device such as /dev/null) was replaced by a database file."""
    import socket
    import stat

    path = tmp_path / "plan.lbug"
    sock = None
    if kind == "fifo":
        os.mkfifo(path)
    else:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
    try:
        done = _kg("build", "--db", str(path))
        mode = path.stat().st_mode
    finally:
        if sock is not None:
            sock.close()
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"Error: {path}: exists and is not a regular file, it is not replaced " \
                          "(valid: a database file name, e.g. .kg/plan.lbug)\n"
    assert stat.S_ISFIFO(mode) if kind == "fifo" else stat.S_ISSOCK(mode)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("plan.lbug.new")]


def _fengong(path: Path, items: list) -> Path:  # type: ignore[type-arg]
    """A 分工 document (F1, labelled lines) of some of the test items."""
    from tests import assign_docs as docs

    out = [docs.TITLE, "", docs.DATE, ""]
    for k, s in enumerate(items, start=1):
        out += [f"{k}.{s.text}。", f"牵头单位:{s.lead}", *([f"责任单位:{s.responsible}"] if s.responsible else []), ""]
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def _official(seed: Path) -> dict[str, int]:
    """Official assignment rows in the seed, by the document (file) they came from."""
    import csv
    from collections import Counter

    with (seed / "assignments.csv").open(encoding="utf-8-sig", newline="") as f:
        return dict(Counter(r["source_file"].rsplit(":", 1)[0] for r in csv.DictReader(f)
                            if r["provenance"] == "official"))


def test_two_applies_at_once_keep_both_documents(seed_copy: Path, tmp_path: Path) -> None:
    """Two reviews of two 分工 documents applied to one seed at once: each read the same overlays and wrote them
    back with its own rows only, so the second replaced the first's (a lost update). Now the second waits."""
    import shutil

    from tests import assign_docs as docs

    reviews = []
    for name, items in (("a", docs.ITEMS[:8] + docs.ITEMS[15:16]), ("b", docs.ITEMS[8:15] + docs.ITEMS[16:])):
        review = tmp_path / f"review-{name}.csv"
        done = _kg("assign", "import", str(_fengong(tmp_path / f"fengong-{name}.txt", items)), "-o", str(review),
                   "--seed", str(seed_copy))
        assert done.returncode == 0, done.stderr
        reviews.append(review)
    alone = {}
    for review in reviews:  # what each applies on its own
        seed = tmp_path / f"alone-{review.stem}"
        shutil.copytree(seed_copy, seed)
        assert _kg("assign", "apply", str(review), "--seed", str(seed)).returncode == 0
        alone.update(_official(seed))
    assert sorted(alone) == ["fengong-a.txt", "fengong-b.txt"]
    for round_ in range(4):
        seed = tmp_path / f"seed-{round_}"
        shutil.copytree(seed_copy, seed)
        procs = [subprocess.Popen([KG, "assign", "apply", str(review), "--seed", str(seed)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for review in reviews]
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0 and out.startswith("applied ") and "Traceback" not in err, err
        assert _official(seed) == alone, f"round {round_}"
        validated = _kg("validate", "--seed", str(seed))
        assert validated.returncode == 0 and validated.stdout.startswith("ok: "), validated.stderr
        assert not [p.name for p in seed.iterdir() if p.name.endswith(".tmp")]


def test_kill_9_during_apply_leaves_each_file_old_or_new_and_a_valid_seed(seed_copy: Path, tmp_path: Path) -> None:
    """An apply killed somewhere in its read, check and write: each overlay is the old file or the new one, never
    a mix or a part; the seed validates, and applying again completes it."""
    import shutil

    from tests import assign_docs as docs

    review = tmp_path / "review.csv"
    done = _kg("assign", "import", str(_fengong(tmp_path / "fengong.txt", docs.ITEMS)), "-o", str(review),
               "--seed", str(seed_copy))
    assert done.returncode == 0, done.stderr
    names = ("departments.csv", "workitems.csv", "assignments.csv")
    new = tmp_path / "new"
    shutil.copytree(seed_copy, new)
    assert _kg("assign", "apply", str(review), "--seed", str(new)).returncode == 0
    after = {n: (new / n).read_bytes() for n in names}
    for round_ in range(4):
        seed = tmp_path / f"seed-{round_}"
        shutil.copytree(seed_copy, seed)
        proc = subprocess.Popen([KG, "assign", "apply", str(review), "--seed", str(seed)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(lambda s=seed: (s / ".assignments.csv.writer.lock").exists())  # inside: reading, checking, writing
        time.sleep(random.uniform(0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for n in names:
            now = (seed / n).read_bytes() if (seed / n).exists() else None
            assert now in (after[n], (seed_copy / n).read_bytes() if (seed_copy / n).exists() else None), n
        validated = _kg("validate", "--seed", str(seed))
        assert validated.returncode == 0, validated.stderr
        assert _kg("assign", "apply", str(review), "--seed", str(seed)).returncode == 0
        assert {n: (seed / n).read_bytes() for n in names} == after


@pytest.fixture(scope="module")
def one_pack(built: Path) -> Path:
    """The meeting pack of one `kg pack` run alone: what a pack run at the same time as another must equal."""
    out = built.parent / "pack"
    done = _kg("pack", "--db", str(built), "-o", str(out))
    assert done.returncode == 0, done.stderr
    return out


def _files(folder: Path) -> dict[str, bool]:
    """Every file in a pack, and whether it has bytes."""
    return {str(p.relative_to(folder)): p.stat().st_size > 0 for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_one_complete_pack(out: Path, one_pack: Path) -> None:
    assert _files(out) == _files(one_pack)
    assert all(_files(out).values()), [name for name, full in _files(out).items() if not full]
    assert (out / "index.html").read_bytes() == (one_pack / "index.html").read_bytes()
    assert sorted(p.name for p in out.parent.iterdir()) == [".pack.writer.lock", "pack"]  # no staging left


def test_two_packs_at_once_leave_one_complete_pack(built: Path, one_pack: Path, tmp_path: Path) -> None:
    """Two `kg pack` into one folder at once (first into none, then over a pack): one writes, the other stops with
    one line naming the writer or, with --wait, writes after it; the folder is then one whole pack."""
    out = tmp_path / "pack"
    for waits in ((False, False), (True, False)):
        argv = [[KG, "pack", "--db", str(built), "-o", str(out), *(["--wait"] if w else [])] for w in waits]
        procs = [subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for a in argv]
        results = [(w, p.wait(timeout=600), *p.communicate()) for w, p in zip(waits, procs, strict=True)]
        for wait, code, stdout, err in results:
            assert "Traceback" not in err
            if code == 0:
                assert stdout.startswith("wrote ") and err == "", err
            else:
                assert not wait, err  # a pack that waits never gives up
                assert code == 1 and err.count("\n") == 1, err
                assert err.startswith(f"Error: {out} {LOCKED}") and err.endswith(
                    "(kg pack); nothing was done (give --wait to wait for it)\n"), err
        assert any(code == 0 for _, code, _, _ in results)
        _assert_one_complete_pack(out, one_pack)


def test_kill_9_during_a_pack_over_a_pack_keeps_the_previous_or_the_new(built: Path, one_pack: Path,
                                                                        tmp_path: Path) -> None:
    """A pack killed at some moment while it replaces an older pack: the folder is the older pack, whole, or (killed
    between the two renames of the swap) none; the next pack succeeds and removes what the killed one left."""
    import shutil

    out = tmp_path / "pack"
    shutil.copytree(one_pack, out)
    (out / "previous.txt").write_text("the pack before", encoding="utf-8")
    proc = subprocess.Popen([KG, "pack", "--db", str(built), "-o", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _wait_for(lambda: any(p.name.startswith(f".pack.staging-{proc.pid}-") for p in tmp_path.iterdir()))
    time.sleep(random.uniform(0, 10))  # drawing takes most of a pack's time
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if out.exists():
        previous = (out / "previous.txt").exists()
        assert _files(out) == {**_files(one_pack), **({"previous.txt": True} if previous else {})}
    result = _kg("pack", "--db", str(built), "-o", str(out))
    assert result.returncode == 0, result.stderr
    _assert_one_complete_pack(out, one_pack)


def test_readers_during_rebuilds_see_the_old_or_the_new_graph(seed_copy: Path, tmp_path: Path) -> None:
    """`kg stats`, `kg query` and `kg export` on a file that builds of two different plans keep replacing: each
    reader gets one graph whole, the old or the new (or one line of error), never a mix or a traceback."""
    import threading

    from tests import assign_docs as docs

    review = tmp_path / "review.csv"
    assert _kg("assign", "import", str(_fengong(tmp_path / "fengong.txt", docs.ITEMS)), "-o", str(review),
               "--seed", str(seed_copy)).returncode == 0
    assert _kg("assign", "apply", str(review), "--seed", str(seed_copy)).returncode == 0  # two work items more
    db = tmp_path / "plan.lbug"
    counts = set()
    for seed in (seed_copy, SEED):
        assert _kg("build", "--seed", str(seed), "--db", str(db)).returncode == 0
        counts.add(_nodes(db))
    assert len(counts) == 2
    script = "; ".join(f'"$0" build --wait --seed "{seed}" --db "$1" >/dev/null || exit 1'
                       for seed in (seed_copy, SEED) * 2)
    builds = subprocess.Popen(["bash", "-c", script, KG, str(db)])
    seen: list[tuple[list[str], subprocess.CompletedProcess[str]]] = []

    def read(argv: list[str]) -> None:
        while builds.poll() is None:
            seen.append((argv, _kg(*argv, "--db", str(db))))

    readers = [threading.Thread(target=read, args=(argv,)) for argv in (
        ["stats", "--format", "json"], ["query", "area_tasks", "-p", "area", "A1", "--format", "json"],
        ["export", "-o", str(tmp_path / "graph.json")])]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert builds.wait() == 0
    assert len(seen) >= 10
    for argv, result in seen:
        assert "Traceback" not in result.stderr, (argv, result.stderr)
        if result.returncode != 0:
            assert result.returncode == 1 and result.stderr.startswith("Error: ") and \
                result.stderr.count("\n") == 1, (argv, result.stderr)
        elif argv[0] == "stats":
            assert sum(r["count"] for r in json.loads(result.stdout) if r["element"] == "node") in counts
        elif argv[0] == "export":
            assert len(json.loads((tmp_path / "graph.json").read_text(encoding="utf-8"))["nodes"]) in counts


def test_a_writer_killed_before_its_rename_leaves_a_temporary_the_next_write_removes(tmp_path: Path) -> None:
    """write_atomic names its temporary file after its process: one left by a writer killed with SIGKILL before
    its rename is removed by the next write beside it; one of a writer still running is left alone."""
    target = tmp_path / "assignments.csv"
    target.write_text("old\n", encoding="utf-8")
    stuck = ("import os, sys, time; from pathlib import Path; import kg.output as o; "
             "os.replace = lambda a, b: time.sleep(600); o.write_atomic(Path(sys.argv[1]), 'new\\n')")
    writers = [subprocess.Popen([sys.executable, "-c", stuck, str(target)]) for _ in range(2)]
    try:
        _wait_for(lambda: len(list(tmp_path.glob(".assignments.csv.*.tmp"))) == 2)
        writers[0].send_signal(signal.SIGKILL)
        writers[0].wait()
        from kg.output import write_atomic

        write_atomic(target, "newer\n")
        left = sorted(p.name for p in tmp_path.glob(".assignments.csv.*.tmp"))
        assert left == [p.name for p in tmp_path.glob(f".assignments.csv.{writers[1].pid}-*.tmp")] and len(left) == 1
        assert target.read_text(encoding="utf-8") == "newer\n"
    finally:
        for writer in writers:
            writer.kill()
            writer.wait()
