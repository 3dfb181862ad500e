"""The store file is what `kg build` wrote: its size, mtime and SHA-256 are recorded beside it at build time.

A command that opens the file compares size and mtime (cheap); when either differs, it waits for a build in
progress to finish, then hashes the file, and refuses a file whose hash differs: a damaged or replaced database
can make the engine read garbage, run out of memory or crash, so it is never opened.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from kg.errors import IntegrityError


def record_path(db: Path) -> Path:
    return db.with_name(f"{db.name}.integrity.json")


def measure(db: Path) -> dict[str, Any]:
    """Size, mtime (ns) and SHA-256 of the file."""
    with db.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
        st = os.fstat(fh.fileno())
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}


def record(db: Path, measured: dict[str, Any]) -> None:
    """Record the file about to be swapped in, written before the swap. The file it replaces stays accepted as
    `previous`, so a build killed between writing this record and the rename leaves a store that still opens."""
    from kg.output import write_atomic

    try:
        old = _recorded(db)
    except IntegrityError:
        old = None
    previous = {k: old[k] for k in ("size", "mtime_ns", "sha256")} if old else None
    write_atomic(record_path(db), json.dumps({"file": db.name, **measured, "previous": previous}, indent=2) + "\n")


def _recorded(db: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(record_path(db).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None  # built before records were kept, or by hand: nothing to compare with
    except (OSError, ValueError) as e:
        raise IntegrityError(f"{record_path(db)}: the build record cannot be read ({e}); run kg build") from None
    if not isinstance(data, dict) or not {"size", "mtime_ns", "sha256"} <= set(data):
        raise IntegrityError(f"{record_path(db)}: the build record is damaged; run kg build")
    return data


def _accepted(rec: dict[str, Any]) -> list[dict[str, Any]]:
    previous = rec.get("previous")
    return [rec, previous] if isinstance(previous, dict) and {"size", "mtime_ns", "sha256"} <= set(previous) else [rec]


def _unchanged(db: Path, rec: dict[str, Any]) -> bool:
    st = db.stat()
    return any(st.st_size == r["size"] and st.st_mtime_ns == r["mtime_ns"] for r in _accepted(rec))


def check(db: Path) -> None:
    """Raise IntegrityError when the file is not the one `kg build` recorded."""
    from kg.lock import no_writer

    rec = _recorded(db)
    if rec is None or _unchanged(db, rec):
        return
    with no_writer(db):  # a build may be swapping the file in right now: let it finish, then look again
        rec = _recorded(db)
        if rec is None or _unchanged(db, rec):
            return
        if measure(db)["sha256"] not in {r["sha256"] for r in _accepted(rec)}:
            raise IntegrityError(f"{db}: the store was changed outside kg build; run kg build")
