"""A process to parse untrusted bytes in, under a time and a memory bound.

A ``Sandbox`` is one child Python process (``python -m watchwire.sandbox``) that runs one call
at a time: a picklable callable (a ``functools.partial`` of ``discover`` or ``analyze_page``)
goes in on its stdin, its result comes back on its stdout. Each call runs under:

- a **CPU bound** (``Limits.cpu``): an ``ITIMER_PROF`` timer armed for the call; at its end
  SIGPROF's default action ends the process, even deep inside a C parser;
- a **memory bound** (``Limits.memory``) on the process's resident size, watched from this
  process every 20 ms while a call runs: past it, SIGKILL. Parsers swallow ``MemoryError`` or
  turn a failed allocation into an error of their own (feedparser returns "MemoryError" as the
  feed's error, Lexbor "Can't parse HTML"), so a failed allocation cannot be told from a broken
  document; a kill can. ``RLIMIT_AS`` (the process's size before the call plus twice the
  bound) stops what grows faster than the watch looks;
- a **wall-clock backstop** (``Limits.wall``) in this process, for a call that waits instead
  of working (or a machine so loaded that CPU time hardly passes): past it, SIGKILL.

Any of these ends the call with :class:`OverBound`, its ``reason`` in words; the process is not
used again. A call that raises an ordinary exception re-raises it here, and the process goes
on. The child ignores SIGINT, SIGTERM and SIGHUP (the service decides when it ends: a Ctrl-C at
a terminal reaches the whole process group) and exits when its stdin closes, so it never
outlives the service by more than one call. Log records of a call are sent back with its result
and logged here, through the service's handlers (masking secrets, naming the source).

It bounds cost; it is no security boundary: the child runs as the same user, with the same
files, and its replies are unpickled here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mmap
import os
import pickle
import resource
import signal
import struct
import sys
import tempfile
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final, TypeVar, cast

__all__ = ["Limits", "OverBound", "Sandbox"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_HEADER: Final = struct.Struct("!Q?")
"""A frame's length, and whether it is in the shared memory (else it follows on the pipe)."""
_SHARED_SIZE: Final = 8 << 20
"""Memory shared with the child, for frames up to this size (a page under the default
``max_body`` and its pickling). A pipe costs the event loop ~0.5 ms of system time per 100 KB
page, a copy into memory already mapped ~0.01 ms."""
_PACKAGE_ROOT: Final = str(Path(__file__).resolve().parent.parent)
_IGNORED_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_WATCH_EVERY: Final = 0.02


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """What one call may cost."""

    cpu: float = 5.0
    """Seconds of CPU time (user and system)."""
    memory: int = 512 << 20
    """Bytes the process may hold resident (RSS) during the call, all told."""
    wall: float = 20.0
    """Seconds of wall-clock time from when the call is sent: the CPU bound with room for a
    loaded machine and a process still starting; then SIGKILL."""


class OverBound(Exception):
    """A call went over its time or memory bound, or its process died under it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        """What happened, in words that follow "parsing it": "took more than 5 s of CPU"."""


class Sandbox:
    """One child process. Start with :meth:`start`; ``close`` or ``kill`` it when done."""

    def __init__(self, proc: asyncio.subprocess.Process, shared: mmap.mmap) -> None:
        self._proc = proc
        self._shared = shared
        self._usable = True
        self._overgrown = False
        self._watching: asyncio.TimerHandle | None = None

    @classmethod
    async def start(cls) -> Sandbox:
        env = dict(os.environ)
        # The child imports the very watchwire this process runs, installed or not.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        fd = _shared_file()
        try:
            os.ftruncate(fd, _SHARED_SIZE)
            shared = mmap.mmap(fd, _SHARED_SIZE)
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "watchwire.sandbox", str(fd),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
                pass_fds=(fd,),
            )  # fmt: skip
        finally:
            os.close(fd)
        log.debug("started a sandbox (pid %d)", proc.pid)
        return cls(proc, shared)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def exited(self) -> bool:
        """Whether the process has ended and been reaped."""
        return self._proc.returncode is not None

    @property
    def usable(self) -> bool:
        """False once a call went over its bound, was cancelled, or the process died."""
        return self._usable and self._proc.returncode is None

    async def call(
        self, fn: Callable[[], T], limits: Limits, *, extra: Mapping[str, object] | None = None
    ) -> T:
        """``fn()`` computed in the child under ``limits``. Raises :class:`OverBound`, or what
        ``fn`` raised. ``extra`` is added to the call's log records (``{"source": name}``)."""
        if not self.usable:
            raise RuntimeError("this sandbox cannot be used again")
        level = logging.getLogger().getEffectiveLevel()
        request = pickle.dumps((fn, limits.cpu, limits.memory, level), pickle.HIGHEST_PROTOCOL)
        self._overgrown = False
        watch = asyncio.get_running_loop().call_later(_WATCH_EVERY, self._watch, limits.memory)
        self._watching = watch
        try:
            async with asyncio.timeout(limits.wall):
                reply = await self._exchange(request)
        except TimeoutError:
            await self._end()
            raise OverBound(f"took more than {limits.wall:g} s") from None
        except (asyncio.IncompleteReadError, ConnectionError):
            code = await self._end()
            if self._overgrown:
                raise OverBound(f"needed more than {limits.memory >> 20} MB") from None
            raise OverBound(_death(code, limits)) from None
        except BaseException:  # cancelled: the call is abandoned, and its process with it
            self.kill()
            raise
        finally:
            self._watching.cancel()
        status, value, records = pickle.loads(reply)
        _log_records(records, extra)
        if status == "memory":
            await self._end()
            raise OverBound(f"needed more than {limits.memory >> 20} MB")
        if status == "error":
            raise cast(BaseException, value)
        return cast(T, value)

    async def _exchange(self, request: bytes) -> bytes:
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.writelines(_post(self._shared, request))
        await stdin.drain()
        size, shared = _HEADER.unpack(await stdout.readexactly(_HEADER.size))
        return self._shared[:size] if shared else await stdout.readexactly(size)

    def _watch(self, memory: int) -> None:
        """Kill the process once it holds more than ``memory`` resident; else look again soon.

        A timer, not a task: most calls end before it first fires, and cancelling a timer
        costs the loop nothing."""
        resident = _resident(self._proc.pid)
        if resident is None:
            return  # gone, or no /proc: RLIMIT_AS is the bound
        if resident > memory:
            self._overgrown = True
            self.kill()
            return
        loop = asyncio.get_running_loop()
        self._watching = loop.call_later(_WATCH_EVERY, self._watch, memory)

    def kill(self) -> None:
        """End the process now (SIGKILL); ``close`` still reaps it."""
        self._usable = False
        if self._proc.returncode is None:
            # Not Process.kill(): its Popen polls first, and so may reap a child that died on
            # its own before asyncio's watcher does; then the exit status (SIGPROF: over its
            # CPU time) is lost. A signal to a zombie does nothing.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._proc.pid, signal.SIGKILL)

    async def close(self, grace: float = 1.0) -> None:
        """Let an idle process exit (its stdin closed); kill it after ``grace``."""
        self._usable = False
        stdin = self._proc.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            async with asyncio.timeout(grace):
                await self._proc.wait()
        except TimeoutError:
            await self._end()
        self._shared.close()

    async def _end(self) -> int:
        self.kill()
        code = await self._proc.wait()
        self._shared.close()
        return code


def _shared_file() -> int:
    """A file descriptor for memory shared with one child: a memfd, or a deleted temporary
    file where there is no memfd_create (not Linux)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("watchwire-sandbox")
    with tempfile.TemporaryFile() as f:
        return os.dup(f.fileno())


def _post(shared: mmap.mmap, frame: bytes) -> tuple[bytes, ...]:
    """What to write on the pipe to send ``frame``: its header alone when it fits in ``shared``
    (copied there now), else the header and the frame."""
    if len(frame) <= len(shared):
        shared[: len(frame)] = frame
        return (_HEADER.pack(len(frame), True),)
    return _HEADER.pack(len(frame), False), frame


def _resident(pid: int) -> int | None:
    """A process's resident size, from /proc (a read from memory, not from a disk)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _death(code: int, limits: Limits) -> str:
    if code == -signal.SIGPROF:
        return f"took more than {limits.cpu:g} s of CPU"
    if code < 0:
        return f"ended its process ({signal.Signals(-code).name})"
    return f"ended its process (exit status {code})"


def _log_records(records: list[logging.LogRecord], extra: Mapping[str, object] | None) -> None:
    for record in records:
        if extra:
            record.__dict__.update(extra)
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


# --- the child ----------------------------------------------------------------------------------


class _Capture(logging.Handler):
    """Keeps a call's log records, made picklable (message formatted, traceback as text)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.records.append(record)


def _read_frame(stream: BinaryIO, shared: mmap.mmap) -> bytes | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None  # the service closed our stdin: done
    size, in_shared = _HEADER.unpack(header)
    return shared[:size] if in_shared else stream.read(size)


def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _run(fn: Callable[[], object], cpu: float, memory: int) -> tuple[str, object]:
    unlimited = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
    # A backstop to the watch on the resident size: twice the bound past the size now.
    limit = _address_space() + 2 * memory
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
    signal.setitimer(signal.ITIMER_PROF, cpu)
    try:
        return "ok", fn()
    except MemoryError:
        return "memory", None
    except Exception as exc:
        # Its traceback stays here; a note carries it to the service's log.
        exc.add_note("".join(traceback.format_exception(exc)).rstrip())
        return "error", exc
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        resource.setrlimit(resource.RLIMIT_AS, unlimited)


def _reply(status: str, value: object, records: list[logging.LogRecord]) -> bytes:
    try:
        return pickle.dumps((status, value, records), pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an unpicklable result or exception: say what it was
        error = RuntimeError(f"{type(value).__name__} could not be sent back: {exc}")
        return pickle.dumps(("error", error, []), pickle.HIGHEST_PROTOCOL)


def main() -> None:
    """The child's loop: one call per frame on stdin, one reply per frame on stdout."""
    for signum in _IGNORED_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a call ended by a signal leaves no core
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    fd = int(sys.argv[1])
    shared = mmap.mmap(fd, 0)
    os.close(fd)
    sys.stdout = sys.stderr  # a stray print must not break the frames
    capture = _Capture()
    root = logging.getLogger()
    root.addHandler(capture)
    while (request := _read_frame(requests, shared)) is not None:
        capture.records = []
        status: str
        value: object
        try:
            fn, cpu, memory, level = pickle.loads(request)
        except Exception as exc:  # a callable this process cannot import, say
            status, value = "error", exc
        else:
            if level != root.level:
                root.setLevel(level)
            status, value = _run(cast(Callable[[], Any], fn), cpu, memory)
        reply = _reply(status, value, capture.records)
        replies.writelines(_post(shared, reply))
        replies.flush()
        if status == "memory":
            return


if __name__ == "__main__":
    main()
