"""The outbox: alerts and digests waiting for delivery, claimed with leases."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from watchwire.models import OutboxMessage
from watchwire.payloads import build_digest_payload, summary
from watchwire.store.ids import new_id
from watchwire.store.sqlite.connection import Connected, _iso
from watchwire.store.values import DeliveryAttempt, OutboxKey, OutboxRow
from watchwire.timeutil import from_iso, to_iso, utcnow

__all__ = ["OutboxPart"]

_SEALED_SINCE = "SELECT 1 FROM outbox WHERE channel = ? AND kind = 'digest' AND created_at >= ?"


class OutboxPart(Connected):
    _claimed: set[str]
    """Messages this process claimed and has not settled yet (``CoordinationPart``'s)."""

    async def claim_due(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        channels: Sequence[str] | None = None,
    ) -> list[OutboxMessage]:
        """Take due messages, and ones whose holder died mid-delivery (lease expired)."""
        stamp = to_iso(now)
        only = ""
        params: list[Any] = [to_iso(now + lease), stamp, stamp, stamp]
        if channels is not None:
            if not channels:
                return []
            only = f"AND channel IN ({','.join('?' * len(channels))})"
            params += list(channels)
        params.append(limit)
        rows = await self._batched(
            lambda db: db.execute(
                f"""UPDATE outbox SET state = 'delivering', lease_until = ?,
                          attempts = attempts + 1, updated_at = ?
                   WHERE id IN (
                       SELECT id FROM outbox
                       WHERE ((state = 'pending' AND next_attempt_at <= ?)
                              OR (state = 'delivering' AND lease_until <= ?)) {only}
                       ORDER BY next_attempt_at LIMIT ?)
                   RETURNING id, channel, kind, payload, attempts,
                             COALESCE(requeued_at, created_at) AS created_at""",
                params,
            ).fetchall()
        )
        return sorted(
            (
                OutboxMessage(
                    id=r["id"],
                    channel=r["channel"],
                    kind=r["kind"],
                    payload=json.loads(r["payload"]),
                    attempts=int(r["attempts"]),
                    created_at=from_iso(r["created_at"]),
                )
                for r in rows
            ),
            key=lambda m: m.id,
        )

    async def release_leases(self, *, now: datetime) -> int:
        """Make messages left mid-delivery by a dead process due now, not when leases expire.

        The store has one service at a time, so every message ``delivering`` that this process
        did not claim was left by one that is gone.
        """
        stamp = to_iso(now)
        mine = sorted(self._claimed)
        return await self._write(
            f"""UPDATE outbox SET state = 'pending', lease_until = NULL, next_attempt_at = ?,
                       updated_at = ? WHERE state = 'delivering'
                       AND id NOT IN ({",".join("?" * len(mine))})""",
            (stamp, stamp, *mine),
        )

    async def mark_delivered(self, message_id: str, *, now: datetime) -> None:
        stamp = to_iso(now)
        await self._write(
            """UPDATE outbox SET state = 'delivered', delivered_at = ?, updated_at = ?,
                      lease_until = NULL, last_error = NULL WHERE id = ?""",
            (stamp, stamp, message_id),
        )

    async def mark_retry(self, message_id: str, *, error: str, next_attempt_at: datetime) -> None:
        await self._write(
            """UPDATE outbox SET state = 'pending', last_error = ?, next_attempt_at = ?,
                      lease_until = NULL, updated_at = ? WHERE id = ? AND state != 'delivered'""",
            (error[:2000], to_iso(next_attempt_at), to_iso(utcnow()), message_id),
        )

    async def mark_failed(self, message_id: str, *, error: str, now: datetime) -> None:
        await self._write(
            """UPDATE outbox SET state = 'failed', last_error = ?, lease_until = NULL,
                      updated_at = ? WHERE id = ? AND state != 'delivered'""",
            (error[:2000], to_iso(now), message_id),
        )

    async def seal_digest(
        self, channel: str, *, now: datetime, unless_since: datetime | None = None
    ) -> OutboxMessage | None:
        """Gather a channel's waiting alerts into one digest message (one transaction); none
        if a digest of the channel was sealed at or after ``unless_since``."""
        stamp = to_iso(now)
        digest_id = new_id(now)
        since = None if unless_since is None else to_iso(unless_since)

        def job(db: sqlite3.Connection) -> dict[str, Any] | None:
            if since is not None and db.execute(_SEALED_SINCE, (channel, since)).fetchone():
                return None
            rows = db.execute(
                "SELECT id, payload FROM alerts WHERE channel = ? AND message_id IS NULL "
                "ORDER BY created_at, id",
                (channel,),
            ).fetchall()
            if not rows:
                return None
            payload = build_digest_payload(
                digest_id, [json.loads(r["payload"]) for r in rows], created_at=now
            )
            db.execute(
                """INSERT INTO outbox (id, channel, kind, payload, next_attempt_at, created_at,
                                       updated_at) VALUES (?, ?, 'digest', ?, ?, ?, ?)""",
                (digest_id, channel, json.dumps(payload, ensure_ascii=False), stamp, stamp, stamp),
            )
            db.executemany(
                "UPDATE alerts SET message_id = ? WHERE id = ?",
                [(digest_id, r["id"]) for r in rows],
            )
            return payload

        payload = await self._batched(job)
        if payload is None:
            return None
        return OutboxMessage(
            id=digest_id, channel=channel, kind="digest", payload=payload, created_at=now
        )

    async def list_outbox(
        self,
        *,
        states: Sequence[str] = (),
        rules: Sequence[str] = (),
        channels: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        changed_since: datetime | None = None,
        before: OutboxKey | None = None,
        limit: int = 100,
    ) -> list[OutboxRow]:
        """Messages and queued alerts, newest first. ``since``/``until``: made at or after it,
        before it; ``changed_since``: made, tried or changed at or after it; ``rules``: of
        these rules (a digest when it carries one of their alerts); ``channels``: on these
        channels; ``before``: older than that row (the next page)."""
        wanted = set(states)
        real = sorted(wanted - {"queued"})

        def job(db: sqlite3.Connection) -> list[OutboxRow]:
            out: list[OutboxRow] = []
            if not wanted or real:
                where, params = [], []
                if real:
                    where.append(f"o.state IN ({','.join('?' * len(real))})")
                    params += real
                if rules:
                    where.append(f"o.id IN (SELECT message_id FROM alerts WHERE rule IN "
                                 f"({','.join('?' * len(rules))}))")  # fmt: skip
                    params += list(rules)
                _common(where, params, "o.", channels, since, until, before)
                if changed_since is not None:
                    where.append("o.updated_at >= ?")
                    params.append(to_iso(changed_since))
                sql = f"SELECT o.*, {_RULE} FROM outbox o"
                if where:
                    sql += " WHERE " + " AND ".join(where)
                rows = db.execute(f"{sql} ORDER BY o.created_at DESC, o.id DESC LIMIT ?",
                                  [*params, limit])  # fmt: skip
                out += [_outbox_row(r, kind=r["kind"], state=r["state"]) for r in rows]
            if not wanted or "queued" in wanted:
                where, params = ["message_id IS NULL"], []
                if rules:
                    where.append(f"rule IN ({','.join('?' * len(rules))})")
                    params += list(rules)
                _common(where, params, "", channels, since, until, before)
                if changed_since is not None:
                    where.append("created_at >= ?")
                    params.append(to_iso(changed_since))
                rows = db.execute(
                    f"SELECT * FROM alerts WHERE {' AND '.join(where)} "
                    "ORDER BY created_at DESC, id DESC LIMIT ?",
                    [*params, limit],
                )
                out += [_outbox_row(r, kind="alert", state="queued") for r in rows]
            out.sort(key=lambda r: (r.created_at, r.id), reverse=True)
            return out[:limit]

        return await self._query(job)

    async def outbox_message(self, message_id: str) -> OutboxRow | None:
        """One message, or one alert of a digest channel (queued, or carried by a digest)."""

        def job(db: sqlite3.Connection) -> OutboxRow | None:
            row = db.execute(
                f"SELECT o.*, {_RULE} FROM outbox o WHERE o.id = ?", (message_id,)
            ).fetchone()
            if row is not None:
                return _outbox_row(row, kind=row["kind"], state=row["state"])
            row = db.execute("SELECT * FROM alerts WHERE id = ?", (message_id,)).fetchone()
            if row is None:
                return None
            carrier = row["message_id"]
            if carrier is None:
                return _outbox_row(row, kind="alert", state="queued")
            digest = db.execute("SELECT * FROM outbox WHERE id = ?", (carrier,)).fetchone()
            return _outbox_row(
                row, kind="alert", state=digest["state"] if digest else "queued",
                digest_id=carrier,
            )  # fmt: skip

        return await self._query(job)

    async def record_attempt(self, attempt: DeliveryAttempt) -> None:
        """Keep what one try gave (a message gone meanwhile is not recorded)."""
        await self._write(
            """INSERT INTO deliveries (message_id, attempt, at, outcome, answer, elapsed_ms,
                                      next_attempt_at)
               SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM outbox WHERE id = ?)""",
            (
                attempt.message_id, attempt.attempt, to_iso(attempt.at), attempt.outcome,
                None if attempt.answer is None else attempt.answer[:2000],
                round(attempt.elapsed * 1000), _iso(attempt.next_attempt_at), attempt.message_id,
            ),
        )  # fmt: skip

    async def delivery_attempts(self, message_id: str) -> list[DeliveryAttempt]:
        rows = await self._query(
            lambda db: db.execute(
                "SELECT * FROM deliveries WHERE message_id = ? ORDER BY id", (message_id,)
            ).fetchall()
        )
        return [
            DeliveryAttempt(
                message_id=r["message_id"],
                attempt=int(r["attempt"]),
                at=from_iso(r["at"]) or utcnow(),
                outcome=r["outcome"],
                answer=r["answer"],
                elapsed=int(r["elapsed_ms"]) / 1000,
                next_attempt_at=from_iso(r["next_attempt_at"]),
            )
            for r in rows
        ]

    async def requeue_failed(self, *, now: datetime, ids: Sequence[str] = ()) -> int:
        """Give failed messages a fresh delivery episode: ``requeued_at`` restarts give_up;
        when the message was made stays as it was."""
        stamp = to_iso(now)
        sql = """UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?,
                        requeued_at = ?, updated_at = ? WHERE state = 'failed'"""
        params: list[Any] = [stamp, stamp, stamp]
        if ids:
            sql += f" AND id IN ({','.join('?' * len(ids))})"
            params += list(ids)
        return await self._write(sql, params)

    async def outbox_counts(self) -> dict[str, int]:
        def job(db: sqlite3.Connection) -> dict[str, int]:
            counts = {"pending": 0, "delivering": 0, "delivered": 0, "failed": 0, "queued": 0}
            for state, n in db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
                counts[state] = int(n)
            row = db.execute("SELECT COUNT(*) FROM alerts WHERE message_id IS NULL").fetchone()
            counts["queued"] = int(row[0]) if row else 0
            return counts

        return await self._query(job)

    async def next_due(self) -> datetime | None:
        return await self._query_time(
            "SELECT MIN(CASE state WHEN 'pending' THEN next_attempt_at ELSE lease_until END) "
            "FROM outbox WHERE state IN ('pending', 'delivering')"
        )

    async def last_digest_at(self, channel: str) -> datetime | None:
        return await self._query_time(
            "SELECT MAX(created_at) FROM outbox WHERE channel = ? AND kind = 'digest'", channel
        )

    async def oldest_queued_at(self, channel: str) -> datetime | None:
        return await self._query_time(
            "SELECT MIN(created_at) FROM alerts WHERE channel = ? AND message_id IS NULL", channel
        )

    async def oldest_pending_at(self) -> datetime | None:
        """When the oldest message still waiting for delivery was created."""
        return await self._query_time(
            "SELECT MIN(created_at) FROM outbox WHERE state IN ('pending', 'delivering')"
        )

    async def _query_time(self, sql: str, *params: Any) -> datetime | None:
        row = await self._query(lambda db: db.execute(sql, params).fetchone())
        return from_iso(row[0]) if row else None


def _common(
    where: list[str],
    params: list[Any],
    table: str,
    channels: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    before: OutboxKey | None,
) -> None:
    """The filters messages and queued alerts share (``table``: the column prefix)."""
    if channels:
        where.append(f"{table}channel IN ({','.join('?' * len(channels))})")
        params += list(channels)
    if since is not None:
        where.append(f"{table}created_at >= ?")
        params.append(to_iso(since))
    if until is not None:
        where.append(f"{table}created_at < ?")
        params.append(to_iso(until))
    if before is not None:
        where.append(f"({table}created_at, {table}id) < (?, ?)")
        params += [to_iso(before[0]), before[1]]


_RULE = "(SELECT MIN(a.rule) FROM alerts a WHERE a.message_id = o.id) AS rule"
"""An outbox row's rule, from its alert (a digest's alerts may have several: it is not used)."""


def _outbox_row(
    row: sqlite3.Row, *, kind: str, state: str, digest_id: str | None = None
) -> OutboxRow:
    keys = row.keys()
    payload = json.loads(row["payload"])
    article = payload.get("article") or {}
    digest = payload.get("type") == "watchwire.digest"
    return OutboxRow(
        id=row["id"],
        channel=row["channel"],
        kind=kind,
        state=state,
        attempts=int(row["attempts"]) if "attempts" in keys else 0,
        last_error=row["last_error"] if "last_error" in keys else None,
        next_attempt_at=from_iso(row["next_attempt_at"]) if "next_attempt_at" in keys else None,
        created_at=from_iso(row["created_at"]) or utcnow(),
        delivered_at=from_iso(row["delivered_at"]) if "delivered_at" in keys else None,
        summary=summary(payload),
        rule=None if digest else (row["rule"] if "rule" in keys else None) or payload.get("rule"),
        title=None if digest else article.get("title"),
        url=None if digest else article.get("url"),
        payload=payload,
        requeued_at=from_iso(row["requeued_at"]) if "requeued_at" in keys else None,
        digest_id=digest_id,
    )
