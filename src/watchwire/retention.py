"""Retention: pruning what ``storage.retention`` and ``alert_retention`` say is old, in small
batches that never hold the pipeline up.

Each batch is one short write in the store's queue (the pipeline's writes go between two
batches), followed by a pause at least three times as long as the batch took, so that pruning
never takes more than a quarter of the writer's time however large the backlog. Then the store
is compacted in steps paced the same way (``Retention.reclaim_space``: the search index merged
so that pruned words leave it, freed pages given back to the file system). Run on a schedule
by ``watchwire run`` and at the end of ``watchwire once``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from watchwire.config import StorageConfig
from watchwire.store import Retention
from watchwire.timeutil import utcnow

__all__ = ["BATCH", "PruneReport", "Pruner"]

log = logging.getLogger(__name__)

BATCH = 50
"""Articles per write: tens of milliseconds of the writer's time, so inserts wait little."""
PAUSE = 0.05
"""Seconds between two batches at least, so that batches never follow each other back to back."""
DUTY = 3.0
"""The pause after a batch is at least this many times the batch's own time."""
PAGES_PER_ARTICLE = 8
"""After a run, the store is compacted by this many pages per article pruned, and at least
``MIN_PAGES``: enough for the search index's merge to go through the whole index about once a
day (an article's search rows take about one page; bench/README.md, *Retention soak*)."""
MIN_PAGES = 100
STEP_PAGES = 256
"""Pages per compaction step: one write of tens of milliseconds, paced like a batch."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneReport:
    articles: int = 0
    alerts: int = 0
    pages: int = 0
    finished: bool = True
    """False when the time budget ran out first (the next run goes on)."""


class Pruner:
    def __init__(
        self,
        store: Retention,
        *,
        clock: Callable[[], datetime] = utcnow,
        batch: int = BATCH,
        pause: float = PAUSE,
        duty: float = DUTY,
    ) -> None:
        self._store = store
        self._clock = clock
        self._batch = batch
        self._pause = pause
        self._duty = duty

    async def run(self, storage: StorageConfig, *, budget: float | None = None) -> PruneReport:
        """Prune everything due, or as much as ``budget`` seconds allow."""
        deadline = None if budget is None else time.monotonic() + budget
        articles = alerts = pages = 0
        finished = True
        for what in ("articles", "alerts"):
            keep = storage.retention if what == "articles" else storage.alert_retention
            if keep is None:
                continue
            while True:
                if deadline is not None and time.monotonic() > deadline:
                    finished = False
                    break
                before = self._clock() - keep
                started = time.monotonic()
                if what == "articles":
                    n = await self._store.prune_articles(before=before, limit=self._batch)
                    articles += n
                else:
                    n = await self._store.prune_alerts(before=before, limit=self._batch)
                    alerts += n
                if n < self._batch:
                    break
                await asyncio.sleep(max(self._pause, self._duty * (time.monotonic() - started)))
        if articles or alerts:
            left = max(MIN_PAGES, PAGES_PER_ARTICLE * (articles + alerts))
            # Out of time, the rest waits: a merge under way goes on at the next run.
            while left > 0 and (deadline is None or time.monotonic() < deadline):
                started = time.monotonic()
                pages += await self._store.reclaim_space(pages=min(STEP_PAGES, left))
                left -= STEP_PAGES
                if left > 0:
                    await asyncio.sleep(max(self._pause, self._duty * (time.monotonic() - started)))
            log.info(
                "retention: pruned %d article(s) and %d alert row(s); %d page(s) returned%s",
                articles, alerts, pages, "" if finished else " (more next time)",
            )  # fmt: skip
        return PruneReport(articles=articles, alerts=alerts, pages=pages, finished=finished)
