"""What the system benchmarks share: process meters, the result protocol, stage profiles.

A benchmark reports each figure as one line on stdout::

    BENCH {"figure": "...", "measured": 212.0, "unit": "articles/s", "target": ">= 200", ...}

``bench.run`` collects those lines from every ``bench_*.py`` it runs. ``target`` is a string
(``">= 200"``, ``"<= 0.6"``, or ``""`` for a figure with no target) and ``met`` is true, false,
or null when there is nothing to meet.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import re
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CpuMeter",
    "ProcMeter",
    "emit",
    "machine",
    "stage_profile",
    "thread_cpu",
]

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def emit(
    figure: str,
    measured: float | None,
    unit: str,
    *,
    target: str = "",
    command: str = "",
    note: str = "",
    detail: bool = False,
) -> dict[str, Any]:
    """Print one result line for ``bench.run`` (and a human) and return it.

    A ``detail`` figure (a profile row, say) is kept in the logs but left out of the table.
    """
    met: bool | None = None
    if measured is not None and target:
        op, _, value = target.partition(" ")
        bound = float(value)
        met = {
            ">=": measured >= bound,
            "<=": measured <= bound,
            "<": measured < bound,
            ">": measured > bound,
        }[op]
    row = {
        "figure": figure,
        "measured": measured,
        "unit": unit,
        "target": target,
        "met": met,
        "command": command or _command(),
        "note": note,
        "detail": detail,
    }
    print("BENCH " + json.dumps(row, ensure_ascii=False), flush=True)
    return row


def _command() -> str:
    mod = Path(sys.argv[0]).stem
    return " ".join(["python -m bench." + mod, *sys.argv[1:]])


# --- CPU and memory ---------------------------------------------------------------------------


def _stat(pid: int | str, tid: int | str | None = None) -> list[str]:
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    with open(path) as f:
        text = f.read()
    return text[text.rindex(")") + 2 :].split()


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICK


def proc_rss(pid: int) -> int:
    """Resident set size of ``pid`` in bytes."""
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def proc_peak_rss(pid: int) -> int:
    """Peak RSS (VmHWM) of ``pid`` in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def thread_cpu(pid: int | None = None) -> dict[int, float]:
    """CPU seconds of every thread of ``pid`` (default: this process), by thread id."""
    pid = pid or os.getpid()
    out: dict[int, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = _stat(pid, tid)
        except FileNotFoundError:
            continue
        out[int(tid)] = (int(fields[11]) + int(fields[12])) / _TICK
    return out


def descendants(pid: int | None = None) -> list[int]:
    """Every process below ``pid`` (default: this one), children first."""
    out: list[int] = []
    todo = [pid or os.getpid()]
    while todo:
        parent = todo.pop()
        try:
            tids = os.listdir(f"/proc/{parent}/task")
        except FileNotFoundError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{parent}/task/{tid}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except (FileNotFoundError, ValueError):
                continue
            out += kids
            todo += kids
    return out


@dataclass(slots=True)
class ChildrenMeter:
    """CPU of this process's descendants (worker pools) over an interval, minus ``exclude``."""

    exclude: frozenset[int] = frozenset()
    cpu: float = 0.0
    _start: dict[int, float] | None = None

    def _now(self) -> dict[int, float]:
        out = {}
        for pid in descendants():
            if pid in self.exclude:
                continue
            try:
                out[pid] = proc_cpu(pid)
            except (FileNotFoundError, ProcessLookupError):
                continue
        return out

    def start(self) -> ChildrenMeter:
        self._start = self._now()
        return self

    def stop(self) -> ChildrenMeter:
        start = self._start or {}
        self.cpu = sum(c - start.get(pid, 0.0) for pid, c in self._now().items())
        return self


@dataclass(slots=True)
class CpuMeter:
    """CPU and wall time of this process between ``start()`` and ``stop()``, main thread apart."""

    wall: float = 0.0
    cpu: float = 0.0
    main: float = 0.0
    """CPU of the main thread (the event loop); ``cpu - main`` is every other thread's."""

    _t: float = 0.0
    _r: float = 0.0
    _m: float = 0.0

    def start(self) -> CpuMeter:
        self._t = time.perf_counter()
        ru = resource.getrusage(resource.RUSAGE_SELF)
        self._r = ru.ru_utime + ru.ru_stime
        self._m = thread_cpu().get(os.getpid(), 0.0)
        return self

    def stop(self) -> CpuMeter:
        self.wall = time.perf_counter() - self._t
        ru = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu = ru.ru_utime + ru.ru_stime - self._r
        self.main = thread_cpu().get(os.getpid(), 0.0) - self._m
        return self


@dataclass(slots=True)
class ProcMeter:
    """CPU of another process (e.g. the universe) over an interval."""

    pid: int
    _c: float = 0.0
    _t: float = 0.0
    cpu: float = 0.0
    wall: float = 0.0

    def start(self) -> ProcMeter:
        self._c, self._t = proc_cpu(self.pid), time.perf_counter()
        return self

    def stop(self) -> ProcMeter:
        self.cpu = proc_cpu(self.pid) - self._c
        self.wall = time.perf_counter() - self._t
        return self


# --- the machine ------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """CPU model, cores, memory, Python, SQLite and the versions of the libraries that matter."""
    import platform
    import sqlite3
    from importlib import metadata

    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    versions = {}
    for dist in (
        "httpx",
        "aiohttp",
        "isal",
        "selectolax",
        "APScheduler",
        "pyahocorasick",
        "numpy",
        "trafilatura",
    ):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "-"
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        **versions,
    }


# --- profile, aggregated per stage ------------------------------------------------------------

STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fetch", ("watchwire/fetch/",)),
    (
        "http client (httpx/aiohttp)",
        (
            "/httpx/",
            "/httpcore/",
            "/httpx_aiohttp/",
            "/aiohttp/",
            "/yarl/",
            "/multidict/",
            "/h11/",
            "/anyio/",
            "/sniffio/",
            "/brotli",
            "/protego",
            "http/cookiejar",
            "urllib/",
            "'zlib.",
            "'_brotli",
        ),
    ),
    ("discover", ("watchwire/discover/", "/feedparser/")),
    ("extract", ("watchwire/extract/", "selectolax", "/charset_normalizer/")),
    ("dedupe", ("watchwire/dedupe/", "/numpy/", "xxhash")),
    ("store", ("watchwire/store/", "sqlite3")),
    ("rules", ("watchwire/rules/", "ahocorasick", "unicodedata")),
    ("alerts", ("watchwire/alerts/",)),
    ("scheduler (APScheduler)", ("watchwire/scheduler.py", "/apscheduler/", "/tzlocal/")),
    ("logging", ("/logging/", "watchwire/logs.py")),
    ("glue (pipeline, service, models)", ("watchwire/",)),
    ("event loop", ("/asyncio/", "selectors", "'select.", "socket", "/ssl", "threading")),
)


def _stage_of(func: tuple[str, int, str]) -> str | None:
    filename, _, name = func
    key = filename if filename != "~" else name
    for stage, needles in STAGES:
        if any(n in key for n in needles):
            return stage
    return None


# --- py-spy: a sampling profile of the unmodified run -----------------------------------------

_SPECIFIC = tuple(name for name, _ in STAGES if name not in ("glue (pipeline, service, models)",
                                                            "event loop"))  # fmt: skip


def pyspy_path() -> Path | None:
    """The py-spy executable beside this Python, if installed (``pip install py-spy``)."""
    exe = Path(sys.executable).with_name("py-spy")
    return exe if exe.exists() else None


@contextmanager
def pyspy(pid: int, out: Path, *, rate: int = 250) -> Iterator[Path]:
    """Sample ``pid`` with py-spy (every thread, not idle) into ``out`` (collapsed stacks)."""
    exe = pyspy_path()
    if exe is None:
        raise RuntimeError("py-spy is not installed: pip install py-spy (profiling only)")
    import signal
    import subprocess

    cmd = [str(exe), "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
           "--output", str(out), "--threads", "--full-filenames", "--nonblocking"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # attached
    try:
        yield out
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _frame_stage(frame: str) -> str | None:
    """The stage of one py-spy frame, ``func (/path/file.py:line)``."""
    for stage, needles in STAGES:
        if any(n in frame for n in needles):
            return stage
    return None


def pyspy_stages(
    path: Path, detail: dict[str, dict[str, int]] | None = None
) -> dict[str, dict[str, int]]:
    """Samples per stage, for the main thread and for the other threads.

    A sample is charged to the leaf-most frame that belongs to a specific stage (fetch, the
    HTTP client, discover, extract, dedupe, store, rules, alerts); failing that, to the glue if
    watchwire is on the stack, else to the event loop.
    """
    out: dict[str, dict[str, int]] = {"main": defaultdict(int), "other": defaultdict(int)}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        group = "main" if frames and "MainThread" in frames[0] else "other"
        stage = None
        glue: str | None = None
        where = frames[-1]
        for frame in reversed(frames[1:]):
            found = _frame_stage(frame)
            if found in _SPECIFIC:
                stage, where = found, frame
                break
            root = "watchwire/cli.py" in frame or "watchwire/__main__.py" in frame
            if glue is None and found == "glue (pipeline, service, models)" and not root:
                glue = frame
        if stage is None:
            stage = "glue (pipeline, service, models)" if glue else "event loop"
            where = f"{glue} … {where}" if glue else where
        if group == "other" and stage == "event loop":
            stage = "other threads (not watchwire)"
        out[group][stage] += int(count)
        if detail is not None:
            short = re.sub(r"\(/\S*/(site-packages|lib/python3\.\d+|src)/", "(", where)
            detail.setdefault(f"{stage} [{group}]", defaultdict(int))[short] += int(count)
    return {k: dict(v) for k, v in out.items()}


@contextmanager
def profiled(enabled: bool = True) -> Iterator[cProfile.Profile | None]:
    if not enabled:
        yield None
        return
    # Thread CPU time, not wall time: waiting in epoll is not work.
    prof = cProfile.Profile(time.thread_time)
    prof.enable()
    try:
        yield prof
    finally:
        prof.disable()


def stage_profile(prof: cProfile.Profile) -> tuple[dict[str, float], list[tuple[str, float]]]:
    """Seconds of own time per stage, and the top functions.

    A function outside every stage (a builtin such as ``str.join``, or the standard library)
    is charged to the stages of its callers, in proportion to the time each caller spent in it.
    cProfile sees the main thread only: SQLite's work on the store's threads is not in here.
    """
    stats = pstats.Stats(prof)
    raw: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
    memo: dict[tuple[str, int, str], dict[str, float]] = {}

    def shares(func: tuple[str, int, str], depth: int = 0) -> dict[str, float]:
        """How ``func``'s time splits over stages (fractions summing to 1)."""
        if func in memo:
            return memo[func]
        stage = _stage_of(func)
        if stage is not None:
            memo[func] = {stage: 1.0}
            return memo[func]
        memo[func] = {"other": 1.0}  # cycle guard
        callers = raw.get(func, (0, 0, 0, 0, {}))[4]
        total = sum(v[2] for v in callers.values())
        if depth > 30 or not callers or total <= 0:
            return memo[func]
        out: dict[str, float] = defaultdict(float)
        for caller, v in callers.items():
            for s, f in shares(caller, depth + 1).items():
                out[s] += f * v[2] / total
        memo[func] = dict(out)
        return memo[func]

    per: dict[str, float] = defaultdict(float)
    for func, (_cc, _nc, tt, _ct, _callers) in raw.items():
        for s, f in shares(func).items():
            per[s] += tt * f
    top = sorted(
        ((f"{Path(fn).name}:{line}({name})", v[2]) for (fn, line, name), v in raw.items()),
        key=lambda p: -p[1],
    )[:25]
    return dict(sorted(per.items(), key=lambda p: -p[1])), top
