"""The composition root: builds every stage from a config and runs them.

``Service`` owns the resources (store, fetcher, channels, workers) in one ``AsyncExitStack``,
and the current ``Snapshot`` (config + compiled rules), swapped whole on reload. ``run``
schedules the stages until told to stop; ``once`` polls every source a single time and delivers
what is due. Both leave the store closed cleanly however they end.

``run`` is one worker of a deployment that may have several (over PostgreSQL): which source is
due lives in the store, and APScheduler drives this worker's periodic jobs — claim the due
sources it has room for (``rota``), keep its leases alive and free those of workers that are
gone, wake the dispatcher's lanes, seal digests (the fetcher gives back by itself the hosts it
no longer requests). A message queued by any worker wakes the lanes at once
(``LeaseKeeper.outbox_wakeup``). With one worker (SQLite) it is the same model, every lease its
own.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import random
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TextIO

from watchwire.alerts import Channel, Dispatcher, open_channels
from watchwire.config import Config, RetryPolicy, SourceConfig, load_config
from watchwire.dedupe import NEAR_DUPLICATE_DISTANCE
from watchwire.exceptions import ConfigError, StoreError, WatchwireError
from watchwire.fetch import Fetcher, keepalive_for
from watchwire.memory import MemoryTrimmer, release_free_memory
from watchwire.metrics import Metrics
from watchwire.observe import NullObserver, Observer
from watchwire.pipeline import Poller, PollReport
from watchwire.retention import Pruner
from watchwire.rota import LEASE, Rota
from watchwire.scheduler import Scheduler, next_digest_at
from watchwire.snapshot import Snapshot
from watchwire.store import (
    DryRunStore,
    OutboxRow,
    SourceLease,
    Store,
    WouldAlert,
    locate_store,
    open_store,
)
from watchwire.timeutil import iso_z, utcnow
from watchwire.web import HttpServer, WebContext
from watchwire.workers import WorkerPool

__all__ = [
    "OnceReport",
    "Service",
    "default_workers",
    "freeze_long_lived",
    "open_service",
    "run_once",
    "run_service",
]

log = logging.getLogger(__name__)

DRAIN_EVERY = timedelta(seconds=5)
DRAIN_BATCH = 50
CLAIM_EVERY = timedelta(seconds=5)
"""The longest a worker goes without looking for due sources (other workers' leases expire,
reloads add sources); in between it wakes when its next source falls due."""
CLAIM_COALESCE = timedelta(milliseconds=250)
"""Sources falling due this close together are claimed in one go."""
KEEP_EVERY = timedelta(seconds=5)
"""Leases renewed (well inside ``rota.LEASE``) and those of gone workers freed this often."""
DIGEST_CHECK = timedelta(seconds=60)
"""The longest an interval digest that is due waits to be sealed (by whichever worker)."""
PRUNE_EVERY = timedelta(minutes=10)
"""How often ``run`` prunes what retention says is old."""
ONCE_PRUNE_BUDGET = 30.0
"""Seconds ``once`` spends pruning at most (cron runs it again)."""
SHUTDOWN_GRACE = 10.0
VERIFY_EVERY = timedelta(seconds=2)
"""How often the service makes sure its store file is still there."""
TRIM_EVERY = timedelta(seconds=60)
"""How often a busy service hands freed heap back to the system (see ``memory``)."""


@dataclass(slots=True)
class Service:
    """The live parts built from one config. The snapshot and channels are swapped on reload."""

    snapshot: Snapshot
    store: Store
    fetcher: Fetcher
    poller: Poller
    dispatcher: Dispatcher
    channel_stack: AsyncExitStack
    workers: WorkerPool
    trimmer: MemoryTrimmer
    rota: Rota
    pruner: Pruner
    failure: WatchwireError | None = None
    """What made the service stop on its own (its store gone); ``run`` raises it."""
    failed: asyncio.Event = field(default_factory=asyncio.Event)
    observer: Observer = field(default_factory=NullObserver)

    @property
    def config(self) -> Config:
        return self.snapshot.config

    async def drain(self) -> int:
        """Deliver everything due now, every channel's lane side by side, and wait for it
        (``once``; the running service's lanes deliver on their own). Returns how many."""
        total = 0
        while handled := await self.dispatcher.drain_once():
            total += handled
        return total

    async def drain_job(self) -> None:
        self.dispatcher.wake()

    async def verify_job(self) -> None:
        """Stop the service if its store is gone: storing into a deleted file loses
        everything, and a restart on a new one would alert every story again."""
        try:
            await self.store.verify()
        except StoreError as exc:
            self.fail(exc)

    def fail(self, error: WatchwireError) -> None:
        if self.failure is None:
            log.error("%s", error)
            self.failure = error
            self.failed.set()

    async def keep_job(self) -> None:
        """Keep this worker's leases alive; free those of workers that are gone."""
        now = utcnow()
        await self.store.renew_leases(now=now, lease=LEASE)
        freed = await self.store.release_orphans(now=now)
        if freed:
            log.info("took over %d lease(s) of worker(s) that are gone", freed)

    async def memory_job(self) -> None:
        """Stop idle extraction workers, and give back what a burst of work left behind."""
        await self.workers.stop_if_idle()
        await self.trimmer.trim_after(self.poller.articles_handled)

    async def seal_due_digests(self, now: datetime) -> int:
        """Seal the digest of every channel whose period is over."""
        sealed = 0
        for name, channel in self.config.channels.items():
            if channel.digest is not None and await self._seal_if_due(name, channel.digest, now):
                sealed += 1
        return sealed

    async def _seal_if_due(self, channel: str, schedule: timedelta | str, now: datetime) -> bool:
        """Seal ``channel``'s digest if its period is over: once, whichever workers look.

        Due a period after the last digest (or after the oldest alert waiting, before the
        first); every worker computes the same time from the store, and the store seals only
        if no digest was sealed since, so the period gets one digest between them.
        """
        last = await self.store.last_digest_at(channel)
        anchor = last or await self.store.oldest_queued_at(channel)
        if anchor is None:
            return False
        due = next_digest_at(schedule, after=anchor)
        # A job fires when it is due, a hair before the digest it sealed last time was stamped.
        slack = min(schedule / 10, timedelta(seconds=30)) if isinstance(schedule, timedelta) \
            else timedelta(seconds=1)  # fmt: skip
        if due > now + slack:
            return False
        sealed = await self.store.seal_digest(channel, now=now, unless_since=due - slack)
        return sealed is not None

    async def prune_job(self) -> None:
        await self.pruner.run(self.config.storage)

    async def seal_digest(self, channel: str) -> None:
        schedule = self.config.channels[channel].digest if channel in self.config.channels else None
        if schedule is not None and await self._seal_if_due(channel, schedule, utcnow()):
            self.dispatcher.wake()


def _policies(config: Config) -> dict[str, RetryPolicy]:
    return {name: ch.retry for name, ch in config.channels.items()}


def _dispatcher(
    config: Config, store: Store, channels: Mapping[str, Channel], observer: Observer
) -> Dispatcher:
    return Dispatcher(
        store, channels, _policies(config), clock=utcnow, rng=random.Random(), batch=DRAIN_BATCH,
        observer=observer,
    )  # fmt: skip


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
async def open_service(
    config: Config | Snapshot, *, workers: int = 0, observer: Observer | None = None
) -> AsyncIterator[Service]:
    """Open the store, the fetcher and the channels of ``config``; close them all on exit.

    A ``Config`` is compiled here; pass a ``Snapshot`` to reuse rules already compiled.
    ``workers`` > 0 extracts articles in up to that many worker processes during bursts (the
    service uses ``default_workers()``); 0 always extracts in this process. ``observer``
    hears what the stages do (``metrics.Metrics`` for ``/metrics``).
    """
    observer = observer or NullObserver()
    snapshot = config if isinstance(config, Snapshot) else Snapshot.build(config)
    config = snapshot.config
    async with AsyncExitStack() as stack:
        pool = await stack.enter_async_context(WorkerPool(workers))
        store = await stack.enter_async_context(
            open_store(config.store_location(), near_distance=_near_distance(config), service=True)
        )
        # Opening checked the file for damage, reading pages into SQLite's cache; the cache
        # is emptied after, but the heap it freed stays with the process (~64 MB on a large
        # store) unless handed back.
        release_free_memory()
        # Idle connections outlast the poll intervals (up to 5 min): a poll reuses the last one's.
        keepalive = keepalive_for(config.settings_for(s).interval for s in config.sources)
        fetcher = await stack.enter_async_context(
            Fetcher(config.settings_for(None), keepalive=keepalive, hosts=store)
        )
        channel_stack = AsyncExitStack()
        channels = await channel_stack.enter_async_context(open_channels(config.channels))
        svc = Service(
            snapshot=snapshot,
            store=store,
            fetcher=fetcher,
            poller=Poller(snapshot, store=store, fetcher=fetcher, workers=pool, observer=observer),
            dispatcher=_dispatcher(config, store, channels, observer),
            channel_stack=channel_stack,
            workers=pool,
            trimmer=MemoryTrimmer(store.release_memory),
            rota=Rota(store),
            pruner=Pruner(store),
            observer=observer,
        )
        # Whichever channels are live at exit: a reload swaps in a new stack.
        stack.push_async_callback(lambda: svc.channel_stack.aclose())
        yield svc


# --- once -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OnceReport:
    """What one ``watchwire once`` did: its polls, and the messages it made or tried."""

    polls: tuple[PollReport, ...]
    messages: tuple[OutboxRow, ...] = ()
    """Messages this run made or tried to deliver, as they stand at its end."""
    queued: int = 0
    """Alerts of this run waiting for their channel's digest (not a failure)."""
    would_alert: tuple[WouldAlert, ...] = ()
    """With ``dry_run``: the alerts a real run would have written."""
    dry_run: bool = False

    def count(self, *states: str) -> int:
        return sum(m.state in states for m in self.messages)

    @property
    def delivered(self) -> int:
        return self.count("delivered")

    @property
    def failed(self) -> int:
        """Given up on, or refused for good."""
        return self.count("failed")

    @property
    def waiting(self) -> int:
        """Failed for now, waiting for a retry (or not yet tried) when the run ended."""
        return self.count("pending", "delivering")

    @property
    def ok(self) -> bool:
        """Everything asked was done: every source read, every message delivered."""
        return all(p.ok for p in self.polls) and not self.failed and not self.waiting


async def run_once(
    config: Config | Snapshot,
    *,
    drain_timeout: float = 30.0,
    progress: TextIO | None = None,
    workers: int = 0,
    sources: Sequence[str] | None = None,
    dry_run: bool = False,
) -> OnceReport:
    """Poll every enabled source (or those named in ``sources``, enabled or not) once, deliver
    what is due (bounded wait), and say what this run did. ``dry_run``: store nothing, send
    nothing; the report says what would have alerted."""
    snapshot = config if isinstance(config, Snapshot) else Snapshot.build(config)
    chosen = [
        s for s in snapshot.config.sources
        if (s.name in sources if sources is not None else s.enabled)
    ]  # fmt: skip
    if dry_run:
        return await _dry_run(snapshot, chosen, progress=progress, workers=workers)
    started = utcnow()
    async with open_service(snapshot, workers=workers) as svc:
        freeze_long_lived()
        await _take_over_outbox(svc)
        reports = await _poll_all(svc.poller, chosen, progress)
        await svc.seal_due_digests(utcnow())
        try:
            async with asyncio.timeout(drain_timeout):
                while True:
                    await svc.drain()
                    due = await svc.store.next_due()
                    if due is None or due > utcnow() + timedelta(seconds=drain_timeout):
                        break
                    await asyncio.sleep(max(0.05, (due - utcnow()).total_seconds()))
        except TimeoutError:
            log.info("outbox not drained within %.0fs; the rest stays pending", drain_timeout)
        await svc.pruner.run(svc.config.storage, budget=ONCE_PRUNE_BUDGET)
        touched = await svc.store.list_outbox(changed_since=started, limit=_REPORT_LIMIT)
        return OnceReport(
            polls=reports,
            messages=tuple(m for m in touched if m.state != "queued"),
            queued=sum(m.state == "queued" for m in touched),
        )


_REPORT_LIMIT = 100_000
"""Messages one run's report looks at, at most (a first crawl of many rules makes thousands)."""


async def _poll_all(
    poller: Poller, sources: Sequence[SourceConfig], progress: TextIO | None
) -> tuple[PollReport, ...]:
    reports: list[PollReport] = []
    gate = asyncio.Semaphore(16)
    bar = _Progress(len(sources), progress)

    async def poll(source: SourceConfig) -> None:
        async with gate:
            try:
                reports.append(await poller.poll(source, force=True))
            except WatchwireError as exc:  # the store in trouble (a full disk): said in words
                log.error("poll failed: %s", exc, extra={"source": source.name})
                reports.append(PollReport(source=source.name, ok=False, error=str(exc)))
            except Exception as exc:
                log.exception("poll failed", extra={"source": source.name})
                reports.append(PollReport(source=source.name, ok=False, error=str(exc)))
        bar.step(source.name)

    async with asyncio.TaskGroup() as tg:
        for source in sources:
            tg.create_task(poll(source))
    bar.done()
    return tuple(sorted(reports, key=lambda r: r.source))


async def _dry_run(
    snapshot: Snapshot, sources: Sequence[SourceConfig], *, progress: TextIO | None, workers: int
) -> OnceReport:
    """Poll through a ``DryRunStore``: the real store read (or an empty one when there is
    none yet: nothing is created), nothing written, no channel opened."""
    config = snapshot.config
    location = config.store_location()
    if not location.exists():
        location = locate_store(":memory:")
    async with AsyncExitStack() as stack:
        pool = await stack.enter_async_context(WorkerPool(workers))
        base = await stack.enter_async_context(
            open_store(location, near_distance=_near_distance(config))
        )
        fetcher = await stack.enter_async_context(Fetcher(config.settings_for(None)))
        dry = DryRunStore(base)
        poller = Poller(snapshot, store=dry, fetcher=fetcher, workers=pool)
        reports = await _poll_all(poller, sources, progress)
        return OnceReport(polls=reports, would_alert=tuple(dry.would_alert), dry_run=True)


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
    config: Config | Snapshot,
    *,
    stop: asyncio.Event,
    reload: asyncio.Event,
    loader: Callable[[], Config] | None = None,
    workers: int = 0,
) -> None:
    """Poll the due sources until ``stop`` is set; reload the config when ``reload`` is set.

    A reload runs beside everything else (polls, deliveries, a stop): it never waits on a
    delivery. Stopping gives running polls and deliveries ``SHUTDOWN_GRACE`` seconds together,
    then cancels them (an interrupted delivery is due again at once). Raises the error that
    made the service stop on its own (its store deleted), after a clean shutdown.
    """
    path = (config.config if isinstance(config, Snapshot) else config).path
    load = loader or (lambda: load_config(path if path is not None else Path("watchwire.yaml")))
    http = (config.config if isinstance(config, Snapshot) else config).http
    metrics = Metrics() if http is not None else None
    async with AsyncExitStack() as outer:
        svc = await outer.enter_async_context(
            open_service(config, workers=workers, observer=metrics)
        )
        tg = await outer.enter_async_context(asyncio.TaskGroup())
        freeze_long_lived()
        scheduler = Scheduler(tg)
        if http is not None and metrics is not None:
            context = WebContext(
                snapshot=lambda: svc.snapshot,
                store=svc.store,
                metrics=metrics,
                readiness=lambda: {"config": True, "scheduler": scheduler.running},
                workers=lambda: svc.workers.processes,
                sandboxes=svc.workers,
                started_at=utcnow(),
                token=http.token.get_secret_value() if http.token else None,
                wake_dispatcher=lambda: svc.dispatcher.wake(),
            )
            await outer.enter_async_context(HttpServer(context, http.host, http.port))
        await _take_over_outbox(svc)
        await _warn_unhealthy(svc)
        lanes = tg.create_task(svc.dispatcher.serve(), name="dispatcher")
        await svc.rota.plan(svc.config)
        _schedule(svc, scheduler)
        scheduler.start()
        wakeups = tg.create_task(_deliver_when_queued(svc), name="outbox wake-ups")
        counts = await svc.store.outbox_counts()
        log.info(
            "watching %d source(s) with %d rule(s); %d alert(s) pending from earlier runs",
            sum(s.enabled for s in svc.config.sources), len(svc.snapshot.rules),
            counts["pending"] + counts["delivering"],
        )  # fmt: skip
        reloading: asyncio.Task[None] | None = None
        while not stop.is_set() and svc.failure is None:
            await _first_of(stop, reload, svc.failed)
            if reload.is_set() and not stop.is_set() and svc.failure is None:
                if reloading is None or reloading.done():
                    reload.clear()
                    reloading = tg.create_task(_reload(svc, scheduler, load, tg))
                else:  # a SIGHUP during a reload: once this one is in, another
                    await _first_of(stop, svc.failed, done=reloading)
        log.info("stopping")
        wakeups.cancel()
        if reloading is not None:
            reloading.cancel()
        await asyncio.gather(
            scheduler.stop(grace=SHUTDOWN_GRACE),
            svc.dispatcher.stop(grace=SHUTDOWN_GRACE),
        )
        await asyncio.wait([lanes], timeout=1.0)
    log.info("stopped")
    if svc.failure is not None:
        raise svc.failure


async def _first_of(*events: asyncio.Event, done: asyncio.Task[None] | None = None) -> None:
    """Wait until any of ``events`` is set (or ``done`` is done)."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(
            [*waiters, *([done] if done is not None else [])],
            return_when=asyncio.FIRST_COMPLETED,
        )
    finally:
        for w in waiters:
            w.cancel()


async def _warn_unhealthy(svc: Service) -> None:
    """At start, a warning for every source whose stored state is not ok: a restart must not
    hide a source that was failing before it."""
    stored = {s.name: s for s in await svc.store.source_states()}
    for source in svc.config.sources:
        st = stored.get(source.name)
        if source.enabled and st is not None and st.state not in (None, "ok", "never-polled"):
            log.warning("source is %s since %s: %s", st.state, iso_z(st.state_since),
                        st.state_reason or "", extra={"source": source.name})  # fmt: skip


async def _take_over_outbox(svc: Service) -> None:
    """Alerts a crashed run left mid-delivery go out at once (DESIGN: "delivered at once").

    Only those whose worker is gone: on the embedded store, this process holds the service
    lock (``open_store(service=True)``), so every other holder is; on a server, the store tells
    the live workers apart. Delivery is at least once, so a receiver may see one twice, with
    one id.
    """
    released = await svc.store.release_leases(now=utcnow())
    if released:
        log.info("%d alert(s) left mid-delivery by an earlier run are due again", released)


async def _deliver_when_queued(svc: Service) -> None:
    """Wake the dispatcher as soon as any worker queues a message, not at the next tick."""
    while True:
        await svc.store.outbox_wakeup()
        svc.dispatcher.wake()


def _schedule(svc: Service, scheduler: Scheduler) -> None:
    now = utcnow()
    wanted: set[str] = set()
    claim = partial(_claim_job, svc, scheduler)
    wanted |= {"sources", "sources@"}
    scheduler.add_interval("sources", claim, every=CLAIM_EVERY, first_run=now)
    wanted.add("leases")
    kept = _kept(scheduler, "leases", default=now, latest=now)
    scheduler.add_interval("leases", svc.keep_job, every=KEEP_EVERY, first_run=kept)
    wanted.add("outbox")
    scheduler.add_interval("outbox", svc.drain_job, every=DRAIN_EVERY, first_run=now)
    wanted.add("store")
    scheduler.add_interval("store", svc.verify_job, every=VERIFY_EVERY, first_run=now)
    wanted.add("retention")
    soon = now + timedelta(seconds=30)  # not in the first polls' way
    scheduler.add_interval(
        "retention", svc.prune_job, every=PRUNE_EVERY,
        first_run=_kept(scheduler, "retention", default=soon, latest=now + PRUNE_EVERY),
    )  # fmt: skip
    wanted.add("memory")
    later = now + TRIM_EVERY
    scheduler.add_interval(
        "memory", svc.memory_job, every=TRIM_EVERY,
        first_run=_kept(scheduler, "memory", default=later, latest=later),
    )  # fmt: skip
    for name, channel in svc.config.channels.items():
        if channel.digest is None:
            continue
        job = f"digest:{name}"
        wanted.add(job)
        work = partial(svc.seal_digest, name)
        if isinstance(channel.digest, timedelta):
            # Whether it is due is the store's to say (any worker may have sealed it): look
            # often enough that a due digest waits little, and keep the place across reloads.
            every = min(channel.digest, DIGEST_CHECK)
            due = now + every
            first_run = _kept(scheduler, job, default=due, latest=due)
            scheduler.add_interval(job, work, every=every, first_run=first_run)
        else:
            scheduler.add_cron(job, work, channel.digest)
    for job in scheduler.job_ids() - wanted:
        scheduler.remove(job)


def _kept(scheduler: Scheduler, job: str, *, default: datetime, latest: datetime) -> datetime:
    """When a re-added job runs next: where it was planned (no later than ``latest``), or
    ``default`` for a job that is new."""
    planned = scheduler.next_run(job)
    return default if planned is None else min(planned, latest)


async def _claim_job(svc: Service, scheduler: Scheduler) -> None:
    """Claim the due sources this worker has room for, start their polls, and wake again
    when the next falls due."""
    leases, next_due = await svc.rota.claim()
    for lease in leases:
        poll = partial(_poll_job, svc, scheduler, lease)
        if not scheduler.run_now(f"source:{lease.name}", poll):
            await svc.rota.finish(lease, None)  # stopping: due as it was, for another worker
    if next_due is not None and scheduler.accepting:
        _claim_at(svc, scheduler, max(next_due, utcnow()) + CLAIM_COALESCE)


def _claim_at(svc: Service, scheduler: Scheduler, when: datetime) -> None:
    scheduler.run_at("sources", partial(_claim_job, svc, scheduler), when)


def _claim_by(svc: Service, scheduler: Scheduler, when: datetime) -> None:
    """A claim at ``when`` unless one is planned sooner."""
    planned = scheduler.next_run("sources@")
    if planned is None or when < planned:
        _claim_at(svc, scheduler, when)


async def _poll_job(svc: Service, scheduler: Scheduler, lease: SourceLease) -> None:
    source = next((s for s in svc.config.sources if s.name == lease.name and s.enabled), None)
    interval = None if source is None else svc.config.settings_for(source).interval
    try:
        if source is not None:  # else a reload dropped it since the claim
            # Forced: the store said it is due when it was claimed (a back-off included);
            # its row may say later now only because a worker planned it meanwhile.
            await svc.poller.poll(source, force=True)
    finally:
        was_full = svc.rota.full
        due = await svc.rota.finish(lease, interval)
        if scheduler.accepting:
            # Claimed again when it falls due, not at the next periodic claim (up to
            # CLAIM_EVERY late); at once when this made room for sources left waiting.
            now = utcnow()
            _claim_by(svc, scheduler, (now if was_full else max(due, now)) + CLAIM_COALESCE)


async def _reload(
    svc: Service, scheduler: Scheduler, load: Callable[[], Config], tg: asyncio.TaskGroup
) -> None:
    try:
        # Off the loop: compiling tens of thousands of rules takes seconds, and polls and
        # deliveries go on meanwhile under the snapshot in force.
        snapshot = await asyncio.to_thread(lambda: Snapshot.build(load()))
    except ConfigError as exc:
        log.error("config reload failed; keeping the running config:\n%s", exc)
        return
    new = snapshot.config
    if new.store_location() != svc.config.store_location():
        log.warning("storage changed to %s: that takes a restart", new.store_location())
    if new.http != svc.config.http:
        log.warning("http changed: that takes a restart")
    stack = AsyncExitStack()
    try:
        channels = await stack.enter_async_context(open_channels(new.channels))
    except Exception:
        await stack.aclose()
        log.exception("config reload failed opening channels; keeping the running config")
        return
    # The swap waits for nothing: deliveries under way finish on the old channels, which are
    # closed once the last of them is done.
    old_stack = svc.channel_stack
    svc.snapshot, svc.channel_stack = snapshot, stack
    svc.poller.reconfigure(snapshot)
    drained = svc.dispatcher.reconfigure(channels, _policies(new))
    tg.create_task(_close_after(drained, old_stack), name="close old channels")
    await svc.rota.plan(new)
    _schedule(svc, scheduler)
    log.info(
        "config reloaded: %d source(s), %d rule(s), %d channel(s)",
        len(new.sources), len(snapshot.rules), len(new.channels),
    )  # fmt: skip


async def _close_after(drained: asyncio.Event, stack: AsyncExitStack) -> None:
    try:
        await drained.wait()
    finally:
        await asyncio.shield(stack.aclose())
