"""The dispatcher over the real SQLite outbox, real channels and an injected clock."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from watchwire.alerts import (
    Channel,
    Dispatcher,
    EmailSender,
    WebhookSender,
)
from watchwire.config import EmailChannel, RetryPolicy, WebhookChannel
from watchwire.models import Article, Match, OutboxMessage, Span
from watchwire.payloads import render_alert
from watchwire.store import AlertIntent, NewArticle, OutboxRow, Store, locate_store, open_store

from .conftest import T0, Clock, Receiver, SmtpFactory

SECRET = "whsec_" + base64.b64encode(b"dispatcher test secret, 32 bytes").decode()
POLICY = RetryPolicy(first=timedelta(seconds=30), max=timedelta(hours=1),
                     give_up=timedelta(hours=24))  # fmt: skip


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(locate_store(tmp_path / "w.db")) as s:
        yield s


async def add_alert(
    store: Store, n: int, *, channel: str = "ops", digest: bool = False,
    rule: str = "belarus-sanctions", source: str = "unn-en", text: str | None = None,
) -> list[str]:  # fmt: skip
    """Store article ``n`` with one matching rule, as the pipeline does; return alert ids."""
    url = f"https://news.example/{n}"
    article = Article(title=f"Belarus sanctions story {n}", url=url,
                      text=text or f"Body {n} on sanctions", lead=f"Lead {n}")  # fmt: skip
    match = Match(rule=rule, spans=(Span(field="title", start=0, end=7, text="Belarus"),),
                  snippet=f"«Belarus» «sanctions» {n}")  # fmt: skip

    body = render_alert(rule=rule, article=article, source=source, matches=match, created_at=T0)
    saved = await store.save_article(
        NewArticle(url=url, source=source, article=article, content_hash=f"h{text or n}",
                   simhash=None),
        [AlertIntent(rule=rule, channel=channel, digest=digest, payload=body)],
        now=T0,
    )  # fmt: skip
    return list(saved.alerts)


async def row(store: Store, message_id: str) -> OutboxRow:
    (found,) = [r for r in await store.list_outbox(limit=1000) if r.id == message_id]
    return found


def webhook(url: str, **extra: Any) -> WebhookChannel:
    return WebhookChannel.model_validate({"type": "webhook", "url": url, "secret": SECRET,
                                          **extra})  # fmt: skip


def dispatcher(store: Store, channels: dict[str, Channel], clock: Clock,
               policy: RetryPolicy = POLICY, **kwargs: Any) -> Dispatcher:  # fmt: skip
    policies = dict.fromkeys(channels, policy)
    return Dispatcher(store, channels, policies, clock=clock, rng=random.Random(7), **kwargs)


async def test_500s_then_200_delivers_exactly_once_with_one_webhook_id(
    store: Store, receiver: Receiver
) -> None:
    (alert_id,) = await add_alert(store, 1)
    receiver.reply((500, {}, b""), (500, {}, b""), (503, {}, b""))
    clock = Clock()
    async with WebhookSender("ops", webhook(receiver.url)) as ops:
        d = dispatcher(store, {"ops": ops}, clock)
        for _ in range(8):  # well past the moment it succeeds
            await d.drain_once()
            clock.advance(hours=1)
    assert len(receiver.requests) == 4
    assert {r.headers["webhook-id"] for r in receiver.requests} == {alert_id}
    for request in receiver.requests:
        assert Webhook(SECRET).verify(request.body, request.headers)["id"] == alert_id
    final = await row(store, alert_id)
    assert final.state == "delivered" and final.attempts == 4


async def test_every_attempt_is_recorded_with_the_receivers_answer(
    store: Store, receiver: Receiver
) -> None:
    """`alerts show` reads these: each try, its outcome, what the receiver said."""
    (alert_id,) = await add_alert(store, 1)
    receiver.reply((503, {}, b"busy, come back"), (202, {}, b"queued as 7"))
    clock = Clock()
    async with WebhookSender("ops", webhook(receiver.url)) as ops:
        d = dispatcher(store, {"ops": ops}, clock)
        await d.drain_once()
        clock.advance(hours=1)
        await d.drain_once()
    tries = await store.delivery_attempts(alert_id)
    assert [(t.attempt, t.outcome) for t in tries] == [(1, "retry"), (2, "delivered")]
    assert tries[0].answer == "HTTP 503 X: busy, come back"  # the test receiver says X
    assert tries[0].next_attempt_at is not None and tries[0].next_attempt_at > T0
    assert tries[1].answer == "HTTP 202 X: queued as 7"


async def test_nothing_is_sent_before_the_backoff_is_over(store: Store, receiver: Receiver) -> None:
    (alert_id,) = await add_alert(store, 1)
    receiver.reply((500, {}, b""))
    clock = Clock()
    async with WebhookSender("ops", webhook(receiver.url)) as ops:
        d = dispatcher(store, {"ops": ops}, clock)
        assert await d.drain_once() == 1
        pending = await row(store, alert_id)
        assert pending.state == "pending" and pending.next_attempt_at is not None
        assert T0 + timedelta(seconds=15) <= pending.next_attempt_at <= T0 + timedelta(seconds=30)
        clock.now = pending.next_attempt_at - timedelta(milliseconds=1)
        assert await d.drain_once() == 0
        clock.now = pending.next_attempt_at
        assert await d.drain_once() == 1
    assert (await row(store, alert_id)).state == "delivered"


async def test_429_retry_after_is_honoured(store: Store, receiver: Receiver) -> None:
    (alert_id,) = await add_alert(store, 1)
    receiver.reply((429, {"Retry-After": "600"}, b""))
    clock = Clock()
    async with WebhookSender("ops", webhook(receiver.url)) as ops:
        d = dispatcher(store, {"ops": ops}, clock)
        await d.drain_once()
        assert (await row(store, alert_id)).next_attempt_at == T0 + timedelta(seconds=600)
        clock.advance(seconds=599)
        assert await d.drain_once() == 0
        clock.advance(seconds=1)
        assert await d.drain_once() == 1
    assert len(receiver.requests) == 2


async def test_410_gone_fails_at_once_and_is_not_retried(
    store: Store, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    (alert_id,) = await add_alert(store, 1)
    receiver.default = (410, {}, b"gone")
    clock = Clock()
    async with WebhookSender("ops", webhook(receiver.url)) as ops:
        d = dispatcher(store, {"ops": ops}, clock)
        await d.drain_once()
        clock.advance(days=2)
        assert await d.drain_once() == 0
    failed = await row(store, alert_id)
    assert failed.state == "failed" and "410" in (failed.last_error or "")
    assert len(receiver.requests) == 1
    assert any("failed" in r.message and alert_id in r.message for r in caplog.records)


async def test_a_dead_receiver_is_retried_for_give_up_then_failed(
    store: Store, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    (alert_id,) = await add_alert(store, 1)
    receiver.default = (500, {}, b"down")
    policy = RetryPolicy(first=timedelta(minutes=1), max=timedelta(minutes=10),
                         give_up=timedelta(hours=2))  # fmt: skip
    clock = Clock()
    async with WebhookSender("ops", webhook(receiver.url)) as ops:
        d = dispatcher(store, {"ops": ops}, clock, policy)
        while (await row(store, alert_id)).state != "failed":
            await d.drain_once()
            clock.advance(minutes=10)
            assert clock.now < T0 + timedelta(hours=3)
    assert len(receiver.requests) >= 12  # about two hours of retries, ten minutes apart at most
    failed = await row(store, alert_id)
    assert "HTTP 500" in (failed.last_error or "")
    assert any("gave up" in r.message for r in caplog.records)


async def test_a_message_for_an_unknown_channel_stays_pending_and_goes_out_when_it_is_back(
    store: Store, receiver: Receiver
) -> None:
    """Not claimed while its channel is not configured (untouched, no attempt counted); due
    at once, not minutes later, when a config with the channel comes back."""
    (alert_id,) = await add_alert(store, 1, channel="removed")
    clock = Clock()
    async with WebhookSender("ops", webhook(receiver.url)) as ops:
        assert await dispatcher(store, {"ops": ops}, clock).drain_once() == 0
        kept = await row(store, alert_id)
        assert kept.state == "pending" and kept.attempts == 0
        # The channel comes back (config reloaded), the clock where it was: the alert goes out.
        async with WebhookSender("removed", webhook(receiver.url)) as back:
            assert await dispatcher(store, {"removed": back}, clock).drain_once() == 1
    assert (await row(store, alert_id)).state == "delivered"


class Exploding:
    name = "ops"

    async def send(self, message: OutboxMessage) -> None:
        raise KeyError("a bug in a renderer")


async def test_a_bug_in_a_channel_delays_the_alert_it_does_not_drop_it(
    store: Store,
) -> None:
    (alert_id,) = await add_alert(store, 1)
    await dispatcher(store, {"ops": Exploding()}, Clock()).drain_once()
    kept = await row(store, alert_id)
    assert kept.state == "pending" and "KeyError" in (kept.last_error or "")


async def test_a_delivery_interrupted_in_process_is_due_again_at_once_with_the_same_id(
    tmp_path: Path, receiver: Receiver
) -> None:
    """The pass is cancelled while the receiver holds the request (the service stopping): the
    message is due again at once, not after its lease, and goes out with the same id."""
    gate = asyncio.Event()
    clock = Clock()
    async with open_store(locate_store(tmp_path / "w.db")) as store:
        (alert_id,) = await add_alert(store, 1)
        async with WebhookSender("ops", webhook(receiver.url)) as ops:
            d = dispatcher(store, {"ops": ops}, clock, lease=timedelta(minutes=5))
            receiver.hold = gate
            task = asyncio.create_task(d.drain_once())
            await receiver.wait_for_requests(1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            gate.set()
        interrupted = await row(store, alert_id)
        assert interrupted.state == "pending" and interrupted.last_error == "delivery interrupted"
    receiver.hold = None
    async with open_store(locate_store(tmp_path / "w.db")) as store:  # the restart
        async with WebhookSender("ops", webhook(receiver.url)) as ops:
            d = dispatcher(store, {"ops": ops}, clock)
            assert await d.drain_once() == 1  # at once: the clock has not moved
        assert (await row(store, alert_id)).state == "delivered"
    assert [r.headers["webhook-id"] for r in receiver.requests] == [alert_id, alert_id]


async def test_a_message_left_delivering_by_a_dead_process_waits_for_its_lease(
    store: Store, receiver: Receiver
) -> None:
    """Without the service lock's word that its holder is gone, a lease is honoured."""
    (alert_id,) = await add_alert(store, 1)
    clock = Clock()
    (claimed,) = await store.claim_due(now=clock(), limit=10, lease=timedelta(minutes=5))
    async with WebhookSender("ops", webhook(receiver.url)) as ops:
        d = dispatcher(store, {"ops": ops}, clock)
        assert await d.drain_once() == 0  # still leased to the other process
        clock.advance(minutes=5)
        assert await d.drain_once() == 1
    assert (await row(store, alert_id)).state == "delivered"
    assert claimed.id == alert_id


async def test_a_delivery_longer_than_its_deadline_is_cut_off_and_retried(
    store: Store, receiver: Receiver
) -> None:
    (alert_id,) = await add_alert(store, 1)
    receiver.hold = asyncio.Event()
    async with WebhookSender("ops", webhook(receiver.url)) as ops:
        d = dispatcher(store, {"ops": ops}, Clock(), lease=timedelta(milliseconds=250))
        await d.drain_once()
        receiver.hold.set()
    kept = await row(store, alert_id)
    assert kept.state == "pending" and "longer than" in (kept.last_error or "")


async def test_deliveries_run_concurrently_within_the_channel_limit(
    store: Store, receiver: Receiver
) -> None:
    for n in range(6):
        await add_alert(store, n)
    receiver.hold = asyncio.Event()
    async with WebhookSender("ops", webhook(receiver.url, concurrency=2)) as ops:
        task = asyncio.create_task(dispatcher(store, {"ops": ops}, Clock()).drain_once())
        await receiver.wait_for_requests(2)
        for _ in range(20):
            await asyncio.sleep(0)
        assert len(receiver.requests) == 2  # two in flight, four waiting for a slot
        receiver.hold.set()
        assert await task == 6
    assert len(receiver.requests) == 6
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 6


async def test_delivery_log_lines_name_channel_and_id_but_no_secret(
    store: Store, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="watchwire.alerts")
    (alert_id,) = await add_alert(store, 1)
    receiver.reply((500, {}, b""))
    clock = Clock()
    secret_url = receiver.url + "?token=SECRETTOKEN"
    async with WebhookSender("ops", webhook(secret_url)) as ops:
        d = dispatcher(store, {"ops": ops}, clock)
        await d.drain_once()
        clock.advance(hours=1)
        await d.drain_once()
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("channel ops: retry alert " + alert_id) for line in lines)
    assert any(line.startswith("channel ops: delivered alert " + alert_id) for line in lines)
    assert "SECRETTOKEN" not in caplog.text and SECRET not in caplog.text


async def test_same_story_from_two_sources_is_one_alert(store: Store, receiver: Receiver) -> None:
    first = await add_alert(store, 1, text="the same wire story")
    second = await add_alert(store, 2, source="other", text="the same wire story")
    assert len(first) == 1 and second == []
    async with WebhookSender("ops", webhook(receiver.url)) as ops:
        await dispatcher(store, {"ops": ops}, Clock()).drain_once()
    assert len(receiver.requests) == 1


async def test_a_digest_of_25_alerts_is_one_email_delivered_once(
    store: Store, smtp_server: SmtpFactory
) -> None:
    box = await smtp_server()
    for n in range(25):
        await add_alert(store, n, channel="analysts", digest=True)
    clock = Clock()
    config = EmailChannel.model_validate({
        "type": "email", "to": ["analyst@example.org"], "from": "watchwire@example.org",
        "digest": "1h", "smtp": {"host": "127.0.0.1", "port": box.port, "security": "none"},
    })  # fmt: skip
    d = dispatcher(store, {"analysts": EmailSender("analysts", config)}, clock)
    assert await d.drain_once() == 0  # alerts wait for their digest
    clock.advance(hours=1)
    digest = await store.seal_digest("analysts", now=clock())
    assert digest is not None
    assert await d.drain_once() == 1
    assert await d.drain_once() == 0
    (mail,) = box.messages
    assert mail["Subject"] == "[watchwire] digest: 25 alerts"
    assert mail["Message-ID"].startswith(f"<watchwire.{digest.id}@")
    assert (await row(store, digest.id)).state == "delivered"
