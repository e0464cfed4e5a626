"""Sources and their health: every configured source with its state and pace (``sources``),
a page of them, those in trouble first (``source_page``), one with its polls and their fetches
(``source_detail``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watchwire.config import Config
from watchwire.health import State
from watchwire.queries.common import BadRequest
from watchwire.store import (
    FetchRecord,
    GivenUp,
    PollRecord,
    SourceHealth,
    SourceState,
    SourceStore,
    Store,
)
from watchwire.timeutil import iso_z

__all__ = [
    "STATE_ORDER",
    "HealthOverview",
    "Poll",
    "SourceDetail",
    "SourcePage",
    "SourceStatus",
    "fetch_json",
    "health_json",
    "health_overview",
    "source_detail",
    "source_detail_json",
    "source_health",
    "source_json",
    "source_page",
    "source_page_json",
    "sources",
    "state_rank",
]

# --- sources ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceStatus:
    """One configured source as ``watchwire sources`` shows it: its health and its pace."""

    name: str
    url: str
    enabled: bool
    state: str
    """One of ``health.State`` (the list in ``docs/alerts.md``)."""
    since: datetime | None
    reason: str | None
    moved_to: str | None
    last_ok_at: datetime | None
    last_new_at: datetime | None
    articles_per_day: float | None
    """Over the last 7 days; None before the first poll."""
    next_poll_at: datetime | None
    given_up: int
    failed_polls: int
    """Failed polls in a row, now."""
    fetches: int
    errors: int
    """Fetches in the last 24 hours, and those that brought nothing usable."""


def _state_of(stored: SourceState | None) -> str:
    return stored.state if stored is not None and stored.state else str(State.NEVER_POLLED)


async def sources(
    config: Config,
    store: SourceStore | None,
    *,
    now: datetime,
    names: Sequence[str] | None = None,
) -> list[SourceStatus]:
    """Every configured source (of ``names`` only, in their order, when given), polled or not,
    with its state (``store`` None: no store yet, so every source is ``never-polled``)."""
    since = now - timedelta(days=1)
    health = {h.name: h for h in await store.source_health(since=since, names=names)} if (
        store is not None
    ) else {}  # fmt: skip
    configured = list(config.sources)
    if names is not None:
        by_name = {s.name: s for s in config.sources}
        configured = [by_name[n] for n in names if n in by_name]
    out: list[SourceStatus] = []
    for source in configured:
        h = health.get(source.name)
        st = h.state if h is not None else None
        interval = config.settings_for(source).interval
        next_poll = None
        if st is not None:
            next_poll = st.next_poll_at or (
                st.last_polled_at + interval if st.last_polled_at else None
            )
        out.append(
            SourceStatus(
                name=source.name,
                url=source.url,
                enabled=source.enabled,
                state=_state_of(st),
                since=st.state_since if st else None,
                reason=st.state_reason if st else None,
                moved_to=st.moved_to if st else None,
                last_ok_at=st.last_ok_at if st else None,
                last_new_at=st.last_new_at if st else None,
                articles_per_day=round(h.articles_recent / 7, 1) if h is not None else None,
                next_poll_at=next_poll,
                given_up=h.given_up if h is not None else 0,
                failed_polls=st.consecutive_failures if st else 0,
                fetches=h.fetches if h is not None else 0,
                errors=h.errors if h is not None else 0,
            )
        )
    return out


def source_json(s: SourceStatus) -> dict[str, Any]:
    return {
        "source": s.name,
        "url": s.url,
        "enabled": s.enabled,
        "state": s.state,
        "since": iso_z(s.since),
        "reason": s.reason,
        "moved_to": s.moved_to,
        "last_success": iso_z(s.last_ok_at),
        "last_new_article": iso_z(s.last_new_at),
        "articles_per_day": s.articles_per_day,
        "next_poll": iso_z(s.next_poll_at),
        "articles_given_up": s.given_up,
        "failed_polls": s.failed_polls,
        "fetches_24h": s.fetches,
        "errors_24h": s.errors,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthOverview:
    counts: dict[str, int]
    """Enabled sources by state (every state, zeros included)."""
    unhealthy: tuple[tuple[str, str, datetime | None], ...]
    """(source, state, since) of every enabled source neither ok nor never polled."""


async def health_overview(config: Config, store: SourceStore) -> HealthOverview:
    """Sources by state, cheaply (each ``/metrics`` scrape, the start-up warnings)."""
    stored = await store.health_states()
    counts = {str(state): 0 for state in State}
    unhealthy: list[tuple[str, str, datetime | None]] = []
    never = (None, None)
    for source in config.sources:
        if not source.enabled:
            continue
        state, since = stored.get(source.name, never)
        state = state or State.NEVER_POLLED
        counts[state] += 1
        if state not in (State.OK, State.NEVER_POLLED):
            unhealthy.append((source.name, state, since))
    return HealthOverview(counts=counts, unhealthy=tuple(unhealthy))


async def source_health(store: SourceStore, *, since: datetime) -> list[SourceHealth]:
    """Every source the store has polled, with its fetches since ``since``."""
    return await store.source_health(since=since)


def health_json(h: SourceHealth) -> dict[str, Any]:
    return {
        "source": h.name,
        "consecutive_failures": h.consecutive_failures,
        "fetches": h.fetches,
        "errors": h.errors,
        "last_outcome": h.last_outcome,
        "last_error": h.last_error,
        "last_at": iso_z(h.last_at),
        "articles": h.articles,
    }


STATE_ORDER: tuple[str, ...] = (
    State.FAILING, State.SILENT, State.GONE, State.ROBOTS_BLOCKED, State.MOVED,
    State.NEVER_POLLED, State.OK,
)  # fmt: skip
"""How sources are listed: those that need a person first."""


def state_rank(state: str) -> int:
    return STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER)


# --- the dashboard: sources ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SourcePage:
    """One page of the configured sources, those that need a person first."""

    rows: tuple[SourceStatus, ...]
    total: int
    """Sources of the state asked for (every source when none was)."""
    offset: int
    limit: int
    counts: dict[str, int]
    """Every configured source by state (enabled or not)."""


async def source_page(
    config: Config,
    store: SourceStore,
    *,
    now: datetime,
    state: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> SourcePage:
    """Sources in ``STATE_ORDER`` then by name, ``limit`` from ``offset``: only those shown
    are read in full, so a page costs the same with 10 sources or 10,000."""
    if state is not None and state not in STATE_ORDER:
        raise BadRequest(f"'{state}' is not a source state ({', '.join(STATE_ORDER)})")
    stored = await store.health_states()
    states = {s.name: stored.get(s.name, (None, None))[0] or State.NEVER_POLLED
              for s in config.sources}  # fmt: skip
    counts = {str(st): 0 for st in STATE_ORDER}
    for st in states.values():
        counts[st] = counts.get(st, 0) + 1
    order = sorted(
        (s.name for s in config.sources if state is None or states[s.name] == state),
        key=lambda n: (state_rank(states[n]), n),
    )
    shown = order[offset : offset + limit]
    rows = await sources(config, store, now=now, names=shown)
    return SourcePage(rows=tuple(rows), total=len(order), offset=offset, limit=limit,
                      counts=counts)  # fmt: skip


def source_page_json(p: SourcePage) -> dict[str, Any]:
    after = p.offset + len(p.rows)
    return {
        "sources": [source_json(s) for s in p.rows],
        "total": p.total,
        "offset": p.offset,
        "next_offset": after if after < p.total else None,
        "by_state": p.counts,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Poll:
    """A poll and the fetches it made (those recorded since the poll before it)."""

    poll: PollRecord
    fetches: tuple[FetchRecord, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceDetail:
    status: SourceStatus
    polls: tuple[Poll, ...]
    """Newest first."""
    given_up: tuple[GivenUp, ...]


async def source_detail(
    config: Config, store: Store, name: str, *, now: datetime, polls: int = 20
) -> SourceDetail:
    """One configured source: its state, its recent polls with their fetches, the article
    links given up on. BadRequest when no source has that name."""
    if name not in {s.name for s in config.sources}:
        raise BadRequest(f"no source named '{name}'")
    (status,) = await sources(config, store, now=now, names=[name])
    recent = await store.recent_polls(name, limit=polls)
    fetches = await store.recent_fetches(name, limit=polls * 10)
    grouped: list[Poll] = []
    for i, poll in enumerate(recent):
        start = recent[i + 1].at if i + 1 < len(recent) else None
        mine = tuple(f for f in fetches if f.at <= poll.at and (start is None or f.at > start))
        grouped.append(Poll(poll=poll, fetches=mine))
    given_up = await store.given_up(source=name, limit=20)
    return SourceDetail(status=status, polls=tuple(grouped), given_up=tuple(given_up))


def fetch_json(f: FetchRecord) -> dict[str, Any]:
    return {
        "at": iso_z(f.at),
        "url": f.url,
        "outcome": f.outcome,
        "status": f.status,
        "bytes": f.bytes,
        "elapsed_ms": round(f.elapsed * 1000),
        "error": f.error,
    }


def source_detail_json(d: SourceDetail) -> dict[str, Any]:
    return {
        **source_json(d.status),
        "polls": [
            {
                "at": iso_z(p.poll.at),
                "ok": p.poll.ok,
                "error": p.poll.error,
                "kind": p.poll.kind,
                "new_articles": p.poll.new_articles,
                "fetches": [fetch_json(f) for f in p.fetches],
            }
            for p in d.polls
        ],
        "given_up": [{"url": g.url, "reason": g.reason, "at": iso_z(g.at)} for g in d.given_up],
    }
