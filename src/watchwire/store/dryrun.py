"""``DryRunStore``: a ``PollStore`` that reads through to a store and writes nothing.

``watchwire once --dry-run`` polls through it: the pipeline sees what the store knows (URLs,
validators, stories, alerts already sent) and decides as it would, but nothing is stored and
no alert is written; ``save_article`` asks ``preview_article`` instead and keeps what it would
have done (``would_alert``). Within one dry run, two copies of a new story are both new to the
store, so both may show as alerting where a real run alerts once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from watchwire.models import FetchResult, StoredArticle, Validators
from watchwire.store.roles import PollStore
from watchwire.store.values import (
    AlertIntent,
    ArticlePreview,
    ArticleRow,
    CachedValidators,
    DayActivity,
    FetchRecord,
    GivenUp,
    HealthIntent,
    HealthRecord,
    NewArticle,
    PageClaim,
    PollRecord,
    SourceHealth,
    SourceState,
    StoryDetail,
    StorySummary,
)

__all__ = ["DryRunStore", "WouldAlert"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WouldAlert:
    """An alert a real run would have written."""

    source: str
    rule: str
    channel: str
    digest: bool
    title: str
    url: str


class DryRunStore:
    """Reads from ``base``; every write is dropped, ``save_article`` previewed."""

    def __init__(self, base: PollStore) -> None:
        self._base = base
        self._seen: dict[str, datetime | None] = {}
        self.would_alert: list[WouldAlert] = []

    # --- sources: read through, write nothing ---------------------------------------------------

    async def source_state(self, name: str) -> SourceState | None:
        return await self._base.source_state(name)

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
        stored = await self._base.source_state(name)
        if stored is not None:  # the judgement of health reads the state as the poll left it
            return replace(
                stored, kind=kind or stored.kind, last_ok_at=now if ok else stored.last_ok_at,
                consecutive_failures=0 if ok else stored.consecutive_failures + 1,
                failing_since=None if ok else (stored.failing_since or now),
                last_error=error, next_poll_at=next_poll_at,
                last_new_at=now if new_articles else stored.last_new_at,
            )  # fmt: skip
        return SourceState(
            name=name, kind=kind, first_polled_at=now, last_ok_at=now if ok else None,
            consecutive_failures=0 if ok else 1, last_error=error, next_poll_at=next_poll_at,
        )  # fmt: skip

    async def record_fetch(self, source: str, result: FetchResult, *, now: datetime) -> None:
        return None

    async def validators(self, url: str) -> CachedValidators | None:
        return await self._base.validators(url)

    async def save_validators(
        self, url: str, validators: Validators, *, body_hash: str | None, now: datetime
    ) -> None:
        return None

    async def source_health(
        self, *, since: datetime, names: Sequence[str] | None = None
    ) -> list[SourceHealth]:
        return await self._base.source_health(since=since, names=names)

    async def record_health(
        self, name: str, record: HealthRecord, intents: Sequence[HealthIntent], *, now: datetime
    ) -> list[str]:
        return []

    async def recent_polls(self, name: str, *, limit: int = 20) -> list[PollRecord]:
        return await self._base.recent_polls(name, limit=limit)

    async def recent_fetches(self, name: str, *, limit: int = 50) -> list[FetchRecord]:
        return await self._base.recent_fetches(name, limit=limit)

    async def source_states(self) -> list[SourceState]:
        return await self._base.source_states()

    async def health_states(self) -> dict[str, tuple[str | None, datetime | None]]:
        return await self._base.health_states()

    async def article_times(self, name: str, *, limit: int) -> list[datetime]:
        return await self._base.article_times(name, limit=limit)

    # --- articles: previewed --------------------------------------------------------------------

    async def known_urls(self, urls: Sequence[str]) -> dict[str, datetime | None]:
        known = await self._base.known_urls(urls)
        known.update((u, self._seen[u]) for u in urls if u in self._seen)
        return known

    async def give_up(self, url: str, *, source: str, reason: str, now: datetime) -> None:
        self._seen[url] = None  # not again in this run; nothing is remembered after it

    async def given_up(self, *, source: str | None = None, limit: int = 100) -> list[GivenUp]:
        return await self._base.given_up(source=source, limit=limit)

    async def save_article(
        self, new: NewArticle, intents: Sequence[AlertIntent], *, now: datetime
    ) -> StoredArticle:
        preview = await self._base.preview_article(new, intents)
        self._seen[new.url] = new.article.modified_at or new.article.published_at
        self.would_alert += (
            WouldAlert(source=new.source, rule=i.rule, channel=i.channel, digest=i.digest,
                       title=new.article.title, url=new.url)
            for i in preview.alerts
        )  # fmt: skip
        return StoredArticle(
            article_id=0,
            story_id=preview.story_id or 0,
            created=not preview.stored,
            new_version=False,
            alerts=tuple(f"{i.rule}/{i.channel}" for i in preview.alerts),
        )

    async def preview_article(
        self, new: NewArticle, intents: Sequence[AlertIntent]
    ) -> ArticlePreview:
        return await self._base.preview_article(new, intents)

    async def article(self, article_id: int) -> ArticleRow | None:
        return await self._base.article(article_id)

    async def story_copies(self, story_id: int) -> list[str]:
        return await self._base.story_copies(story_id)

    async def count_articles(self) -> int:
        return await self._base.count_articles()

    # --- pages: this run's own, claimed from nobody ----------------------------------------------

    async def claim_pages(
        self, urls: Sequence[str], *, now: datetime, lease: timedelta
    ) -> PageClaim:
        """Every page is this run's to fetch (it takes no lease others would see); those the
        store or this run has are named stored."""
        known = await self.known_urls(urls)
        return PageClaim(mine=frozenset(urls), elsewhere=frozenset(), stored=frozenset(known))

    async def pages_held(self, urls: Sequence[str], *, now: datetime) -> set[str]:
        return set()

    async def release_pages(self, urls: Sequence[str]) -> None:
        return None

    async def daily_activity(self, *, since: date) -> list[DayActivity]:
        return await self._base.daily_activity(since=since)

    async def stories(self, *, before: int | None = None, limit: int = 50) -> list[StorySummary]:
        return await self._base.stories(before=before, limit=limit)

    async def story(self, story_id: int) -> StoryDetail | None:
        return await self._base.story(story_id)
