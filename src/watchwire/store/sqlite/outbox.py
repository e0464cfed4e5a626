"""The outbox: alerts and digests waiting for delivery, claimed with leases."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from watchwire.models import OutboxMessage
from watchwire.payloads import build_digest_payload
from watchwire.store.ids import new_id
from watchwire.store.sqlite.connection import Connected
from watchwire.store.values import OutboxRow
from watchwire.timeutil import from_iso, to_iso, utcnow

__all__ = ["OutboxPart"]


class OutboxPart(Connected):
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
                   RETURNING id, channel, kind, payload, attempts, created_at""",
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

        Only for a process that knows it is the store's one deliverer (the embedded mode):
        another live deliverer could be sending them this very moment.
        """
        stamp = to_iso(now)
        return await self._write(
            """UPDATE outbox SET state = 'pending', lease_until = NULL, next_attempt_at = ?,
                      updated_at = ? WHERE state = 'delivering'""",
            (stamp, stamp),
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

    async def seal_digest(self, channel: str, *, now: datetime) -> OutboxMessage | None:
        """Gather a channel's waiting alerts into one digest message (one transaction)."""
        stamp = to_iso(now)
        digest_id = new_id(now)

        def job(db: sqlite3.Connection) -> dict[str, Any] | None:
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

    async def list_outbox(self, *, states: Sequence[str] = (), limit: int = 100) -> list[OutboxRow]:
        wanted = set(states)
        real = sorted(wanted - {"queued"})

        def job(db: sqlite3.Connection) -> list[OutboxRow]:
            out: list[OutboxRow] = []
            if not wanted or real:
                where = f"WHERE state IN ({','.join('?' * len(real))})" if real else ""
                rows = db.execute(
                    f"SELECT * FROM outbox {where} ORDER BY created_at DESC, id DESC LIMIT ?",
                    [*real, limit],
                )
                out += [_outbox_row(r, kind=r["kind"], state=r["state"]) for r in rows]
            if not wanted or "queued" in wanted:
                rows = db.execute(
                    "SELECT * FROM alerts WHERE message_id IS NULL "
                    "ORDER BY created_at DESC LIMIT ?",
                    (limit,),
                )
                out += [_outbox_row(r, kind="alert", state="queued") for r in rows]
            return out

        return await self._query(job)

    async def requeue_failed(self, *, now: datetime, ids: Sequence[str] = ()) -> int:
        """Give failed messages a fresh delivery episode (``created_at`` restarts give_up)."""
        stamp = to_iso(now)
        sql = """UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?,
                        created_at = ?, updated_at = ? WHERE state = 'failed'"""
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


def _outbox_row(row: sqlite3.Row, *, kind: str, state: str) -> OutboxRow:
    keys = row.keys()
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
        summary=_summary(json.loads(row["payload"])),
    )


def _summary(payload: dict[str, Any]) -> str:
    if payload.get("type") == "watchwire.source_health":
        source = (payload.get("source") or {}).get("name", "?")
        return f"source-health: {source} is {payload.get('state', '?')}"
    if payload.get("type") == "watchwire.digest":
        return f"digest of {len(payload.get('alerts', []))} alerts"
    article = payload.get("article") or {}
    return f"{payload.get('rule', '?')}: {article.get('title') or article.get('url') or '?'}"
