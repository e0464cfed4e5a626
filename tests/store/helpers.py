"""Values the store tests build: articles to save, alert intents, a fixed time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from watchwire.models import Article
from watchwire.store import AlertIntent, NewArticle

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def new_article(
    url: str,
    text: str,
    *,
    source: str = "s1",
    simhash: int | None = None,
    band_keys: tuple[int, ...] = (),
    published_at: datetime | None = None,
    title: str | None = None,
) -> NewArticle:
    return NewArticle(
        url=url,
        source=source,
        article=Article(
            title=title if title is not None else f"Title of {url}",
            text=text,
            paragraphs=(text,),
            published_at=published_at,
            url=url,
        ),
        content_hash=f"h:{text}",
        simhash=simhash,
        band_keys=band_keys,
    )


def alert_body(rule: str = "r1") -> dict[str, Any]:
    """An alert as the pipeline renders it: everything but its id and its story."""
    return {"type": "watchwire.alert", "rule": rule, "created_at": "2026-11-30T12:00:00Z",
            "article": {"title": "t"}, "matches": []}  # fmt: skip


def intent(rule: str = "r1", channel: str = "ops", *, digest: bool = False) -> AlertIntent:
    return AlertIntent(rule=rule, channel=channel, digest=digest, payload=alert_body(rule))
