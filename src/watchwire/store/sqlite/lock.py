"""One service per embedded store: an OS lock on ``PATH.lock``, which the kernel drops when the
process holding it ends, however it ends (``kill -9`` included), so a lock is never stale.

A service (``run``, ``once``) takes it before it touches the database; a second one is refused
with the first one's process id, command and start time (written into the lock file for that).
Read-only commands (search, listings) take no lock and work beside a running service.

``flock`` rather than ``fcntl``'s byte-range locks: SQLite uses those on the database file, and
a process's byte-range locks on a file all vanish when *any* descriptor of it is closed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from pathlib import Path

from watchwire.exceptions import StoreError
from watchwire.timeutil import iso_z, utcnow

__all__ = ["ServiceLock", "lock_path"]


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


class ServiceLock:
    """The lock of the store at ``database``; ``acquire`` it, ``release`` it (or just exit)."""

    def __init__(self, database: Path) -> None:
        self._database = database
        self._path = lock_path(database)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise StoreError naming the process that holds it."""
        try:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise StoreError(
                f"cannot create the lock file {self._path} ({exc.strerror}): give watchwire "
                "write access to the store's folder"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise StoreError(
                f"the store {self._database} is in use by another watchwire service "
                f"({holder}); one service at a time per store: stop that one first, or give "
                "this one another `storage:`. (Read-only commands such as `search` and "
                "`alerts list` work beside it.)"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"cannot lock {self._path}: {exc.strerror}") from None
        command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "?"
        with contextlib.suppress(
            OSError
        ):  # the holder's note is a courtesy, the lock is what counts
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}: {command}, since {iso_z(utcnow())}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            # The file stays: removing it would let a third process lock a new file while a
            # second still waits on the old one's descriptor.
            os.close(fd)


def _read(fd: int) -> str:
    try:
        note = os.pread(fd, 500, 0).decode("utf-8", "replace").strip()
    except OSError:
        note = ""
    return note or "process unknown"
