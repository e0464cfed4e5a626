"""Timing: APScheduler 3.x decides *when*; our own task group runs the work.

APScheduler's asyncio executor cancels running jobs on shutdown and cannot wait for them, so
its jobs only hand a coroutine to our ``asyncio.TaskGroup`` and return at once. That keeps
shutdown ours: stop triggering, let in-flight work finish within a bound, then cancel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from watchwire.timeutil import utcnow

__all__ = ["Scheduler", "next_digest_at", "next_fire_time", "validate_crontab"]

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]


def validate_crontab(expr: str) -> None:
    """Raise ValueError if ``expr`` is not a 5-field crontab expression."""
    CronTrigger.from_crontab(expr, timezone="UTC")


def next_fire_time(crontab: str, *, after: datetime) -> datetime:
    """When a crontab expression next fires after ``after`` (UTC)."""
    trigger = CronTrigger.from_crontab(crontab, timezone="UTC")
    fire: datetime | None = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    return fire if fire is not None else datetime.max.replace(tzinfo=after.tzinfo)


def next_digest_at(schedule: timedelta | str, *, after: datetime) -> datetime:
    """When a digest on ``schedule`` (a period, or a crontab) is next due after ``after``."""
    if isinstance(schedule, timedelta):
        return after + schedule
    return next_fire_time(schedule, after=after)


class Scheduler:
    """Interval and cron jobs whose runs are tasks in ``task_group``, one at a time per job."""

    def __init__(self, task_group: asyncio.TaskGroup) -> None:
        self._tg = task_group
        self._aps = AsyncIOScheduler(timezone="UTC")
        self._running: dict[str, asyncio.Task[None]] = {}
        self._accepting = True

    def start(self) -> None:
        self._aps.start()

    @property
    def running(self) -> bool:
        """Triggering jobs: started and not stopping."""
        return self._accepting and bool(self._aps.running)

    def add_interval(
        self,
        job_id: str,
        work: Work,
        *,
        every: timedelta,
        first_run: datetime | None = None,
    ) -> None:
        """Run ``work`` every ``every``; first at ``first_run`` (default: now)."""
        trigger = IntervalTrigger(seconds=max(every.total_seconds(), 0.01), timezone="UTC")
        self._add(job_id, work, trigger, first_run or utcnow())

    def add_cron(self, job_id: str, work: Work, crontab: str) -> None:
        self._add(job_id, work, CronTrigger.from_crontab(crontab, timezone="UTC"), None)

    def run_at(self, job_id: str, work: Work, when: datetime) -> None:
        """Also run ``work`` once at ``when`` (as ``job_id``: never beside its other runs);
        a later call replaces the one planned."""
        self._add(f"{job_id}@", work, DateTrigger(run_date=when, timezone="UTC"), None, job_id)

    def _add(
        self,
        job_id: str,
        work: Work,
        trigger: Any,
        first_run: datetime | None,
        runs_as: str | None = None,
    ) -> None:
        async def hand_off() -> None:
            self.run_now(runs_as or job_id, work)

        kwargs: dict[str, Any] = {}
        if first_run is not None:
            kwargs["next_run_time"] = first_run
        # Before start, APScheduler queues a replacement beside the job it replaces (and
        # get_job finds the old one); removing first makes the plan readable at any time.
        self.remove(job_id)
        self._aps.add_job(
            hand_off,
            trigger,
            id=job_id,
            name=job_id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,  # a late run is still worth running once
            replace_existing=True,
            **kwargs,
        )

    def run_now(self, job_id: str, work: Work) -> bool:
        """Start ``work`` unless this job's previous run is still going. True if started."""
        if not self._accepting:
            return False
        current = self._running.get(job_id)
        if current is not None and not current.done():
            log.debug("job %s still running; this run is skipped", job_id)
            return False
        task = self._tg.create_task(self._supervise(job_id, work), name=job_id)
        self._running[job_id] = task
        return True

    async def _supervise(self, job_id: str, work: Work) -> None:
        # The one boundary per job: a bug in one source's poll must not end the service.
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s failed", job_id)
        finally:
            if self._running.get(job_id) is asyncio.current_task():
                del self._running[job_id]

    @property
    def accepting(self) -> bool:
        """False once ``stop`` began: ``run_now`` starts nothing more."""
        return self._accepting

    def remove(self, job_id: str) -> None:
        if self._aps.get_job(job_id) is not None:
            self._aps.remove_job(job_id)

    def next_run(self, job_id: str) -> datetime | None:
        """When ``job_id`` runs next; None if there is no such job."""
        job = self._aps.get_job(job_id)
        when: datetime | None = getattr(job, "next_run_time", None) if job else None
        return when

    def job_ids(self) -> set[str]:
        return {job.id for job in self._aps.get_jobs()}

    def in_flight(self) -> list[asyncio.Task[None]]:
        return [t for t in self._running.values() if not t.done()]

    async def stop(self, *, grace: float) -> None:
        """Stop triggering; wait up to ``grace`` seconds for running work, then cancel it."""
        self._accepting = False
        if self._aps.running:
            self._aps.shutdown(wait=False)
        pending = self.in_flight()
        if not pending:
            return
        log.info("waiting up to %.0fs for %d running job(s)", grace, len(pending))
        _, still = await asyncio.wait(pending, timeout=grace)
        for task in still:
            log.warning("job %s did not finish in time; cancelling it", task.get_name())
            task.cancel()
        if still:
            await asyncio.wait(still, timeout=2)
