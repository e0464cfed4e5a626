"""The alert and digest bodies of DESIGN.md: the one place that builds them.

The payload is the contract with receivers: the generic webhook body is exactly this, and every
other format (Slack, Discord, email, console, Apprise) is rendered from it, so a message in the
outbox carries everything needed to deliver it again after a restart.

An alert is rendered by the pipeline before it is stored (``render_alert``: rule, article,
matched spans, snippet); the store completes it with what only it knows, in the transaction
that writes it (``with_identity``: the alert's id and its story). A digest is built by the store
when it seals one (``build_digest_payload``), from the stored alert bodies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from watchwire.models import Article, Match

__all__ = [
    "ALERT_TYPE",
    "DIGEST_TYPE",
    "HEALTH_TYPE",
    "alerts_of",
    "as_displayed",
    "build_alert_payload",
    "build_digest_payload",
    "iso_utc",
    "render_alert",
    "summary",
    "with_identity",
]

ALERT_TYPE = "watchwire.alert"
DIGEST_TYPE = "watchwire.digest"
HEALTH_TYPE = "watchwire.source_health"

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


def render_alert(
    *, rule: str, article: Article, source: str, matches: Match, created_at: datetime
) -> dict[str, Any]:
    """The ``watchwire.alert`` body of DESIGN.md but for ``id`` and ``story``, which the store
    adds (``with_identity``). Reading ``matches`` builds its spans and snippet if deferred."""
    return {
        "type": ALERT_TYPE,
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
    }


def with_identity(
    body: Mapping[str, Any], *, alert_id: str, story_id: int | str, copies: Sequence[str]
) -> dict[str, Any]:
    """A rendered alert body completed with its id and its story, in DESIGN.md's key order.

    ``story.id`` is always a string, so receivers see one type whatever the store uses.
    """
    out: dict[str, Any] = {"type": body["type"], "id": alert_id}
    out.update((k, v) for k, v in body.items() if k not in ("type", "id", "story"))
    out["story"] = {"id": str(story_id), "copies": list(copies)}
    return out


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
    """The whole ``watchwire.alert`` body at once (what the pipeline and the store build in
    two steps): for tests, examples and test messages."""
    body = render_alert(
        rule=rule, article=article, source=source, matches=matches, created_at=created_at
    )
    return with_identity(body, alert_id=alert_id, story_id=story_id, copies=copies)


def build_digest_payload(
    digest_id: str, alert_payloads: Sequence[Mapping[str, Any]], *, created_at: datetime
) -> dict[str, Any]:
    """``{"type": "watchwire.digest", "id": …, "created_at": …, "alerts": [alert bodies…]}``."""
    return {
        "type": DIGEST_TYPE,
        "id": digest_id,
        "created_at": iso_utc(created_at.replace(microsecond=0)),
        "alerts": [dict(a) for a in alert_payloads],
    }


def alerts_of(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The alert bodies a message carries: itself for an alert, its list for a digest."""
    if payload.get("type") == DIGEST_TYPE:
        return list(payload.get("alerts") or [])
    return [payload]


def summary(payload: Mapping[str, Any]) -> str:
    """One line saying what a message is (``watchwire alerts list``)."""
    if payload.get("type") == HEALTH_TYPE:
        source = (payload.get("source") or {}).get("name", "?")
        return f"source-health: {source} is {payload.get('state', '?')}"
    if payload.get("type") == DIGEST_TYPE:
        return f"digest of {len(payload.get('alerts') or [])} alerts"
    article = payload.get("article") or {}
    return f"{payload.get('rule', '?')}: {article.get('title') or article.get('url') or '?'}"


def as_displayed(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """How the channels that render text show ``payload``: a ``watchwire.source_health``
    alert in an alert's shape (rule ``source-health``; its "article" the source, titled with
    the change, the reason as its snippet); a digest with each of its bodies so. Webhooks with
    ``format: json`` send the payload itself."""
    if payload.get("type") == DIGEST_TYPE:
        return {**payload, "alerts": [as_displayed(a) for a in payload.get("alerts") or ()]}
    if payload.get("type") != HEALTH_TYPE:
        return payload
    source = payload.get("source") or {}
    name, state = source.get("name") or "?", payload.get("state") or "?"
    previous = payload.get("previous_state") or "?"
    title = f"{name} recovered (was {previous})" if state == "ok" else f"{name} is {state}"
    reason = str(payload.get("reason") or "")
    return {
        "type": payload["type"],
        "id": payload.get("id"),
        "rule": "source-health",
        "created_at": payload.get("created_at"),
        "article": {"url": source.get("url"), "title": title, "source": name,
                    "published_at": payload.get("since"), "lead": reason, "snippet": reason},
        "matches": [],
    }  # fmt: skip
