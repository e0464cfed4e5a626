"""The composition root: builds every stage from a config and runs them.

``Runtime`` owns the resources (store, fetcher, channels) in one ``AsyncExitStack``.
``run`` schedules them until told to stop; ``once`` polls every source a single time and
delivers what is due. Both leave the store closed cleanly however they end.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import random
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TextIO

from watchwire.alerts import Channel, Dispatcher, open_channels
from watchwire.config import Config, SourceConfig, load_config
from watchwire.dedupe import NEAR_DUPLICATE_DISTANCE
from watchwire.exceptions import ConfigError
from watchwire.fetch import Fetcher, keepalive_for
from watchwire.memory import MemoryTrimmer
from watchwire.pipeline import Poller, PollReport
from watchwire.rules import RuleSet, compile_rules
from watchwire.scheduler import Scheduler, next_fire_time
from watchwire.store import SqliteStore, Store
from watchwire.timeutil import utcnow
from watchwire.workers import WorkerPool

__all__ = [
    "OnceReport",
    "Runtime",
    "default_workers",
    "freeze_long_lived",
    "open_runtime",
    "run_once",
    "run_service",
]

log = logging.getLogger(__name__)

DRAIN_EVERY = timedelta(seconds=5)
DRAIN_BATCH = 50
STARTUP_SPREAD = 5.0
"""Seconds over which the first polls of all sources are spread at start."""
SHUTDOWN_GRACE = 10.0
TRIM_EVERY = timedelta(seconds=60)
"""How often a busy service hands freed heap back to the system (see ``memory``)."""


@dataclass(slots=True)
class Runtime:
    """The live parts built from one config. Channels and rules are swapped on reload."""

    config: Config
    store: Store
    fetcher: Fetcher
    rules: RuleSet
    poller: Poller
    dispatcher: Dispatcher
    channel_stack: AsyncExitStack
    workers: WorkerPool
    trimmer: MemoryTrimmer
    drain_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def drain(self) -> int:
        """Deliver everything due now, in batches. Returns the number of messages handled."""
        total = 0
        async with self.drain_lock:
            while True:
                handled = await self.dispatcher.drain_once()
                total += handled
                if handled < DRAIN_BATCH:
                    return total

    async def drain_job(self) -> None:
        await self.drain()

    async def memory_job(self) -> None:
        """Stop idle extraction workers, and give back what a burst of work left behind."""
        await self.workers.stop_if_idle()
        await self.trimmer.trim_after(self.poller.articles_handled)

    async def seal_due_digests(self, now: datetime) -> int:
        """Seal the digest of every channel whose period is over (used by ``once``)."""
        sealed = 0
        for name, channel in self.config.channels.items():
            if channel.digest is None:
                continue
            last = await self.store.last_digest_at(name)
            if last is None:
                last = await self.store.oldest_queued_at(name)
                if last is None:
                    continue
            due = (
                last + channel.digest
                if isinstance(channel.digest, timedelta)
                else next_fire_time(channel.digest, after=last)
            )
            if due <= now and await self.store.seal_digest(name, now=now) is not None:
                sealed += 1
        return sealed

    async def seal_digest(self, channel: str) -> None:
        if await self.store.seal_digest(channel, now=utcnow()) is not None:
            await self.drain()


def _dispatcher(config: Config, store: Store, channels: Mapping[str, Channel]) -> Dispatcher:
    policies = {name: ch.retry for name, ch in config.channels.items()}
    return Dispatcher(
        store, channels, policies, clock=utcnow, rng=random.Random(), batch=DRAIN_BATCH
    )


def _near_distance(config: Config) -> int:
    configured = config.dedupe.near_duplicate_distance
    return NEAR_DUPLICATE_DISTANCE if configured is None else configured


def freeze_long_lived() -> None:
    """Leave what exists now (imports, compiled rules: ~10^6 objects at 10,000 rules) out of
    garbage collection: every full collection would walk it again, for nothing. Freed by
    reference counting as usual; only cycles among these objects would outlive their use."""
    gc.collect()
    gc.freeze()


def default_workers() -> int:
    """Extraction worker processes: every core but the one the event loop runs on."""
    return max(0, (os.cpu_count() or 1) - 1)


@asynccontextmanager
async def open_runtime(config: Config, *, workers: int = 0) -> AsyncIterator[Runtime]:
    """Open the store, the fetcher and the channels of ``config``; close them all on exit.

    ``workers`` > 0 extracts articles in up to that many worker processes during bursts (the
    service uses ``default_workers()``); 0 always extracts in this process.
    """
    rules = compile_rules(config.rules, config.terms)
    async with AsyncExitStack() as stack:
        pool = await stack.enter_async_context(WorkerPool(workers))
        store = await stack.enter_async_context(
            SqliteStore.open(
                config.storage_path(),
                near_distance=_near_distance(config),
            )
        )
        # Idle connections outlast the poll intervals (up to 5 min): a poll reuses the last one's.
        keepalive = keepalive_for(config.settings_for(s).interval for s in config.sources)
        fetcher = await stack.enter_async_context(
            Fetcher(config.settings_for(None), keepalive=keepalive)
        )
        channel_stack = AsyncExitStack()
        channels = await channel_stack.enter_async_context(open_channels(config.channels))
        rt = Runtime(
            config=config,
            store=store,
            fetcher=fetcher,
            rules=rules,
            poller=Poller(config, rules, store=store, fetcher=fetcher, workers=pool),
            dispatcher=_dispatcher(config, store, channels),
            channel_stack=channel_stack,
            workers=pool,
            trimmer=MemoryTrimmer(store.release_memory),
        )
        # Whichever channels are live at exit: a reload swaps in a new stack.
        stack.push_async_callback(lambda: rt.channel_stack.aclose())
        yield rt


# --- once -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OnceReport:
    polls: tuple[PollReport, ...]
    delivered: int
    pending: int
    failed: int


async def run_once(
    config: Config,
    *,
    drain_timeout: float = 30.0,
    progress: TextIO | None = None,
    workers: int = 0,
) -> OnceReport:
    """Poll every enabled source once, deliver what is due (bounded wait), and return."""
    async with open_runtime(config, workers=workers) as rt:
        freeze_long_lived()
        await _take_over_outbox(rt)
        sources = [s for s in config.sources if s.enabled]
        reports: list[PollReport] = []
        gate = asyncio.Semaphore(16)
        bar = _Progress(len(sources), progress)

        async def poll(source: SourceConfig) -> None:
            async with gate:
                try:
                    reports.append(await rt.poller.poll(source, force=True))
                except Exception as exc:
                    log.exception("poll failed", extra={"source": source.name})
                    reports.append(PollReport(source=source.name, ok=False, error=str(exc)))
            bar.step(source.name)

        async with asyncio.TaskGroup() as tg:
            for source in sources:
                tg.create_task(poll(source))
        bar.done()
        await rt.seal_due_digests(utcnow())
        try:
            async with asyncio.timeout(drain_timeout):
                while True:
                    await rt.drain()
                    due = await rt.store.next_due()
                    if due is None or due > utcnow() + timedelta(seconds=drain_timeout):
                        break
                    await asyncio.sleep(max(0.05, (due - utcnow()).total_seconds()))
        except TimeoutError:
            log.info("outbox not drained within %.0fs; the rest stays pending", drain_timeout)
        counts = await rt.store.outbox_counts()
        return OnceReport(
            polls=tuple(sorted(reports, key=lambda r: r.source)),
            delivered=counts["delivered"],
            pending=counts["pending"] + counts["delivering"] + counts["queued"],
            failed=counts["failed"],
        )


class _Progress:
    """A one-line progress bar on a terminal; silent elsewhere."""

    def __init__(self, total: int, stream: TextIO | None) -> None:
        self._total = total
        self._done = 0
        self._stream = stream if stream is not None and stream.isatty() else None

    def step(self, name: str) -> None:
        self._done += 1
        if self._stream is None or not self._total:
            return
        width = 30
        filled = width * self._done // self._total
        self._stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {self._done}/{self._total} {name[:30]:30}"
        )
        self._stream.flush()

    def done(self) -> None:
        if self._stream is not None and self._total:
            self._stream.write("\n")
            self._stream.flush()


# --- run --------------------------------------------------------------------------------------


async def run_service(
    config: Config,
    *,
    stop: asyncio.Event,
    reload: asyncio.Event,
    loader: Callable[[], Config] | None = None,
    workers: int = 0,
) -> None:
    """Schedule every source until ``stop`` is set; reload the config when ``reload`` is set."""
    path = config.path
    load = loader or (lambda: load_config(path if path is not None else Path("watchwire.yaml")))
    async with open_runtime(config, workers=workers) as rt, asyncio.TaskGroup() as tg:
        freeze_long_lived()
        scheduler = Scheduler(tg)
        await _take_over_outbox(rt)
        _schedule(rt, scheduler, first=True)
        scheduler.start()
        counts = await rt.store.outbox_counts()
        log.info(
            "watching %d source(s) with %d rule(s); %d alert(s) pending from earlier runs",
            sum(s.enabled for s in rt.config.sources), len(rt.rules),
            counts["pending"] + counts["delivering"],
        )  # fmt: skip
        while not stop.is_set():
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(reload.wait())]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiters:
                    w.cancel()
            if reload.is_set() and not stop.is_set():
                reload.clear()
                await _reload(rt, scheduler, load)
        log.info("stopping")
        await scheduler.stop(grace=SHUTDOWN_GRACE)
    log.info("stopped")


async def _take_over_outbox(rt: Runtime) -> None:
    """Alerts a crashed run left mid-delivery go out at once (DESIGN: "delivered at once").

    The embedded store has one deliverer, this process: a row still 'delivering' belongs to a
    process that died. Delivery is at least once, so a receiver may see it twice, with one id.
    """
    released = await rt.store.release_leases(now=utcnow())
    if released:
        log.info("%d alert(s) left mid-delivery by an earlier run are due again", released)


def _schedule(rt: Runtime, scheduler: Scheduler, *, first: bool) -> None:
    now = utcnow()
    sources = [s for s in rt.config.sources if s.enabled]
    wanted: set[str] = set()
    for i, source in enumerate(sources):
        job = f"source:{source.name}"
        wanted.add(job)
        settings = rt.config.settings_for(source)
        # No per-run jitter: APScheduler adds it to every run of a fixed grid, so it only
        # lengthens the gap between two polls (straight onto alert latency) and never moves
        # a source off its neighbours' grid. The first runs are spread instead.
        if first:
            first_run = now + timedelta(seconds=STARTUP_SPREAD * i / max(len(sources), 1))
        else:
            # A reload keeps each source's place (pushing every poll an interval out would
            # delay every alert by up to that); a new source is polled now.
            first_run = _kept(scheduler, job, default=now, latest=now + settings.interval)
        scheduler.add_interval(
            job, partial(_poll_job, rt, scheduler, source), every=settings.interval,
            first_run=first_run,
        )  # fmt: skip
    wanted.add("outbox")
    scheduler.add_interval("outbox", rt.drain_job, every=DRAIN_EVERY, first_run=now)
    wanted.add("memory")
    later = now + TRIM_EVERY
    scheduler.add_interval(
        "memory", rt.memory_job, every=TRIM_EVERY,
        first_run=_kept(scheduler, "memory", default=later, latest=later),
    )  # fmt: skip
    for name, channel in rt.config.channels.items():
        if channel.digest is None:
            continue
        job = f"digest:{name}"
        wanted.add(job)
        work = partial(rt.seal_digest, name)
        if isinstance(channel.digest, timedelta):
            # Kept across reloads too: frequent reloads must not keep a digest from sealing.
            due = now + channel.digest
            first_run = _kept(scheduler, job, default=due, latest=due)
            scheduler.add_interval(job, work, every=channel.digest, first_run=first_run)
        else:
            scheduler.add_cron(job, work, channel.digest)
    for job in scheduler.job_ids() - wanted:
        scheduler.remove(job)


def _kept(scheduler: Scheduler, job: str, *, default: datetime, latest: datetime) -> datetime:
    """When a re-added job runs next: where it was planned (no later than ``latest``), or
    ``default`` for a job that is new."""
    planned = scheduler.next_run(job)
    return default if planned is None else min(planned, latest)


async def _poll_job(rt: Runtime, scheduler: Scheduler, source: SourceConfig) -> None:
    report = await rt.poller.poll(source)
    if report.alerts:
        # New alerts go out now, not at the next drain tick.
        scheduler.run_now("outbox", rt.drain_job)


async def _reload(rt: Runtime, scheduler: Scheduler, load: Callable[[], Config]) -> None:
    try:
        new = load()
        rules = compile_rules(new.rules, new.terms)
    except ConfigError as exc:
        log.error("config reload failed; keeping the running config:\n%s", exc)
        return
    if new.storage_path() != rt.config.storage_path():
        log.warning("storage changed to %s: that takes a restart", new.storage_path())
    stack = AsyncExitStack()
    try:
        channels = await stack.enter_async_context(open_channels(new.channels))
    except Exception:
        await stack.aclose()
        log.exception("config reload failed opening channels; keeping the running config")
        return
    async with rt.drain_lock:
        old_stack = rt.channel_stack
        rt.config, rt.rules, rt.channel_stack = new, rules, stack
        rt.dispatcher = _dispatcher(new, rt.store, channels)
        rt.poller.reconfigure(new, rules)
        await old_stack.aclose()
    _schedule(rt, scheduler, first=False)
    log.info(
        "config reloaded: %d source(s), %d rule(s), %d channel(s)",
        len(new.sources), len(rules), len(new.channels),
    )  # fmt: skip
