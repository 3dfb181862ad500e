"""One writer at a time: an advisory lock file beside what is written (the store file, the meeting pack).

The lock is `fcntl.flock` on `.<name>.writer.lock` in the target's folder, held for the whole write; the file
records who holds it (pid, host, start time) so a second writer can say who. The kernel drops the lock when its
holder dies, even by kill -9, so a lock is never stale; the file itself stays (removing it would race).
Readers take the lock shared only when they must wait for a write in progress to finish.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from kg.errors import LockedError, OutputError


def lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.writer.lock")


def holder(target: Path) -> str:
    """Who holds the lock on `target`, as the lock file recorded it."""
    try:
        info = json.loads(lock_path(target).read_text(encoding="utf-8") or "{}")
        return f"pid {info['pid']} on {info['host']} since {info['started']} ({info['what']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextlib.contextmanager
def writer_lock(target: Path, what: str, wait: bool = False) -> Iterator[None]:
    """Hold the writer lock on `target` for the block. Busy: wait (`wait`) or raise LockedError naming who."""
    import fcntl

    path = lock_path(target)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise OutputError(f"{target}: cannot create the lock file {path} ({e.strerror or e})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise LockedError(f"{target} is being written by {holder(target)}; nothing was done "
                              "(give --wait to wait for it)") from None
        record = {"pid": os.getpid(), "host": socket.gethostname(), "what": what,
                  "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode("utf-8"), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextlib.contextmanager
def no_writer(target: Path) -> Iterator[None]:
    """Wait until no writer holds `target`, and keep writers out for the block (a shared lock)."""
    import fcntl

    try:
        fd = os.open(lock_path(target), os.O_RDONLY)
    except OSError:  # no lock file: nothing has ever been written here by kg, or the folder is read-only
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def dead_leftovers(folder: Path, prefix: str, suffix: str = "") -> list[Path]:
    """The entries of `folder` named `<prefix><pid>-…<suffix>`, as a writer names what it stages (a temporary
    file, a staging folder), whose process is no longer running: left by a writer killed before it finished.
    A link is never one."""
    import glob
    import re

    out = []
    for entry in folder.glob(f"{glob.escape(prefix)}*{glob.escape(suffix)}"):
        match = re.fullmatch(rf"(\d+)-.*{re.escape(suffix)}", entry.name[len(prefix):], re.DOTALL)
        if match and not entry.is_symlink() and not alive(int(match.group(1))):
            out.append(entry)
    return out


def alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def die_with(parent: int) -> None:
    """In a forked child of `parent`: end when it ends (Linux's parent-death signal), so that a child holding
    anything of the parent's (an inherited writer lock, a half-made file) never outlives a kill -9 of it."""
    import signal
    import sys

    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)
