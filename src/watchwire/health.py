"""Source health: the states of ``docs/alerts.md``, judged after every poll. Pure.

One list of states, written once here and in ``docs/alerts.md``, read by every surface
(``watchwire sources``, ``validate``, ``/metrics``, the alerts):

- ``never-polled`` — no poll has been judged yet;
- ``ok`` — the last poll worked and the source is not silent;
- ``failing`` — polls fail (``failing_after``: 3 polls in a row, or failing for a duration);
- ``silent`` — polls work but no new article for longer than the source's own history says is
  normal (``silent_after: auto``; a duration; or ``off``);
- ``robots-blocked`` — failing because robots.txt forbids the source's URL;
- ``gone`` — failing with 404/410, or a redirect loop;
- ``moved`` — the source's URL redirects permanently (301/308): the config should say where.

``judge`` (pure) takes the source's stored state as ``record_poll`` left it (the run of
failures and since when, the last poll that brought something new) and what this poll saw, and
returns the state to store — and whether people are told (``notify``): once when a source goes
bad, once when it recovers, never while a state holds. ``HealthKeeper`` does it after each poll:
it learns a source's normal silence from the store, judges, and stores the state with its
alerts in one transaction, so a restart neither forgets a state nor announces it again.
"""

from __future__ import annotations

import enum
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from watchwire.config import Config, SourceConfig, Threshold
from watchwire.logs import redact_text, redact_url
from watchwire.models import FetchOutcome, FetchResult
from watchwire.payloads import HEALTH_TYPE
from watchwire.store import HealthIntent, HealthRecord, SourceState, SourceStore

__all__ = [
    "BAD",
    "HEALTH_TYPE",
    "SILENT_DEFAULT",
    "SILENT_FLOOR",
    "HealthKeeper",
    "PollFacts",
    "State",
    "Verdict",
    "facts_of",
    "judge",
    "learned_silence",
    "render_health_alert",
]

log = logging.getLogger(__name__)


class State(enum.StrEnum):
    NEVER_POLLED = "never-polled"
    OK = "ok"
    FAILING = "failing"
    SILENT = "silent"
    ROBOTS_BLOCKED = "robots-blocked"
    GONE = "gone"
    MOVED = "moved"


BAD = frozenset({State.FAILING, State.SILENT, State.ROBOTS_BLOCKED, State.GONE, State.MOVED})
"""States a person is told about when a source enters them."""

SILENT_FLOOR = timedelta(hours=6)
"""``silent_after: auto`` never judges a source silent sooner than this."""
SILENT_DEFAULT = timedelta(days=7)
"""``auto`` for a source with too little history to learn from."""
SILENT_CEILING = timedelta(days=30)
SILENT_HISTORY = 1000
"""Latest articles whose gaps ``auto`` learns from (a week and more of a busy site, so a
weekday-only site's weekend gap is in it)."""
_MIN_HISTORY = 5
_SILENT_FACTOR = 2

Failure = Literal["error", "robots", "gone"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PollFacts:
    """What one poll of a source's own URL saw."""

    ok: bool
    failure: Failure | None = None
    error: str | None = None
    """The failure in words (``HTTP 500``, ``robots.txt of … disallows it``)."""
    moved_to: str | None = None
    """Where a chain of permanent redirects led, when the source's URL is not where it is."""


def facts_of(result: FetchResult | None, *, error: str | None = None) -> PollFacts:
    """The facts of a poll from its source document's fetch (None: not fetched, e.g. an
    unreadable document) and the poll's error, if it failed. URLs in them are redacted (no
    user info, no query values): they are stored and sent to people."""
    moved = redact_url(result.moved_to) if result is not None and result.moved_to else None
    error = redact_text(error) if error is not None else None
    if error is None:
        return PollFacts(ok=True, moved_to=moved)
    failure: Failure = "error"
    if result is not None:
        if result.outcome is FetchOutcome.DISALLOWED and result.error_class == "robots":
            failure = "robots"
        elif result.status in (404, 410) or result.error_class == "redirect_loop":
            failure = "gone"
    return PollFacts(ok=False, failure=failure, error=error, moved_to=moved)


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    record: HealthRecord
    previous: State
    notify: bool
    """Whether people are told: the source entered a bad state, or left one."""
    changed: bool
    """Whether anything stored changes (state, reason or where it moved)."""


def learned_silence(times: Sequence[datetime], *, floor: timedelta = SILENT_FLOOR) -> timedelta:
    """``silent_after: auto``: twice the longest gap between the source's latest articles
    (``times``, any order), at least ``floor`` and at most 30 days; 7 days with fewer than 5
    articles to learn from."""
    if len(times) < _MIN_HISTORY:
        return max(SILENT_DEFAULT, floor)
    ordered = sorted(times)
    gap = max(b - a for a, b in itertools.pairwise(ordered))
    return min(max(gap * _SILENT_FACTOR, floor), max(SILENT_CEILING, floor))


def judge(
    stored: SourceState,
    facts: PollFacts,
    *,
    now: datetime,
    failing_after: Threshold,
    silent_after: timedelta | None,
) -> Verdict:
    """The state after this poll. ``stored`` is as ``record_poll`` left it (this poll
    counted); ``silent_after`` is the limit in force (learned or configured; zero: off)."""
    previous = State(stored.state) if stored.state else State.NEVER_POLLED
    record: HealthRecord | None
    if facts.ok:
        record = _when_ok(stored, facts, now=now, silent_after=silent_after)
    else:
        record = _when_failing(stored, facts, now=now, failing_after=failing_after)
    if record is None:  # below the threshold: the state holds
        record = HealthRecord(
            state=str(previous),
            since=stored.state_since or now,
            reason=stored.state_reason,
            moved_to=stored.moved_to,
        )
    state = State(record.state)
    if state == previous:
        record = HealthRecord(
            state=record.state,
            since=stored.state_since or record.since,
            reason=record.reason,
            moved_to=record.moved_to,
        )
    notify = state != previous and (state in BAD or previous in BAD)
    changed = (
        state != previous
        or record.reason != stored.state_reason
        or record.moved_to != stored.moved_to
        or stored.state is None
    )
    return Verdict(record=record, previous=previous, notify=notify, changed=changed)


def _when_ok(
    stored: SourceState, facts: PollFacts, *, now: datetime, silent_after: timedelta | None
) -> HealthRecord:
    if facts.moved_to:
        return HealthRecord(
            state=State.MOVED,
            since=now,
            reason=f"permanently redirected to {facts.moved_to}: put that URL in the config",
            moved_to=facts.moved_to,
        )
    last = stored.last_new_at or stored.first_polled_at or now
    if silent_after and now - last > silent_after:
        return HealthRecord(
            state=State.SILENT,
            since=last,
            reason=f"no new article since {_hhmm(last)}; up to {_human(silent_after)} "
            "without one is normal here",
        )
    return HealthRecord(state=State.OK, since=now)


def _when_failing(
    stored: SourceState, facts: PollFacts, *, now: datetime, failing_after: Threshold
) -> HealthRecord | None:
    polls = stored.consecutive_failures
    since = stored.failing_since or now
    if failing_after.polls is not None:
        reached = polls >= failing_after.polls
    else:
        assert failing_after.duration is not None
        reached = now - since >= failing_after.duration
    if not reached:
        return None
    state = {"robots": State.ROBOTS_BLOCKED, "gone": State.GONE}.get(
        facts.failure or "error", State.FAILING
    )
    plural = "s" if polls != 1 else ""
    return HealthRecord(
        state=state,
        since=since,
        reason=f"{facts.error or 'poll failed'} on {polls} poll{plural} since {_hhmm(since)}",
    )


def render_health_alert(
    *,
    source: str,
    url: str,
    verdict: Verdict,
    created_at: datetime,
) -> dict[str, Any]:
    """The ``watchwire.source_health`` body of ``docs/alerts.md`` but for ``id``, which the
    store gives each channel's alert."""
    record = verdict.record
    body: dict[str, Any] = {
        "type": HEALTH_TYPE,
        "created_at": _iso(created_at),
        "source": {"name": source, "url": redact_url(url)},
        "state": record.state,
        "previous_state": str(verdict.previous),
        "since": _iso(record.since),
        "reason": record.reason or ("recovered" if record.state == State.OK else None),
    }
    if record.moved_to:
        body["moved_to"] = record.moved_to
    return body


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hhmm(when: datetime) -> str:
    """``2026-11-30 10:02Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def _human(td: timedelta) -> str:
    s = int(td.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            value = s / size
            return (
                f"{value:.0f}{unit}" if value >= 10 or value == int(value) else f"{value:.1f}{unit}"
            )
    return f"{s}s"


class HealthKeeper:
    """Judges and stores each source's health after its polls; tells ``health.notify``."""

    def __init__(self, store: SourceStore) -> None:
        self._store = store
        self._learned: dict[str, tuple[datetime | None, timedelta]] = {}
        """Per source: the silence learned, and the last new article it was learned at."""

    async def after_poll(
        self,
        config: Config,
        source: SourceConfig,
        stored: SourceState,
        facts: PollFacts,
        *,
        now: datetime,
    ) -> Verdict:
        failing_after, silent_after = config.health_for(source)
        if silent_after is None and facts.ok:
            silent_after = await self._silence(source.name, stored, now)
        verdict = judge(
            stored, facts, now=now, failing_after=failing_after, silent_after=silent_after
        )
        if not verdict.changed:
            return verdict
        intents: list[HealthIntent] = []
        if verdict.notify:
            body = render_health_alert(
                source=source.name, url=source.url, verdict=verdict, created_at=now
            )
            intents = [
                HealthIntent(channel=name, digest=config.channels[name].digest is not None,
                             payload=body)
                for name in config.health.notify
                if name in config.channels
            ]  # fmt: skip
            level = logging.INFO if verdict.record.state == State.OK else logging.WARNING
            reason = verdict.record.reason or "recovered"
            log.log(level, "source is %s (was %s): %s", verdict.record.state, verdict.previous,
                    reason, extra={"source": source.name})  # fmt: skip
        await self._store.record_health(source.name, verdict.record, intents, now=now)
        return verdict

    async def _silence(self, name: str, stored: SourceState, now: datetime) -> timedelta | None:
        """The learned limit, read from the store only when it could matter (quiet for longer
        than the floor) and once per new article."""
        last = stored.last_new_at or stored.first_polled_at
        if last is None or now - last <= SILENT_FLOOR:
            return SILENT_FLOOR
        cached = self._learned.get(name)
        if cached is not None and cached[0] == stored.last_new_at:
            return cached[1]
        limit = learned_silence(await self._store.article_times(name, limit=SILENT_HISTORY))
        self._learned[name] = (stored.last_new_at, limit)
        return limit
