"""``send_test``: one test alert through one channel, as the dispatcher would send it, and
what the receiver answered (``watchwire notify-test``). Nothing is stored."""

from __future__ import annotations

import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime

from watchwire.alerts.factory import build_channel
from watchwire.config import ChannelConfig
from watchwire.exceptions import DeliveryError
from watchwire.models import Article, Match, OutboxMessage, Span
from watchwire.payloads import build_alert_payload
from watchwire.store import new_id

__all__ = ["Probe", "send_test", "test_message"]

TEST_RULE = "watchwire-test"
TEST_URL = "https://example.org/watchwire-test"
"""A documentation domain (RFC 2606): the test article is nowhere."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    ok: bool
    answer: str
    """The receiver's answer, or what went wrong."""
    elapsed: float
    """Seconds the delivery took."""
    transient: bool = False
    """For a failure: whether the dispatcher would try again later."""


def test_message(channel: str, *, now: datetime) -> OutboxMessage:
    """A test alert in the real alert format, its rule ``watchwire-test``."""
    article = Article(
        title="Test alert from watchwire",
        text="If you read this, alerts reach this channel.",
        paragraphs=("If you read this, alerts reach this channel.",),
        lead="If you read this, alerts reach this channel.",
        url=TEST_URL,
        published_at=now,
        language="en",
    )
    match = Match(rule=TEST_RULE, spans=(Span(field="body", start=35, end=41, text="alerts"),),
                  snippet="If you read this, «alerts» reach this channel.")  # fmt: skip
    message_id = new_id(now)
    payload = build_alert_payload(
        alert_id=message_id, rule=TEST_RULE, article=article, source="watchwire",
        matches=match, story_id=0, copies=(TEST_URL,), created_at=now,
    )  # fmt: skip
    return OutboxMessage(
        id=message_id, channel=channel, kind="alert", payload=payload, attempts=1, created_at=now
    )


async def send_test(name: str, config: ChannelConfig, *, now: datetime) -> Probe:
    """Build channel ``name``, send it one test alert, close it. Raises ConfigError for a
    channel that cannot be built (its package missing)."""
    channel = build_channel(name, config)
    message = test_message(name, now=now)
    started = time.perf_counter()
    try:
        if isinstance(channel, AbstractAsyncContextManager):
            async with channel as opened:
                answer = await opened.send(message)
        else:
            answer = await channel.send(message)
    except DeliveryError as exc:
        return Probe(ok=False, answer=str(exc), elapsed=time.perf_counter() - started,
                     transient=exc.transient)  # fmt: skip
    return Probe(ok=True, answer=answer or "accepted", elapsed=time.perf_counter() - started)
