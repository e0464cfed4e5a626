"""The outbox: alerts and digests, one with its delivery tries, and ``requeue`` — the one
write of the query layer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from watchwire.queries.common import KEY_TIME, BadRequest
from watchwire.store import (
    DeliveryAttempt,
    OutboxKey,
    OutboxRow,
    OutboxStore,
    Store,
)
from watchwire.timeutil import iso_z

__all__ = [
    "AlertDetail",
    "Requeued",
    "StoreSummary",
    "alert_detail",
    "alert_detail_json",
    "alert_json",
    "alerts",
    "attempt_json",
    "outbox",
    "outbox_key_text",
    "outbox_row_json",
    "parse_outbox_key",
    "requeue",
    "requeue_failed",
    "store_summary",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreSummary:
    articles: int
    outbox: dict[str, int]
    """Messages by state: pending, delivering, delivered, failed, queued (awaiting a digest)."""


async def store_summary(store: Store) -> StoreSummary:
    return StoreSummary(articles=await store.count_articles(), outbox=await store.outbox_counts())


# --- outbox -------------------------------------------------------------------------------------


async def outbox(
    store: OutboxStore, *, states: Sequence[str] = (), limit: int = 100
) -> list[OutboxRow]:
    """Messages newest first, of the given states (every state when none is given)."""
    return await store.list_outbox(states=states, limit=limit)


async def alerts(
    store: OutboxStore,
    *,
    states: Sequence[str] = (),
    rules: Sequence[str] = (),
    channels: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    before: OutboxKey | None = None,
    limit: int = 100,
) -> list[OutboxRow]:
    """Alerts and digests newest first (``watchwire alerts list``, the alerts page); empty
    filters: all. ``before``: the last row's ``key``, for the next page."""
    return await store.list_outbox(states=states, rules=rules, channels=channels, since=since,
                                   until=until, before=before, limit=limit)  # fmt: skip


def alert_json(r: OutboxRow) -> dict[str, Any]:
    """One alert or digest as ``alerts list --json`` prints it."""
    article = r.payload.get("article") or {}
    return {**outbox_row_json(r), "rule": r.rule, "title": r.title, "url": r.url,
            "source": article.get("source") if isinstance(article, dict) else None,
            "requeued_at": iso_z(r.requeued_at), "digest_id": r.digest_id}  # fmt: skip


def outbox_key_text(key: OutboxKey) -> str:
    """An alert's place in a listing as text (the alerts page's ``before=``)."""
    return f"{key[0].astimezone(UTC).strftime(KEY_TIME)}~{key[1]}"


def parse_outbox_key(text: str) -> OutboxKey:
    """The place ``outbox_key_text`` wrote; BadRequest for anything else."""
    when, _, ident = text.partition("~")
    try:
        at = datetime.strptime(when, KEY_TIME).replace(tzinfo=UTC)
    except ValueError:
        raise BadRequest(f"'{text}' is not a position in the alerts") from None
    if not ident.isalnum():
        raise BadRequest(f"'{text}' is not a position in the alerts")
    return (at, ident)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertDetail:
    """One alert or digest with every delivery try (``watchwire alerts show``)."""

    row: OutboxRow
    attempts: tuple[DeliveryAttempt, ...]
    """Its tries; for an alert carried by a digest, the digest's."""


async def alert_detail(store: OutboxStore, message_id: str) -> AlertDetail | None:
    row = await store.outbox_message(message_id)
    if row is None:
        return None
    carrier = row.digest_id or row.id
    return AlertDetail(row=row, attempts=tuple(await store.delivery_attempts(carrier)))


def attempt_json(a: DeliveryAttempt) -> dict[str, Any]:
    return {
        "attempt": a.attempt,
        "at": iso_z(a.at),
        "outcome": a.outcome,
        "answer": a.answer,
        "elapsed_ms": round(a.elapsed * 1000),
        "next_attempt_at": iso_z(a.next_attempt_at),
    }


def alert_detail_json(d: AlertDetail) -> dict[str, Any]:
    return {**alert_json(d.row), "payload": dict(d.row.payload),
            "deliveries": [attempt_json(a) for a in d.attempts]}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Requeued:
    requeued: int
    unknown: tuple[str, ...] = ()
    """Ids that name no message."""
    not_failed: tuple[tuple[str, str], ...] = ()
    """``(id, state)`` of named messages that are not failed: nothing to retry."""


async def requeue(store: OutboxStore, *, now: datetime, ids: Sequence[str] = ()) -> Requeued:
    """Requeue failed messages (all, or those of ``ids``), saying what of ``ids`` could not."""
    unknown: list[str] = []
    not_failed: list[tuple[str, str]] = []
    wanted: list[str] = []
    for message_id in dict.fromkeys(ids):
        row = await store.outbox_message(message_id)
        if row is not None and row.digest_id is not None:
            # An alert of a digest is retried with its digest.
            row = await store.outbox_message(row.digest_id)
        if row is None:
            unknown.append(message_id)
        elif row.state != "failed":
            not_failed.append((message_id, row.state))
        else:
            wanted.append(row.id)
    n = 0
    if not ids or wanted:
        n = await store.requeue_failed(now=now, ids=wanted)
    return Requeued(requeued=n, unknown=tuple(unknown), not_failed=tuple(not_failed))


async def requeue_failed(store: OutboxStore, *, now: datetime, ids: Sequence[str] = ()) -> int:
    """Give failed messages (all, or those of ``ids``) a fresh delivery episode."""
    return await store.requeue_failed(now=now, ids=ids)


def outbox_row_json(r: OutboxRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "channel": r.channel,
        "kind": r.kind,
        "state": r.state,
        "attempts": r.attempts,
        "last_error": r.last_error,
        "next_attempt_at": iso_z(r.next_attempt_at),
        "created_at": iso_z(r.created_at),
        "delivered_at": iso_z(r.delivered_at),
        "summary": r.summary,
    }
