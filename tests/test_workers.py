"""Workers: in this process for a trickle of small documents, sandboxed processes for a burst
and for every document too costly to parse here."""

from __future__ import annotations

import asyncio
import os
import sys
from functools import partial
from pathlib import Path

import pytest

from tests.e2e.conftest import eventually
from watchwire.workers import CannotStart, Limits, OverBound, WorkerPool

pytestmark = pytest.mark.timeout(60)

QUICK = Limits(cpu=0.5, memory=200 << 20, wall=10.0)


def whose_pid() -> int:
    return os.getpid()


def die_unless(parent: int) -> int:
    """Kills the worker it runs in; in the parent it answers."""
    if os.getpid() != parent:
        os._exit(1)
    return parent


def slow_pid(flag: str) -> int:
    """Work that takes a while (a page long to analyse); ``flag`` says it has begun."""
    Path(flag).touch()
    total = 0
    for i in range(30_000_000):
        total += i
    return os.getpid()


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
        assert len(set(pids[4:])) == 1  # one worker, kept for the next call
        clock.now += 30
        assert await pool.stop_if_idle() is False
        clock.now += 31
        assert await pool.stop_if_idle() is True
        assert not pool.running
        assert await pool.run(whose_pid) == os.getpid()  # the burst is over


async def test_what_does_not_fit_here_goes_to_a_worker_even_with_none_for_bursts() -> None:
    """``size`` 0 (one core): no burst workers, but a large document still gets a sandbox."""
    clock = Clock()
    async with WorkerPool(0, burst_rate=2, clock=clock) as pool:
        assert {await pool.run(whose_pid) for _ in range(5)} == {os.getpid()}
        assert not pool.running
        elsewhere = await pool.run(whose_pid, fits_here=lambda: False)
        assert elsewhere != os.getpid() and pool.running
        assert await pool.run(whose_pid) == os.getpid()  # small ones stay here


async def test_a_call_over_its_bound_costs_only_its_worker() -> None:
    """The error says why; the next call gets a fresh worker; nothing ran here."""
    me = os.getpid()
    async with WorkerPool(1, limits=QUICK) as pool:
        first = await pool.isolated(whose_pid)
        with pytest.raises(OverBound, match="exit status 1"):
            await pool.isolated(partial(die_unless, me))
        second = await pool.isolated(whose_pid)
        assert second not in (me, first)


async def test_workers_are_not_stopped_under_work_still_running(tmp_path: Path) -> None:
    """Idle counts from the last result: a long analysis is not cancelled by the idle stop."""
    clock = Clock()
    flag = tmp_path / "begun"
    async with WorkerPool(1, burst_rate=1, idle_after=60, clock=clock) as pool:
        slow = asyncio.create_task(pool.run(partial(slow_pid, str(flag))))
        await eventually(flag.exists, within=10, what="the call begun in its worker")
        clock.now += 120
        assert await pool.stop_if_idle() is False
        assert await slow != os.getpid()  # it finished in the worker
        assert await pool.stop_if_idle() is False  # idle counts from that result
        clock.now += 61
        assert await pool.stop_if_idle() is True


async def test_calls_beyond_the_workers_wait_for_one() -> None:
    """Two workers for a burst: three calls at once run on at most two processes."""
    async with WorkerPool(2) as pool:
        pids = await asyncio.gather(*(pool.isolated(whose_pid) for _ in range(3)))
        assert len(set(pids)) <= 2 and os.getpid() not in pids


async def test_a_call_queued_behind_one_over_its_bound_runs_in_another_worker() -> None:
    """One worker, two calls: the first kills it, the second (which never ran) is answered by
    a new worker, not failed."""
    me = os.getpid()
    async with WorkerPool(1, limits=QUICK) as pool:
        doomed = asyncio.ensure_future(pool.isolated(partial(die_unless, me)))
        fine = asyncio.ensure_future(pool.isolated(whose_pid))
        with pytest.raises(OverBound):
            await doomed
        assert await fine not in (me, None)


async def test_a_worker_that_cannot_start_is_said_in_words_and_the_pool_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No process can be started (the interpreter is gone, as after an upgrade under a running
    service): every call waiting for a worker hears why, and once processes start again the
    pool works as before."""
    async with WorkerPool(1, limits=QUICK) as pool:
        with monkeypatch.context() as m:
            m.setattr(sys, "executable", str(tmp_path / "no-such-python"))
            calls = [pool.isolated(whose_pid) for _ in range(3)]  # one starts, two wait
            results = await asyncio.gather(*calls, return_exceptions=True)
        for result in results:
            assert isinstance(result, CannotStart), result
            assert result.reason.startswith("no process could be started to parse it (")
        assert await pool.isolated(whose_pid) != os.getpid()
