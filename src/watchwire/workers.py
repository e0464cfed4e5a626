"""Worker processes for the CPU-heavy part of an article, there when a burst needs them.

A cold crawl analyses hundreds of pages a second, and one event loop cannot: the pages go to
worker processes, which use the other cores. A service watching feeds that change now and then
analyses a page every few seconds, ~2 ms each on the loop, and workers would only cost memory
(35 MB each). So pages are analysed in this process until the rate of
recent analyses says a burst is on; the workers start then, and stop once idle again.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Self, TypeVar

__all__ = ["WorkerCrashed", "WorkerPool"]

log = logging.getLogger(__name__)

T = TypeVar("T")

BURST_RATE = 20
"""Analyses within ``BURST_WINDOW`` that start the workers: ~4 % of a core spent inline."""
BURST_WINDOW = 1.0
IDLE_AFTER = 60.0
"""Seconds without work after which the workers are stopped."""


class WorkerCrashed(Exception):
    """An analysis killed its worker process, twice: the page is given up."""


class WorkerPool:
    """``size`` worker processes, started on demand. Use as an async context manager."""

    def __init__(
        self,
        size: int,
        *,
        burst_rate: int = BURST_RATE,
        idle_after: float = IDLE_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._size = size
        self._burst_rate = burst_rate
        self._idle_after = idle_after
        self._clock = clock
        self._recent: deque[float] = deque(maxlen=max(burst_rate, 1))
        self._pool: ProcessPoolExecutor | None = None
        self._last_used = 0.0
        self._in_flight = 0

    @property
    def running(self) -> bool:
        return self._pool is not None

    @property
    def processes(self) -> int:
        """Worker processes running now (``/metrics``)."""
        return self._size if self._pool is not None else 0

    async def run(self, call: Callable[[], T]) -> T:
        """``call()``'s result, computed in a worker during a burst, here otherwise."""
        now = self._clock()
        self._recent.append(now)
        pool = self._pool
        if pool is None and self._size > 0 and self._bursting(now):
            pool = self._pool = self._start()
        if pool is None:
            return call()
        self._in_flight += 1
        try:
            return await self._in_workers(pool, call)
        finally:
            self._in_flight -= 1
            self._last_used = self._clock()

    async def _in_workers(self, pool: ProcessPoolExecutor, call: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        for attempt in range(2):
            try:
                return await loop.run_in_executor(pool, call)
            except BrokenProcessPool:
                # A worker died: killed, out of memory, or crashed by this very page. Once more
                # in fresh workers; never here, where a page that crashes would take the whole
                # service down with it.
                log.error("an extraction worker died; starting new ones")
                if self._pool is pool:
                    self._pool = None
                if attempt == 0:
                    pool = self._pool = self._pool or self._start()
        raise WorkerCrashed("the page's analysis killed its worker twice")

    def _bursting(self, now: float) -> bool:
        recent = self._recent
        return len(recent) >= self._burst_rate and now - recent[0] <= BURST_WINDOW

    def _start(self) -> ProcessPoolExecutor:
        log.debug("starting %d extraction worker(s)", self._size)
        # Not fork: this process runs threads (the store's, the resolver's). Not forkserver
        # either: its server process would outlive the workers, 12 MB for nothing; each
        # worker imports what analysis needs either way.
        return ProcessPoolExecutor(
            max_workers=self._size, mp_context=multiprocessing.get_context("spawn")
        )

    async def stop_if_idle(self) -> bool:
        """Stop the workers once none has had work for ``idle_after``. True if stopped.

        Idle counts from the last result, and never while work is queued or running: a
        shutdown would cancel it, and its article with it.
        """
        if (
            self._pool is None
            or self._in_flight
            or self._clock() - self._last_used < self._idle_after
        ):
            return False
        await self._stop()
        return True

    async def _stop(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stop()
