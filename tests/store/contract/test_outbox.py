"""The store contract, the outbox: leases, retries, failures, digests, listings."""

from __future__ import annotations

from datetime import timedelta

from tests.store.conftest import StoreOpener
from tests.store.helpers import T0, intent, new_article
from watchwire.payloads import build_digest_payload
from watchwire.store import DeliveryAttempt, Store

LEASE = timedelta(minutes=5)


async def test_claim_leases_and_expired_leases_are_reclaimed(store: Store) -> None:
    """A message left 'delivering' by a dead process is taken up again after its lease."""
    await store.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
    claimed = await store.claim_due(now=T0, limit=10, lease=LEASE)
    assert len(claimed) == 1 and claimed[0].attempts == 1
    assert await store.claim_due(now=T0 + timedelta(minutes=1), limit=10, lease=LEASE) == []
    again = await store.claim_due(now=T0 + timedelta(minutes=6), limit=10, lease=LEASE)
    assert [m.id for m in again] == [claimed[0].id] and again[0].attempts == 2
    await store.mark_delivered(again[0].id, now=T0)
    assert (await store.outbox_counts())["delivered"] == 1


async def test_retry_then_fail_then_requeue(store: Store) -> None:
    await store.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
    (m,) = await store.claim_due(now=T0, limit=10, lease=LEASE)
    await store.mark_retry(m.id, error="HTTP 500", next_attempt_at=T0 + timedelta(hours=1))
    assert await store.claim_due(now=T0, limit=10, lease=LEASE) == []
    assert await store.next_due() == T0 + timedelta(hours=1)
    (m,) = await store.claim_due(now=T0 + timedelta(hours=1), limit=10, lease=LEASE)
    await store.mark_failed(m.id, error="gave up", now=T0)
    rows = await store.list_outbox(states=["failed"])
    assert [(r.id, r.last_error, r.state) for r in rows] == [(m.id, "gave up", "failed")]
    assert await store.requeue_failed(now=T0, ids=["no-such-id"]) == 0
    assert await store.requeue_failed(now=T0) == 1
    assert (await store.outbox_counts())["pending"] == 1


async def test_a_delivered_message_is_not_retried_or_failed(store: Store) -> None:
    await store.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
    (m,) = await store.claim_due(now=T0, limit=10, lease=LEASE)
    await store.mark_delivered(m.id, now=T0)
    await store.mark_retry(m.id, error="late", next_attempt_at=T0)
    await store.mark_failed(m.id, error="late", now=T0)
    (row,) = await store.list_outbox()
    assert row.state == "delivered" and row.delivered_at == T0


async def test_digest_seals_queued_alerts_into_one_message(store: Store) -> None:
    for i in range(3):
        await store.save_article(
            new_article(f"https://a/{i}", f"t{i}"), [intent(channel="mail", digest=True)], now=T0
        )
    assert (await store.outbox_counts())["queued"] == 3
    assert [r.state for r in await store.list_outbox(states=["queued"])] == ["queued"] * 3
    assert await store.oldest_queued_at("mail") == T0
    digest = await store.seal_digest("mail", now=T0)
    assert digest is not None and digest.kind == "digest"
    assert digest.payload == build_digest_payload(
        digest.id, digest.payload["alerts"], created_at=T0
    )
    assert len(digest.payload["alerts"]) == 3
    assert await store.seal_digest("mail", now=T0) is None
    assert await store.last_digest_at("mail") == T0
    (claimed,) = await store.claim_due(now=T0, limit=10, lease=timedelta(minutes=1))
    assert claimed.id == digest.id and claimed.payload == digest.payload


async def test_release_leases_makes_deliveries_a_gone_worker_left_due_now(
    open_backend: StoreOpener,
) -> None:
    """A worker stopped mid-delivery: the next one to open the store sends them at once."""
    async with open_backend() as gone:
        await gone.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
        (m,) = await gone.claim_due(now=T0, limit=10, lease=timedelta(minutes=10))
    async with open_backend() as store:
        assert await store.release_leases(now=T0 + timedelta(seconds=1)) == 1
        (again,) = await store.claim_due(now=T0 + timedelta(seconds=1), limit=10, lease=LEASE)
        assert again.id == m.id and again.attempts == 2
        # Its own lease is not released: it is alive, and may be sending it now.
        assert await store.release_leases(now=T0 + timedelta(seconds=2)) == 0


async def test_listing_is_newest_first_and_summarised(store: Store) -> None:
    for i in range(3):
        await store.save_article(
            new_article(f"https://a/{i}", f"t{i}"), [intent(rule=f"r{i}")],
            now=T0 + timedelta(minutes=i),
        )  # fmt: skip
    rows = await store.list_outbox(limit=2)
    assert [r.summary for r in rows] == ["r2: t", "r1: t"]
    assert all(r.state == "pending" and r.kind == "alert" for r in rows)


async def test_every_delivery_attempt_is_kept_with_the_answer(store: Store) -> None:
    """`alerts show` lists each try: when, how it went, what the receiver said."""
    await store.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
    (m,) = await store.claim_due(now=T0, limit=10, lease=LEASE)
    later = T0 + timedelta(minutes=1)
    await store.record_attempt(DeliveryAttempt(
        message_id=m.id, attempt=1, at=T0, outcome="retry", answer="HTTP 503: busy",
        elapsed=0.25, next_attempt_at=later,
    ))  # fmt: skip
    await store.record_attempt(DeliveryAttempt(
        message_id=m.id, attempt=2, at=later, outcome="delivered", answer="HTTP 200 OK"
    ))  # fmt: skip
    await store.record_attempt(DeliveryAttempt(
        message_id="no-such-message", attempt=1, at=T0, outcome="failed", answer="x"
    ))  # fmt: skip
    tries = await store.delivery_attempts(m.id)
    assert [(t.attempt, t.outcome, t.answer) for t in tries] == [
        (1, "retry", "HTTP 503: busy"),
        (2, "delivered", "HTTP 200 OK"),
    ]
    assert tries[0].elapsed == 0.25 and tries[0].next_attempt_at == later
    assert await store.delivery_attempts("no-such-message") == []


async def test_a_message_is_found_by_id_with_its_rule_title_and_url(store: Store) -> None:
    saved = await store.save_article(
        new_article("https://a/1", "t", title="Potash"), [intent("potash")], now=T0
    )
    (alert_id,) = saved.alerts
    row = await store.outbox_message(alert_id)
    assert row is not None
    assert (row.rule, row.state, row.channel) == ("potash", "pending", "ops")
    assert row.payload["rule"] == "potash" and row.payload["id"] == alert_id
    assert await store.outbox_message("no-such-id") is None


async def test_an_alert_of_a_digest_channel_is_found_queued_then_in_its_digest(
    store: Store,
) -> None:
    saved = await store.save_article(
        new_article("https://a/1", "t"), [intent(channel="mail", digest=True)], now=T0
    )
    (alert_id,) = saved.alerts
    row = await store.outbox_message(alert_id)
    assert row is not None and (row.state, row.digest_id) == ("queued", None)
    digest = await store.seal_digest("mail", now=T0)
    assert digest is not None
    row = await store.outbox_message(alert_id)
    assert row is not None and (row.state, row.digest_id) == ("pending", digest.id)


async def test_listing_filters_by_rule_time_and_change(store: Store) -> None:
    later = T0 + timedelta(hours=2)
    await store.save_article(new_article("https://a/1", "one"), [intent("r1")], now=T0)
    await store.save_article(new_article("https://a/2", "two"), [intent("r2")], now=later)
    await store.save_article(
        new_article("https://a/3", "three"), [intent("r1", channel="mail", digest=True)], now=later
    )
    by_rule = await store.list_outbox(rules=["r1"])
    assert sorted((r.rule, r.state) for r in by_rule) == [("r1", "pending"), ("r1", "queued")]
    recent = await store.list_outbox(since=later)
    assert sorted(r.rule or "" for r in recent) == ["r1", "r2"]
    assert [r.state for r in await store.list_outbox(states=["queued"], since=later)] == ["queued"]
    (m, _) = await store.claim_due(now=later, limit=10, lease=LEASE)
    touched = await store.list_outbox(changed_since=later, states=["delivering", "pending"])
    assert {r.id for r in touched} >= {m.id}


async def test_requeue_keeps_when_the_alert_was_made(store: Store) -> None:
    """A new delivery episode (give_up counts afresh) without rewriting its creation time."""
    await store.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
    (m,) = await store.claim_due(now=T0, limit=10, lease=LEASE)
    await store.mark_failed(m.id, error="HTTP 410", now=T0)
    later = T0 + timedelta(days=2)
    assert await store.requeue_failed(now=later) == 1
    (row,) = await store.list_outbox()
    assert row.created_at == T0 and row.requeued_at == later
    (again,) = await store.claim_due(now=later, limit=10, lease=LEASE)
    assert again.created_at == later  # the episode give_up counts from
