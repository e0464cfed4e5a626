"""Give the heap a burst of work freed back to the system.

A first crawl holds up to 64 pages at once, with their decoded text, parse trees and rows, on
several threads. Python frees all of it, but glibc keeps the freed chunks in its arenas, and a
few live objects scattered across them keep the rest from shrinking: measured after a cold
crawl of 5,000 articles with the store still open, the service held 183 MB; 175 MB after
``malloc_trim(0)``, and 103 MB once SQLite's page cache (up to 64 MiB, filled by the crawl's
near-duplicate lookups) was emptied first. Nothing else hands that memory back, so the service
does both after it has done work, at most once a period, and never while idle.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import os
from collections.abc import Awaitable, Callable

__all__ = ["MemoryTrimmer", "release_free_memory"]

log = logging.getLogger(__name__)


def _load_malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # musl, macOS: no malloc_trim, nothing to do
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_malloc_trim = _load_malloc_trim()


def release_free_memory() -> bool:
    """Return free heap memory to the system, where the C library can. True if it could."""
    if _malloc_trim is None:
        return False
    _malloc_trim(0)
    return True


def resident_bytes() -> int | None:
    """This process's resident set size, where /proc tells it."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class MemoryTrimmer:
    """Trims after work: ``trim_after(count)`` with a running count of work done.

    ``release_caches`` first empties caches that hold freed-able memory of their own (the
    store's page cache); then the heap goes back to the system.
    """

    def __init__(
        self,
        release_caches: Callable[[], Awaitable[None]],
        release_heap: Callable[[], bool] = release_free_memory,
    ) -> None:
        self._release_caches = release_caches
        self._release_heap = release_heap
        self._seen = 0

    async def trim_after(self, work_done: int) -> bool:
        """Trim if ``work_done`` moved since the last call. True if the heap was trimmed."""
        if work_done == self._seen:
            return False
        self._seen = work_done
        before = resident_bytes()
        await self._release_caches()
        # In a thread: after a big crawl a trim walks hundreds of MB of arenas.
        if not await asyncio.to_thread(self._release_heap):
            return False
        after = resident_bytes()
        if before is not None and after is not None:
            log.debug("trimmed the heap: RSS %d -> %d MB", before >> 20, after >> 20)
        return True
