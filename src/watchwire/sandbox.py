"""A process to parse untrusted bytes in, under a time and a memory bound.

A ``Sandbox`` is one child Python process (``python -m watchwire.sandbox``) that runs one call
at a time, with up to three queued: a picklable callable (a ``functools.partial`` of
``discover`` or ``analyze_page``) goes in, its result comes back, through memory shared with
the child (a header on its stdin and stdout says where). Each call runs under:

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
used again, and a call queued behind it fails with :class:`NotStarted` (it never ran: the
caller runs it elsewhere). A call that raises an ordinary exception re-raises it here, and the
process goes on. The child ignores SIGINT, SIGTERM and SIGHUP (the service decides when it
ends: a Ctrl-C at a terminal reaches the whole process group) and exits when its stdin closes,
so it never outlives the service by more than the calls it was sent. Log records of a call
are sent back with its result and logged here, through the service's handlers (masking
secrets, naming the source).

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
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final, TypeVar, cast

__all__ = ["CannotStart", "Limits", "NotStarted", "OverBound", "Sandbox"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_HEADER: Final = struct.Struct("!QB?")
"""A frame's length, its call's slot of shared memory, and whether the frame is in it (else it
follows on the pipe: one larger than a slot)."""
_SLOT_SIZE: Final = 8 << 20
"""Memory shared with the child per call in flight, for frames up to this size (a page under
the default ``max_body`` and its pickling). A pipe costs the event loop ~0.5 ms of system time
per 100 KB page, a copy into memory already mapped ~0.01 ms."""
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
    """Seconds of wall-clock time from when the call starts (is sent, when none is ahead of it):
    the CPU bound with room for a loaded machine and a process still starting; then SIGKILL."""


class OverBound(Exception):
    """A call went over its time or memory bound, or its process died under it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        """What happened, in words that follow "parsing it": "took more than 5 s of CPU"."""


class NotStarted(Exception):
    """A call queued behind another whose process ended: it never ran, run it elsewhere."""


class CannotStart(Exception):
    """No sandbox process could be started (the machine is out of processes, memory or file
    descriptors): nothing was parsed, and nothing is wrong with the document."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(eq=False, slots=True)
class _Call:
    future: asyncio.Future[object]
    limits: Limits
    slot: int
    extra: Mapping[str, object] | None
    deadline: asyncio.TimerHandle | None = None


class Sandbox:
    """One child process. Start with :meth:`start`; ``close`` or ``kill`` it when done.

    Calls are pipelined: up to ``DEPTH`` may be sent at once, run one after the other, so the
    child starts the next the moment it is done with one, not once the event loop has taken
    the result and found the next (a loop busy with a crawl takes milliseconds to). Four, not
    two: with one queued, a worker on a loaded machine waited for the loop after most pages
    (cold crawl, one worker: 76-101 articles/s against main's 90-153; with four, 115-216).
    Bounds count from when a call starts running.
    """

    DEPTH: Final = 4

    def __init__(self, proc: asyncio.subprocess.Process, shared: mmap.mmap) -> None:
        self._proc = proc
        self._shared = shared
        self._calls: deque[_Call] = deque()
        """Sent and not answered yet, in order: the first is running."""
        self._free = list(range(self.DEPTH))
        self._usable = True
        self._cause: str | None = None
        """Why this process was killed, once it was."""
        self._watching: asyncio.TimerHandle | None = None
        self._replies = asyncio.ensure_future(self._read_replies())

    @classmethod
    async def start(cls) -> Sandbox:
        env = dict(os.environ)
        # The child imports the very watchwire this process runs, installed or not.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        try:
            fd = _shared_file()
            try:
                os.ftruncate(fd, _SLOT_SIZE * cls.DEPTH)
                shared = mmap.mmap(fd, _SLOT_SIZE * cls.DEPTH)
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "watchwire.sandbox", str(fd),
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
                    pass_fds=(fd,),
                )  # fmt: skip
            finally:
                os.close(fd)
        except OSError as exc:
            why = (exc.strerror or str(exc)).lower()
            raise CannotStart(f"no process could be started to parse it ({why})") from None
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

    @property
    def queued(self) -> int:
        """Calls sent and not answered yet."""
        return len(self._calls)

    async def call(
        self, fn: Callable[[], T], limits: Limits, *, extra: Mapping[str, object] | None = None
    ) -> T:
        """``fn()`` computed in the child under ``limits``. Raises :class:`OverBound`, what
        ``fn`` raised, or :class:`NotStarted`. ``extra`` is added to the call's log records
        (``{"source": name}``)."""
        if not self.usable or not self._free:
            raise RuntimeError("this sandbox takes no more calls")
        level = logging.getLogger().getEffectiveLevel()
        request = pickle.dumps((fn, limits.cpu, limits.memory, level), pickle.HIGHEST_PROTOCOL)
        call = _Call(asyncio.get_running_loop().create_future(), limits, self._free.pop(), extra)
        self._calls.append(call)
        if len(self._calls) == 1:
            self._begin(call)
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            stdin.writelines(_post(self._shared, request, call.slot))
            await stdin.drain()
            return cast(T, await call.future)
        except ConnectionError:  # the child is gone: its reader says why
            return cast(T, await call.future)
        except asyncio.CancelledError:  # abandoned: the call, and the process with it
            self.kill()
            raise

    def _begin(self, call: _Call) -> None:
        """``call`` starts running now: its wall-clock bound, and the memory watch, count."""
        loop = asyncio.get_running_loop()
        call.deadline = loop.call_later(call.limits.wall, self._overrun, call.limits.wall)
        if self._watching is None:
            self._watching = loop.call_later(_WATCH_EVERY, self._watch)

    def _overrun(self, wall: float) -> None:
        self._kill_for(f"took more than {wall:g} s")

    def _watch(self) -> None:
        """Kill the process once it holds more than the running call may; else look again
        soon. A timer, not a task: cancelling it when the calls are done costs nothing."""
        self._watching = None
        if not self._calls:
            return
        resident = _resident(self._proc.pid)
        if resident is None:
            return  # gone, or no /proc: RLIMIT_AS is the bound
        memory = self._calls[0].limits.memory
        if resident > memory:
            self._kill_for(f"needed more than {memory >> 20} MB")
            return
        self._watching = asyncio.get_running_loop().call_later(_WATCH_EVERY, self._watch)

    async def _read_replies(self) -> None:
        """Answer the calls in the order sent, as the child replies; fail them all when the
        child is gone."""
        stdout = self._proc.stdout
        assert stdout is not None
        try:
            while True:
                size, slot, shared = _HEADER.unpack(await stdout.readexactly(_HEADER.size))
                call = self._calls[0]
                reply = (
                    _fetch(self._shared, size, slot) if shared else await stdout.readexactly(size)
                )
                self._calls.popleft()
                self._free.append(call.slot)
                if call.deadline is not None:
                    call.deadline.cancel()
                if not self._settle(call, reply):
                    break  # the child exits after this reply: none behind it will run
                if self._calls:
                    self._begin(self._calls[0])
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the child is gone
        except Exception:  # a bug here must not leave calls waiting forever
            log.exception("cannot read a sandbox's reply")
            self._kill_for("sent a reply that could not be read")
        self._fail_all(await self._end())

    def _settle(self, call: _Call, reply: bytes) -> bool:
        """Answer ``call`` from its reply. False when the child exits after it."""
        status: str
        value: object
        records: list[logging.LogRecord]
        try:
            status, value, records = pickle.loads(reply)
        except Exception as exc:  # a result of a type this process cannot load, say
            status, value, records = "error", exc, []
        _log_records(records, call.extra)
        if status == "memory":
            self._usable = False
            error: BaseException = OverBound(f"needed more than {call.limits.memory >> 20} MB")
        elif status != "ok":
            error = cast(BaseException, value)
        if not call.future.done():  # not cancelled meanwhile
            if status == "ok":
                call.future.set_result(value)
            else:
                call.future.set_exception(error)
        return status != "memory"

    def _fail_all(self, code: int) -> None:
        running = self._calls[0] if self._calls and self._calls[0].deadline else None
        for call in self._calls:
            if call.deadline is not None:
                call.deadline.cancel()
            if call.future.done():
                continue
            if call is running:
                call.future.set_exception(OverBound(self._cause or _death(code, call.limits)))
            else:
                call.future.set_exception(NotStarted())
        self._calls.clear()

    def _kill_for(self, cause: str) -> None:
        if self._cause is None:
            self._cause = cause
        self.kill()

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
        """Let the process exit (its stdin closed) once its calls are done; kill it after
        ``grace``. Calls still queued then fail."""
        self._usable = False
        stdin = self._proc.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            async with asyncio.timeout(grace):
                await asyncio.shield(self._replies)
        except TimeoutError:
            self._kill_for(f"was stopped after {grace:g} s")
            await self._replies

    async def _end(self) -> int:
        self.kill()
        code = await self._proc.wait()
        if self._watching is not None:
            self._watching.cancel()
        self._shared.close()
        return code


def _shared_file() -> int:
    """A file descriptor for memory shared with one child: a memfd, or a deleted temporary
    file where there is no memfd_create (not Linux)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("watchwire-sandbox")
    with tempfile.TemporaryFile() as f:
        return os.dup(f.fileno())


def _slot(shared: mmap.mmap, slot: int) -> memoryview:
    return memoryview(shared)[slot * _SLOT_SIZE : (slot + 1) * _SLOT_SIZE]


def _post(shared: mmap.mmap, frame: bytes, slot: int) -> tuple[bytes, ...]:
    """What to write on the pipe to send ``frame`` for the call of ``slot``: its header alone
    when it fits in the slot (copied there now), else the header and the frame."""
    if len(frame) <= _SLOT_SIZE:
        with _slot(shared, slot) as room:
            room[: len(frame)] = frame
        return (_HEADER.pack(len(frame), slot, True),)
    return _HEADER.pack(len(frame), slot, False), frame


def _fetch(shared: mmap.mmap, size: int, slot: int) -> bytes:
    with _slot(shared, slot) as room:
        return bytes(room[:size])


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


def _read_frame(stream: BinaryIO, shared: mmap.mmap) -> tuple[bytes, int] | None:
    """The next request, and its call's slot of shared memory (for the reply)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None  # the service closed our stdin: done
    size, slot, in_shared = _HEADER.unpack(header)
    return (_fetch(shared, size, slot) if in_shared else stream.read(size)), slot


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
    while (frame := _read_frame(requests, shared)) is not None:
        request, slot = frame
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
        replies.writelines(_post(shared, reply, slot))
        replies.flush()
        if status == "memory":
            return


if __name__ == "__main__":
    main()
