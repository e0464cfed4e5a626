"""What the web room's pages read: the service's parts, handed over by the service."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from watchwire.metrics import Metrics
from watchwire.snapshot import Snapshot
from watchwire.store import Store
from watchwire.workers import WorkerPool

__all__ = ["WebContext"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebContext:
    """The live service as pages see it. Callables, because what they return is swapped on
    reload (the snapshot) or changes as the service runs (readiness, workers)."""

    snapshot: Callable[[], Snapshot]
    store: Store
    metrics: Metrics
    readiness: Callable[[], Mapping[str, bool]]
    """Each condition of readiness (``config``, ``scheduler``) and whether it holds."""
    workers: Callable[[], int]
    started_at: datetime
    token: str | None = None
    """The bearer token every request but the public ones must carry; None: no check."""
    sandboxes: WorkerPool | None = None
    """Where a page tried in the playground is parsed: the service's workers, under the bound
    of every parse of a site's bytes. None: in a thread, unbounded (tests that need no bound)."""
    wake_dispatcher: Callable[[], None] = lambda: None
    """Tell the dispatcher to look at the outbox now (a failed alert was requeued)."""
