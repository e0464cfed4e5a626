"""Extraction workers: in this process for a trickle, worker processes for a burst."""

from __future__ import annotations

import asyncio
import os
import time
from functools import partial
from pathlib import Path

import pytest

from watchwire.workers import WorkerCrashed, WorkerPool


def whose_pid() -> int:
    return os.getpid()


def die_first_time(flag: str) -> int:
    """Kills the first worker it runs in; answers in the next."""
    if not os.path.exists(flag):
        open(flag, "w").close()
        os._exit(1)
    return os.getpid()


def die_unless(parent: int) -> int:
    """Kills the worker it runs in; in the parent it answers."""
    if os.getpid() != parent:
        os._exit(1)
    return parent


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_trickle_is_analysed_in_this_process() -> None:
    clock = Clock()
    async with WorkerPool(1, burst_rate=5, clock=clock) as pool:
        for _ in range(10):
            clock.now += 0.5  # two a second: under the burst rate
            assert await pool.run(whose_pid) == os.getpid()
        assert not pool.running


async def test_a_burst_starts_the_workers_and_idleness_stops_them() -> None:
    clock = Clock()
    async with WorkerPool(1, burst_rate=5, idle_after=60, clock=clock) as pool:
        pids = [await pool.run(whose_pid) for _ in range(8)]  # all within one instant
        assert pids[:4] == [os.getpid()] * 4
        assert pool.running
        assert all(pid != os.getpid() for pid in pids[4:])
        clock.now += 30
        assert await pool.stop_if_idle() is False
        clock.now += 31
        assert await pool.stop_if_idle() is True
        assert not pool.running


async def test_no_workers_means_always_here() -> None:
    clock = Clock()
    async with WorkerPool(0, burst_rate=2, clock=clock) as pool:
        assert {await pool.run(whose_pid) for _ in range(5)} == {os.getpid()}
        assert not pool.running


async def test_a_page_that_kills_workers_is_given_up_not_run_here() -> None:
    """Retried once in fresh workers, then given up: never run in the service process."""
    clock = Clock()
    me = os.getpid()
    async with WorkerPool(1, burst_rate=2, clock=clock) as pool:
        await pool.run(whose_pid)
        with pytest.raises(WorkerCrashed):
            await pool.run(partial(die_unless, me))
        assert not pool.running
        clock.now += 10
        pids = [await pool.run(whose_pid) for _ in range(3)]
        assert pool.running and pids[-1] != me  # the next burst gets fresh workers


async def test_a_worker_killed_from_outside_costs_a_retry_only(tmp_path: Path) -> None:
    """A worker that dies once (OOM killer, a signal): the page is analysed in new workers."""
    clock = Clock()
    flag = tmp_path / "died-once"
    async with WorkerPool(1, burst_rate=1, clock=clock) as pool:
        pid = await pool.run(partial(die_first_time, str(flag)))
        assert pid != os.getpid() and flag.exists()
        assert pool.running


def slow_pid(seconds: float) -> int:
    time.sleep(seconds)  # the work itself: a page that takes long to analyse
    return os.getpid()


async def test_workers_are_not_stopped_under_work_still_running() -> None:
    """Idle counts from the last result: a long analysis is not cancelled by the idle stop."""
    clock = Clock()
    async with WorkerPool(1, burst_rate=1, idle_after=60, clock=clock) as pool:
        slow = asyncio.create_task(pool.run(partial(slow_pid, 0.5)))
        await asyncio.sleep(0)  # one loop turn: the task submits the call
        assert pool.running
        clock.now += 120
        assert await pool.stop_if_idle() is False
        assert await slow != os.getpid()  # it finished in the worker
        assert await pool.stop_if_idle() is False  # idle counts from that result
        clock.now += 61
        assert await pool.stop_if_idle() is True
