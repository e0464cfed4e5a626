"""The sandbox: a real child process per test, its bounds met by real work."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from tests.e2e.conftest import eventually
from watchwire.sandbox import Limits, NotStarted, OverBound, Sandbox

pytestmark = pytest.mark.timeout(60)

QUICK = Limits(cpu=0.5, memory=200 << 20, wall=10.0)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    box = await Sandbox.start()
    try:
        yield box
    finally:
        await box.close()


def whose_pid() -> int:
    return os.getpid()


def spin(flag: str | None = None) -> None:
    """Work that never ends: only a bound stops it. ``flag`` is created once it has begun."""
    if flag is not None:
        Path(flag).touch()
    while True:
        pass


def hoard(chunk: int) -> int:
    """Memory written to (so resident), a chunk at a time, without end."""
    kept = []
    while True:
        kept.append(b"x" * chunk)


def wait(seconds: float) -> None:
    time.sleep(seconds)  # a call that waits instead of working: no CPU passes


def crash() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def fail() -> None:
    raise ValueError("a broken document")


def chatty() -> int:
    logging.getLogger("watchwire.discover").warning("odd feed: %s", "no items")
    logging.getLogger("watchwire.discover").debug("not asked for")
    return 7


async def test_a_call_runs_in_another_process_which_serves_the_next_call(sandbox: Sandbox) -> None:
    first = await sandbox.call(whose_pid, QUICK)
    assert first == sandbox.pid != os.getpid()
    assert await sandbox.call(whose_pid, QUICK) == first
    assert sandbox.usable


async def test_a_call_over_its_cpu_bound_ends_with_its_process(sandbox: Sandbox) -> None:
    started = time.monotonic()
    with pytest.raises(OverBound, match=r"took more than 0\.5 s of CPU"):
        await sandbox.call(spin, QUICK)
    assert time.monotonic() - started < QUICK.wall
    assert not sandbox.usable and sandbox.exited


async def test_a_call_over_its_memory_bound_ends_with_its_process(sandbox: Sandbox) -> None:
    with pytest.raises(OverBound, match="needed more than 200 MB"):
        await sandbox.call(partial(hoard, 1 << 20), QUICK)
    assert not sandbox.usable and sandbox.exited


async def test_memory_that_grows_faster_than_the_watch_meets_the_address_space_limit(
    sandbox: Sandbox,
) -> None:
    """One allocation of twice the bound fails at once (RLIMIT_AS): the same words."""
    with pytest.raises(OverBound, match="needed more than 200 MB"):
        await sandbox.call(partial(hoard, 500 << 20), QUICK)


async def test_a_call_that_waits_meets_the_wall_clock_backstop(sandbox: Sandbox) -> None:
    with pytest.raises(OverBound, match=r"took more than 1 s"):
        await sandbox.call(partial(wait, 30), Limits(cpu=0.5, wall=1.0))
    assert sandbox.exited


async def test_a_call_that_crashes_its_process_says_how(sandbox: Sandbox) -> None:
    with pytest.raises(OverBound, match=r"ended its process \(SIGSEGV\)"):
        await sandbox.call(crash, QUICK)


async def test_an_exception_comes_back_with_its_traceback_and_the_process_goes_on(
    sandbox: Sandbox,
) -> None:
    with pytest.raises(ValueError, match="a broken document") as caught:
        await sandbox.call(fail, QUICK)
    assert "in fail" in "\n".join(caught.value.__notes__)
    assert sandbox.usable
    assert await sandbox.call(whose_pid, QUICK) == sandbox.pid


async def test_log_records_come_back_with_the_callers_fields(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert await sandbox.call(chatty, QUICK, extra={"source": "wire"}) == 7
    [record] = [r for r in caplog.records if r.name == "watchwire.discover"]
    assert record.getMessage() == "odd feed: no items"
    assert record.levelno == logging.WARNING and record.__dict__["source"] == "wire"


async def test_a_cancelled_call_ends_its_process(sandbox: Sandbox, tmp_path: Path) -> None:
    """A service stopping cancels its polls: the parse under way ends with them, at once."""
    flag = tmp_path / "running"
    call = asyncio.ensure_future(sandbox.call(partial(spin, str(flag)), Limits(cpu=30, wall=60)))
    await eventually(flag.exists, within=10, what="the call begun in the child")
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert not sandbox.usable
    await sandbox.close(grace=0)
    assert sandbox.exited


async def test_interrupts_meant_for_the_service_do_not_end_a_sandbox(sandbox: Sandbox) -> None:
    """Ctrl-C reaches a terminal's whole process group; the service decides when it ends."""
    await sandbox.call(whose_pid, QUICK)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        os.kill(sandbox.pid, signum)
    assert await sandbox.call(whose_pid, QUICK) == sandbox.pid


async def test_close_ends_an_idle_process(sandbox: Sandbox) -> None:
    await sandbox.call(whose_pid, QUICK)
    await sandbox.close()
    assert sandbox.exited and not sandbox.usable


async def test_a_call_the_child_cannot_import_is_an_error_not_a_death(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A function of this process's ``__main__`` is not in the child's: an error, the process
    goes on."""
    monkeypatch.setattr(sys.modules["__main__"], "stray", whose_pid, raising=False)
    monkeypatch.setattr(whose_pid, "__module__", "__main__")
    monkeypatch.setattr(whose_pid, "__qualname__", "stray")
    with pytest.raises(AttributeError, match="stray"):
        await sandbox.call(whose_pid, QUICK)
    monkeypatch.undo()
    assert await sandbox.call(whose_pid, QUICK) == sandbox.pid


async def test_calls_sent_together_run_one_after_the_other_each_within_its_own_bound(
    sandbox: Sandbox,
) -> None:
    """Two calls of 0.6 s each under a 1 s wall-clock bound: the second's bound counts from
    when it starts, not from when it was sent."""
    bound = Limits(cpu=0.5, wall=1.0)
    first = asyncio.ensure_future(sandbox.call(partial(wait, 0.6), bound))
    second = asyncio.ensure_future(sandbox.call(partial(wait, 0.6), bound))
    await asyncio.sleep(0)  # both sent
    assert sandbox.queued == 2
    assert await asyncio.gather(first, second) == [None, None]
    assert sandbox.usable and sandbox.queued == 0


async def test_a_call_queued_behind_one_over_its_bound_never_ran(sandbox: Sandbox) -> None:
    first = asyncio.ensure_future(sandbox.call(spin, QUICK))
    second = asyncio.ensure_future(sandbox.call(whose_pid, QUICK))
    with pytest.raises(OverBound, match="CPU"):
        await first
    with pytest.raises(NotStarted):
        await second


async def test_a_call_queued_behind_one_out_of_memory_never_ran(sandbox: Sandbox) -> None:
    """The child reports a MemoryError, then exits: the call behind it is for another."""
    first = asyncio.ensure_future(sandbox.call(partial(hoard, 500 << 20), QUICK))
    second = asyncio.ensure_future(sandbox.call(whose_pid, QUICK))
    with pytest.raises(OverBound, match="needed more than 200 MB"):
        await first
    with pytest.raises(NotStarted):
        await second
