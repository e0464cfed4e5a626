"""The store's contract in watchwire's own terms: one narrow Protocol per role.

Stages ask for the role they use, never for a backend: the pipeline needs sources and articles
(``PollStore``), the dispatcher the outbox, the query layer search and listings. ``Store`` is
every role at once, which each backend implements (``sqlite``, ``postgres``) and which one
contract test suite holds every backend to (``tests/store/contract/``). Times are aware
datetimes in UTC; ids of articles and stories are integers, of alerts and messages time-ordered
strings (``ids.new_id``).

**Workers.** An opened store is one *worker*: the process that opened it. Several workers may
share one store (PostgreSQL); the coordination roles (``ScheduleStore``, ``PageLeaseStore``,
``HostLeaseStore``, ``LeaseKeeper``) let them share the work without doing it twice. A lease
is taken for this worker, renewed while its work runs (``renew_leases``), and given back when it
is done; a lease whose worker is gone (its process ended, however) is given to another, at once
once the store can tell (``release_orphans``), else when it expires. A store only one process
can open (SQLite) implements them trivially: its one worker holds everything.

What a backend must guarantee, whatever its engine:

- an article is stored once per canonical URL; a story once per founding text; an alert once
  per (rule, story, channel) — by unique constraints, not by looking first;
- ``save_article`` is all or nothing: the article, its story, its alerts and their outbox rows;
- outbox messages are claimed with a lease and delivered at least once (``claim_due``);
- every delivery try of a message is kept with its answer, until the message itself goes;
- ``search`` returns a superset of a query's matches (the rules engine decides), newest first;
- a source is polled by one worker at a time, an article page fetched by one, a host's
  politeness kept by one, a digest sealed by one;
- a pruned article's URL stays known, and a copy of its text (exact, or near within the
  guaranteed distance of ``dedupe.MEMORY_BANDS``) never alerts: its story is closed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from watchwire.models import FetchResult, OutboxMessage, StoredArticle, Validators
from watchwire.rules import SearchQuery
from watchwire.store.records import CopyMarker, Kind, Record
from watchwire.store.values import (
    AlertIntent,
    ArticlePreview,
    ArticleRow,
    CachedValidators,
    ClaimedSources,
    DayActivity,
    DeliveryAttempt,
    FetchRecord,
    GivenUp,
    HealthIntent,
    HealthRecord,
    NewArticle,
    OutboxKey,
    OutboxRow,
    PageClaim,
    PollRecord,
    SearchKey,
    SourceHealth,
    SourcePlan,
    SourceState,
    StoreCheck,
    StoryDetail,
    StorySummary,
)

__all__ = [
    "ArticleStore",
    "HostLeaseStore",
    "LeaseKeeper",
    "Maintenance",
    "OutboxStore",
    "PageLeaseStore",
    "PollStore",
    "Retention",
    "ScheduleStore",
    "SearchStore",
    "SourceStore",
    "Store",
    "TransferStore",
]


class SourceStore(Protocol):
    """Sources, their schedule state, their fetch history and HTTP validators."""

    async def source_state(self, name: str) -> SourceState | None: ...
    async def record_poll(
        self,
        name: str,
        *,
        url: str,
        now: datetime,
        ok: bool,
        error: str | None = None,
        kind: str | None = None,
        next_poll_at: datetime | None = None,
        new_articles: int = 0,
    ) -> SourceState:
        """A poll ended: ``ok`` or not (``error``), with ``new_articles`` stored. Keeps the
        run of failures (count and since when) and the last poll that brought something new."""
        ...

    async def record_fetch(self, source: str, result: FetchResult, *, now: datetime) -> None: ...
    async def validators(self, url: str) -> CachedValidators | None: ...
    async def save_validators(
        self, url: str, validators: Validators, *, body_hash: str | None, now: datetime
    ) -> None: ...
    async def source_health(
        self, *, since: datetime, names: Sequence[str] | None = None
    ) -> list[SourceHealth]:
        """Every polled source (of ``names`` only, when given), its state and its fetches
        since ``since``."""
        ...

    async def recent_polls(self, name: str, *, limit: int = 20) -> list[PollRecord]:
        """The source's last polls (kept a week), newest first."""
        ...

    async def recent_fetches(self, name: str, *, limit: int = 50) -> list[FetchRecord]:
        """The source's last fetches (kept a week), newest first."""
        ...

    async def record_health(
        self, name: str, record: HealthRecord, intents: Sequence[HealthIntent], *, now: datetime
    ) -> list[str]:
        """Store a source's new health state and an alert per intent (with its outbox message
        unless it waits for a digest), in one transaction; returns the alerts' ids."""
        ...

    async def source_states(self) -> list[SourceState]:
        """Every polled source's state, in full."""
        ...

    async def health_states(self) -> dict[str, tuple[str | None, datetime | None]]:
        """Every polled source's health state and since when: cheap, for each scrape of
        ``/metrics`` (10,000 sources in a few milliseconds)."""
        ...

    async def article_times(self, name: str, *, limit: int) -> list[datetime]:
        """When the source's ``limit`` latest articles appeared, newest first (published,
        never later than first seen): the history its silence is judged by."""
        ...


class ArticleStore(Protocol):
    """Articles and the stories their copies form; alerts are written with their article."""

    async def known_urls(self, urls: Sequence[str]) -> dict[str, datetime | None]:
        """Which of ``urls`` are stored (with the article's last known publish/edit time) or
        given up (with None): the links a poll need not fetch."""
        ...

    async def give_up(self, url: str, *, source: str, reason: str, now: datetime) -> None:
        """Remember that the link ``url`` of ``source`` is given up on purpose (``reason``):
        ``known_urls`` counts it from now on, and ``given_up`` lists it."""
        ...

    async def given_up(self, *, source: str | None = None, limit: int = 100) -> list[GivenUp]:
        """Links given up on (of ``source``, when given), latest first."""
        ...

    async def save_article(
        self, new: NewArticle, intents: Sequence[AlertIntent], *, now: datetime
    ) -> StoredArticle:
        """Store an article once, join it to its story, and write its alerts: all or nothing."""
        ...

    async def preview_article(
        self, new: NewArticle, intents: Sequence[AlertIntent]
    ) -> ArticlePreview:
        """What ``save_article`` would do, writing nothing: the story the article is or would
        join, and which of ``intents`` would be written (the rest were alerted already)."""
        ...

    async def article(self, article_id: int) -> ArticleRow | None: ...
    async def story_copies(self, story_id: int) -> list[str]:
        """The URLs of a story's articles, first stored first."""
        ...

    async def count_articles(self) -> int: ...
    async def daily_activity(self, *, since: date) -> list[DayActivity]:
        """Articles first seen and rule alerts made on each day (UTC) from ``since`` on, oldest
        first; days with neither may be left out. Cheap at any size: a page asks it."""
        ...

    async def stories(self, *, before: int | None = None, limit: int = 50) -> list[StorySummary]:
        """Stories newest first (ids below ``before``, when given: the next page)."""
        ...

    async def story(self, story_id: int) -> StoryDetail | None:
        """A story with every stored copy and every alert made for it."""
        ...


class SearchStore(Protocol):
    """Candidates for a rule query among stored articles (the rules engine decides)."""

    async def search(
        self,
        query: SearchQuery | None,
        *,
        since: datetime | None = None,
        before: SearchKey | None = None,
        limit: int = 100,
    ) -> list[ArticleRow]:
        """Up to ``limit`` candidates, newest first (published, else first seen; then id),
        older than ``before`` when given: a superset of the query's matches. None: every
        article."""
        ...


class OutboxStore(Protocol):
    """Alerts and digests waiting for delivery, claimed with leases."""

    async def claim_due(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        channels: Sequence[str] | None = None,
    ) -> list[OutboxMessage]:
        """Lease up to ``limit`` due messages (of ``channels`` only, when given): pending ones
        whose time has come, and delivering ones whose lease ran out."""
        ...

    async def release_leases(self, *, now: datetime) -> int:
        """Make messages left mid-delivery by a worker that is gone due now; how many.

        Never a live worker's: it could be sending them this moment. On the embedded store only
        the process holding the service lock (``open_store(..., service=True)``) may call it:
        every other holder is gone; on a server, a worker is gone when its presence is."""
        ...

    async def mark_delivered(self, message_id: str, *, now: datetime) -> None: ...
    async def mark_retry(
        self, message_id: str, *, error: str, next_attempt_at: datetime
    ) -> None: ...
    async def mark_failed(self, message_id: str, *, error: str, now: datetime) -> None: ...
    async def seal_digest(
        self, channel: str, *, now: datetime, unless_since: datetime | None = None
    ) -> OutboxMessage | None:
        """Gather a channel's queued alerts into one digest message (one transaction).

        ``unless_since``: seal nothing if a digest of this channel was sealed at or after it,
        so that workers finding the same period over seal it once between them."""
        ...

    async def list_outbox(
        self,
        *,
        states: Sequence[str] = (),
        rules: Sequence[str] = (),
        channels: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        changed_since: datetime | None = None,
        before: OutboxKey | None = None,
        limit: int = 100,
    ) -> list[OutboxRow]:
        """Messages and queued alerts, newest first (made, then id): of these ``states``
        (``queued`` is an alert awaiting its digest), of these ``rules``, on these
        ``channels``, made ``since`` and before ``until``, or made, tried or changed
        ``changed_since`` (what one ``watchwire once`` did); older than ``before`` (a row's
        ``key``: the next page). Empty filters: all."""
        ...

    async def outbox_message(self, message_id: str) -> OutboxRow | None:
        """One message by id, or one alert of a digest channel (queued or sealed)."""
        ...

    async def record_attempt(self, attempt: DeliveryAttempt) -> None:
        """Keep one delivery try and the receiver's answer (the dispatcher calls it)."""
        ...

    async def delivery_attempts(self, message_id: str) -> list[DeliveryAttempt]:
        """Every recorded try of one message, first first."""
        ...

    async def requeue_failed(self, *, now: datetime, ids: Sequence[str] = ()) -> int: ...
    async def outbox_counts(self) -> dict[str, int]: ...
    async def next_due(self) -> datetime | None: ...
    async def last_digest_at(self, channel: str) -> datetime | None: ...
    async def oldest_queued_at(self, channel: str) -> datetime | None: ...
    async def oldest_pending_at(self) -> datetime | None:
        """When the oldest message still waiting for delivery was created."""
        ...


class ScheduleStore(Protocol):
    """Which source is due lives in the store: workers claim due sources with leases."""

    async def plan_sources(self, plans: Sequence[SourcePlan], *, now: datetime) -> None:
        """This worker's sources (its config's, at start and on reload): it claims only these.

        A source new to the store is due at its ``first_due``; a known one keeps its place,
        brought forward to ``first_due`` when overdue and to ``latest_due`` when later (unless
        it is backing off, or being polled: then its poll decides). Nothing is removed: another
        worker may still have a source this one's config dropped, and a source no worker has
        is simply never claimed.
        """
        ...

    async def claim_sources(self, *, now: datetime, limit: int, lease: timedelta) -> ClaimedSources:
        """Up to ``limit`` of this worker's due sources that nobody holds, leased to it."""
        ...

    async def finish_source(self, name: str, *, due_at: datetime) -> None:
        """Hand a leased source back, due next at ``due_at`` or at the back-off its poll set,
        whichever is later."""
        ...


class PageLeaseStore(Protocol):
    """Article pages claimed before they are fetched: one fetch per page across workers."""

    async def claim_pages(
        self, urls: Sequence[str], *, now: datetime, lease: timedelta
    ) -> PageClaim: ...
    async def pages_held(self, urls: Sequence[str], *, now: datetime) -> set[str]:
        """Which of ``urls`` another live worker is still fetching."""
        ...

    async def release_pages(self, urls: Sequence[str]) -> None: ...


class HostLeaseStore(Protocol):
    """A host (an origin, ``scheme://host:port``) is requested by one worker at a time, so that
    the fetcher's per-host limits hold for the whole deployment."""

    async def hold_host(self, origin: str, *, now: datetime, lease: timedelta) -> datetime | None:
        """Lease ``origin`` to this worker: when its next request may start (its last holder's
        ``per_host_delay``), or None while another worker holds it."""
        ...

    async def release_hosts(self, free_at: Mapping[str, datetime]) -> None:
        """Give hosts back, each with when the next request to it may start."""
        ...


class LeaseKeeper(Protocol):
    """What keeps this worker's leases alive, and frees those of workers that are gone."""

    async def renew_leases(self, *, now: datetime, lease: timedelta) -> None:
        """Extend every lease this worker holds (sources, pages, hosts) to ``now + lease``."""
        ...

    async def release_orphans(self, *, now: datetime) -> int:
        """Free the leases of workers that are gone (delivering messages included); how many."""
        ...

    async def outbox_wakeup(self) -> None:
        """Return when a message became due for delivery (any worker's) since the last return."""
        ...


class TransferStore(Protocol):
    """Everything the store holds as records (``records``), for ``store copy``."""

    async def export_records(self, kind: Kind, *, after: Any | None, limit: int) -> list[Record]:
        """Up to ``limit`` records of ``kind`` after key ``after`` (None: from the first)."""
        ...

    async def import_records(self, kind: Kind, records: Sequence[Record]) -> None:
        """Write records as they are, ids included (one transaction); any already there stay."""
        ...

    async def last_key(self, kind: Kind) -> Any | None:
        """The greatest key of ``kind`` stored (where an interrupted copy resumes)."""
        ...

    async def count_records(self, kind: Kind) -> int: ...
    async def copy_marker(self) -> CopyMarker | None:
        """Whether this store is (being) made by ``store copy``, from where."""
        ...

    async def mark_copy(self, origin: str, *, now: datetime, finished: bool) -> None:
        """Record a copy's start, or (``finished``) its end: then ids go on after the copied."""
        ...


class Maintenance(Protocol):
    async def release_memory(self) -> None:
        """Give back memory a burst of work filled (caches); a no-op where there is none."""
        ...

    async def verify(self) -> None:
        """Raise StoreError if the store this process opened is gone (a file deleted or
        replaced under a running service): going on would store into nothing."""
        ...

    async def check(self, *, budget: float | None = None) -> StoreCheck:
        """Look for damage: all of the store (``budget`` None: may take minutes on a large
        one), or as much as ``budget`` seconds allow."""
        ...

    async def storage_bytes(self) -> int | None:
        """The store's size on disk, if the backend can tell."""
        ...

    async def backup(self, target: Path) -> None:
        """A consistent copy of the live store in the new file ``target``, usable as a store.
        Raises StoreError where the backend has its own tools instead (a server's dumps)."""
        ...


class Retention(Protocol):
    """Forgetting on schedule (``storage.retention``, ``alert_retention``), in small batches."""

    async def prune_articles(self, *, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` articles first seen before ``before`` (bodies and search
        rows), keeping what dedupe needs to know them again; returns how many."""
        ...

    async def prune_alerts(self, *, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` settled alerts and messages older than ``before``."""
        ...

    async def reclaim_space(self, *, pages: int) -> int:
        """One step of compaction after pruning: about ``pages`` pages of what deleted rows
        left in indexes (the search index's dead words), then up to ``pages`` freed pages back
        to the file system; how many were returned (0 where a backend has none to return).
        Called repeatedly by the pruner, paced, so that each step is one short write."""
        ...


class PollStore(SourceStore, ArticleStore, PageLeaseStore, Protocol):
    """What one poll of one source needs."""


class Store(
    SourceStore,
    ArticleStore,
    SearchStore,
    OutboxStore,
    ScheduleStore,
    PageLeaseStore,
    HostLeaseStore,
    LeaseKeeper,
    TransferStore,
    Maintenance,
    Retention,
    Protocol,
):
    """Every role: what a backend implements."""
