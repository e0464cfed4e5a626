"""The alert and digest bodies of DESIGN.md, built once when an alert is written to the outbox.

The payload is the contract with receivers: the generic webhook body is exactly this, and every
other format (Slack, Discord, email, console, Apprise) is rendered from it, so a message in the
outbox carries everything needed to deliver it again after a restart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from watchwire.models import Article, Match

__all__ = [
    "ALERT_TYPE",
    "DIGEST_TYPE",
    "alerts_of",
    "build_alert_payload",
    "build_digest_payload",
    "iso_utc",
]

ALERT_TYPE = "watchwire.alert"
DIGEST_TYPE = "watchwire.digest"

LEAD_MAX = 500
"""Characters of the lead carried in a payload; the article itself is one click away."""


def iso_utc(when: datetime) -> str:
    """``2026-11-30T07:44:47Z``; naive datetimes are taken as UTC (watchwire stores UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    spec = "seconds" if when.microsecond == 0 else "milliseconds"
    return when.isoformat(timespec=spec).replace("+00:00", "Z")


def _shorten(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _lead(article: Article) -> str:
    lead = article.lead or (article.paragraphs[0] if article.paragraphs else "")
    if not lead and article.text:
        lead = article.text.split("\n\n", 1)[0]
    return _shorten(lead, LEAD_MAX)


def build_alert_payload(
    *,
    alert_id: str,
    rule: str,
    article: Article,
    source: str,
    matches: Match,
    story_id: int | str,
    copies: Sequence[str],
    created_at: datetime,
) -> dict[str, Any]:
    """The generic ``watchwire.alert`` body of DESIGN.md.

    ``story.id`` is always a string, so receivers see one type whatever the store uses.
    """
    return {
        "type": ALERT_TYPE,
        "id": alert_id,
        "rule": rule,
        "created_at": iso_utc(created_at),
        "article": {
            "url": article.url,
            "title": article.title,
            "source": source,
            "published_at": iso_utc(article.published_at) if article.published_at else None,
            "language": article.language,
            "lead": _lead(article),
            "snippet": matches.snippet,
        },
        "matches": [
            {"field": s.field, "text": s.text, "start": s.start, "end": s.end}
            for s in matches.spans
        ],
        "story": {"id": str(story_id), "copies": list(copies)},
    }


def build_digest_payload(
    digest_id: str, alert_payloads: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """``{"type": "watchwire.digest", "id": …, "alerts": [alert payloads…]}``."""
    return {"type": DIGEST_TYPE, "id": digest_id, "alerts": [dict(a) for a in alert_payloads]}


def alerts_of(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The alert bodies a message carries: itself for an alert, its list for a digest."""
    if payload.get("type") == DIGEST_TYPE:
        return list(payload.get("alerts") or [])
    return [payload]
