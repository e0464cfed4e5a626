"""The outbox on PostgreSQL: claimed ``FOR UPDATE SKIP LOCKED`` by whichever worker asks first.

A claim leases messages to this worker (``lease_owner``); a worker that dies mid-delivery has
them freed as soon as its presence lock is gone (``release_leases``, ``release_orphans``), or
when the lease runs out. A transaction that makes a message due ``NOTIFY``s the deliverers. A
digest is sealed under an advisory lock per channel, and only if no digest of that channel was
sealed since the period began (``unless_since``): every worker may look, one seals.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from psycopg.rows import DictRow

from watchwire.models import OutboxMessage
from watchwire.payloads import build_digest_payload, summary
from watchwire.store.ids import new_id
from watchwire.store.postgres.connection import NOTIFY_CHANNEL, WORKER_LOCK, Connected, rows
from watchwire.store.values import DeliveryAttempt, OutboxKey, OutboxRow
from watchwire.timeutil import utcnow

__all__ = ["LIVE_WORKERS", "OutboxPart"]

DIGEST_LOCK: Final = 0x77776401
"""Advisory lock class of a channel's digest (``wwd`` + 1); the key is ``hashtext(channel)``."""

LIVE_WORKERS: Final = f"""
    SELECT objid::bigint AS id FROM pg_locks
    WHERE locktype = 'advisory' AND classid = {WORKER_LOCK}::bigint::oid AND objsubid = 2
      AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
"""Workers whose presence lock is held: alive. A lease of anyone else is nobody's."""

_RELEASE_GONE = f"""
    UPDATE outbox SET state = 'pending', lease_until = NULL, lease_owner = NULL,
           next_attempt_at = %(now)s, updated_at = %(now)s
    WHERE state = 'delivering'
      AND (lease_owner IS NULL OR lease_owner::bigint NOT IN ({LIVE_WORKERS}))
"""


class OutboxPart(Connected):
    async def claim_due(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        channels: Sequence[str] | None = None,
    ) -> list[OutboxMessage]:
        """Take due messages (of ``channels`` only, when given), and ones whose lease ran out,
        that no other worker is taking."""
        if channels is not None and not channels:
            return []
        me = await self._me()
        only = "AND channel = ANY(%(channels)s)" if channels is not None else ""
        found = await self._rows(
            f"""UPDATE outbox o SET state = 'delivering', lease_until = %(until)s,
                       lease_owner = %(me)s, attempts = o.attempts + 1, updated_at = %(now)s
                FROM (SELECT id FROM outbox
                      WHERE ((state = 'pending' AND next_attempt_at <= %(now)s)
                             OR (state = 'delivering' AND lease_until <= %(now)s)) {only}
                      ORDER BY next_attempt_at LIMIT %(limit)s
                      FOR UPDATE SKIP LOCKED) due
                WHERE o.id = due.id
                RETURNING o.id, o.channel, o.kind, o.payload, o.attempts,
                          COALESCE(o.requeued_at, o.created_at) AS created_at""",
            {"until": now + lease, "me": me, "now": now, "limit": limit,
             "channels": list(channels or ())},
        )  # fmt: skip
        return sorted(
            (
                OutboxMessage(
                    id=r["id"],
                    channel=r["channel"],
                    kind=r["kind"],
                    payload=r["payload"],
                    attempts=int(r["attempts"]),
                    created_at=r["created_at"],
                )
                for r in found
            ),
            key=lambda m: m.id,
        )

    async def release_leases(self, *, now: datetime) -> int:
        """Make messages left mid-delivery by workers that are gone due now."""
        released = await self._execute(_RELEASE_GONE, {"now": now})
        if released:
            await self._execute("SELECT pg_notify(%s, '')", (NOTIFY_CHANNEL,))
        return released

    async def mark_delivered(self, message_id: str, *, now: datetime) -> None:
        await self._execute(
            """UPDATE outbox SET state = 'delivered', delivered_at = %(now)s,
                      updated_at = %(now)s, lease_until = NULL, lease_owner = NULL,
                      last_error = NULL WHERE id = %(id)s""",
            {"now": now, "id": message_id},
        )

    async def mark_retry(self, message_id: str, *, error: str, next_attempt_at: datetime) -> None:
        await self._execute(
            """UPDATE outbox SET state = 'pending', last_error = %s, next_attempt_at = %s,
                      lease_until = NULL, lease_owner = NULL, updated_at = %s
               WHERE id = %s AND state <> 'delivered'""",
            (error[:2000], next_attempt_at, utcnow(), message_id),
        )

    async def mark_failed(self, message_id: str, *, error: str, now: datetime) -> None:
        await self._execute(
            """UPDATE outbox SET state = 'failed', last_error = %s, lease_until = NULL,
                      lease_owner = NULL, updated_at = %s
               WHERE id = %s AND state <> 'delivered'""",
            (error[:2000], now, message_id),
        )

    async def seal_digest(
        self, channel: str, *, now: datetime, unless_since: datetime | None = None
    ) -> OutboxMessage | None:
        """Gather a channel's waiting alerts into one digest message (one transaction); none
        if a digest of the channel was sealed at or after ``unless_since``."""
        digest_id = new_id(now)
        async with self._transaction() as conn:
            await conn.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (DIGEST_LOCK, channel)
            )
            if unless_since is not None and await rows(
                conn,
                "SELECT 1 FROM outbox WHERE channel = %s AND kind = 'digest' AND created_at >= %s",
                (channel, unless_since),
            ):
                return None
            waiting = await rows(
                conn,
                "SELECT id, payload FROM alerts WHERE channel = %s AND message_id IS NULL "
                "ORDER BY created_at, id FOR UPDATE",
                (channel,),
            )
            if not waiting:
                return None
            payload = build_digest_payload(
                digest_id, [r["payload"] for r in waiting], created_at=now
            )
            await conn.execute(
                """INSERT INTO outbox (id, channel, kind, payload, next_attempt_at, created_at,
                                       updated_at)
                   VALUES (%s, %s, 'digest', %s::json, %s, %s, %s)""",
                (digest_id, channel, json.dumps(payload, ensure_ascii=False), now, now, now),
            )
            await conn.execute(
                "UPDATE alerts SET message_id = %s WHERE id = ANY(%s)",
                (digest_id, [r["id"] for r in waiting]),
            )
            await conn.execute("SELECT pg_notify(%s, '')", (NOTIFY_CHANNEL,))
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
        out: list[OutboxRow] = []
        if not wanted or real:
            where: list[str] = []
            params: dict[str, Any] = {"limit": limit, "rules": list(rules), "states": real}
            if real:
                where.append("o.state = ANY(%(states)s)")
            if rules:
                where.append("o.id IN (SELECT message_id FROM alerts WHERE rule = ANY(%(rules)s))")
            _common(where, params, "o.", channels, since, until, before)
            if changed_since is not None:
                where.append("o.updated_at >= %(changed)s")
                params["changed"] = changed_since
            sql = f"SELECT o.*, {_RULE} FROM outbox o"
            if where:
                sql += " WHERE " + " AND ".join(where)
            found = await self._rows(
                f"{sql} ORDER BY o.created_at DESC, o.id DESC LIMIT %(limit)s", params
            )
            out += [_outbox_row(r, kind=r["kind"], state=r["state"]) for r in found]
        if not wanted or "queued" in wanted:
            where = ["message_id IS NULL"]
            params = {"limit": limit, "rules": list(rules)}
            if rules:
                where.append("rule = ANY(%(rules)s)")
            _common(where, params, "", channels, since, until, before)
            if changed_since is not None:
                where.append("created_at >= %(changed)s")
                params["changed"] = changed_since
            found = await self._rows(
                f"SELECT * FROM alerts WHERE {' AND '.join(where)} "
                "ORDER BY created_at DESC, id DESC LIMIT %(limit)s",
                params,
            )
            out += [_outbox_row(r, kind="alert", state="queued") for r in found]
        out.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return out[:limit]

    async def outbox_message(self, message_id: str) -> OutboxRow | None:
        """One message, or one alert of a digest channel (queued, or carried by a digest)."""
        async with self._connection() as conn:
            found = await rows(
                conn, f"SELECT o.*, {_RULE} FROM outbox o WHERE o.id = %s", (message_id,)
            )
            if found:
                return _outbox_row(found[0], kind=found[0]["kind"], state=found[0]["state"])
            found = await rows(conn, "SELECT * FROM alerts WHERE id = %s", (message_id,))
            if not found:
                return None
            alert = found[0]
            carrier = alert["message_id"]
            if carrier is None:
                return _outbox_row(alert, kind="alert", state="queued")
            digest = await rows(conn, "SELECT state FROM outbox WHERE id = %s", (carrier,))
            state = digest[0]["state"] if digest else "queued"
            return _outbox_row(alert, kind="alert", state=state, digest_id=carrier)

    async def record_attempt(self, attempt: DeliveryAttempt) -> None:
        """Keep what one try gave (a message gone meanwhile is not recorded)."""
        await self._execute(
            """INSERT INTO deliveries (message_id, attempt, at, outcome, answer, elapsed_ms,
                                       next_attempt_at)
               SELECT %s, %s, %s, %s, %s, %s, %s WHERE EXISTS (SELECT 1 FROM outbox
                                                               WHERE id = %s)""",
            (
                attempt.message_id, attempt.attempt, attempt.at, attempt.outcome,
                None if attempt.answer is None else attempt.answer[:2000],
                round(attempt.elapsed * 1000), attempt.next_attempt_at, attempt.message_id,
            ),
        )  # fmt: skip

    async def delivery_attempts(self, message_id: str) -> list[DeliveryAttempt]:
        found = await self._rows(
            "SELECT * FROM deliveries WHERE message_id = %s ORDER BY id", (message_id,)
        )
        return [
            DeliveryAttempt(
                message_id=r["message_id"],
                attempt=int(r["attempt"]),
                at=r["at"],
                outcome=r["outcome"],
                answer=r["answer"],
                elapsed=int(r["elapsed_ms"]) / 1000,
                next_attempt_at=r["next_attempt_at"],
            )
            for r in found
        ]

    async def requeue_failed(self, *, now: datetime, ids: Sequence[str] = ()) -> int:
        """Give failed messages a fresh delivery episode: ``requeued_at`` restarts give_up;
        when the message was made stays as it was."""
        sql = """UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = %(now)s,
                        requeued_at = %(now)s, updated_at = %(now)s WHERE state = 'failed'"""
        params: dict[str, Any] = {"now": now}
        if ids:
            sql += " AND id = ANY(%(ids)s)"
            params["ids"] = list(ids)
        async with self._transaction() as conn:
            requeued = (await conn.execute(sql, params)).rowcount
            if requeued:
                await conn.execute("SELECT pg_notify(%s, '')", (NOTIFY_CHANNEL,))
        return requeued

    async def outbox_counts(self) -> dict[str, int]:
        counts = {"pending": 0, "delivering": 0, "delivered": 0, "failed": 0, "queued": 0}
        for r in await self._rows("SELECT state, count(*) AS n FROM outbox GROUP BY state"):
            counts[r["state"]] = int(r["n"])
        queued = await self._rows("SELECT count(*) AS n FROM alerts WHERE message_id IS NULL")
        counts["queued"] = int(queued[0]["n"])
        return counts

    async def next_due(self) -> datetime | None:
        return await self._time(
            "SELECT min(CASE state WHEN 'pending' THEN next_attempt_at ELSE lease_until END) "
            "FROM outbox WHERE state IN ('pending', 'delivering')"
        )

    async def last_digest_at(self, channel: str) -> datetime | None:
        return await self._time(
            "SELECT max(created_at) FROM outbox WHERE channel = %s AND kind = 'digest'", channel
        )

    async def oldest_queued_at(self, channel: str) -> datetime | None:
        return await self._time(
            "SELECT min(created_at) FROM alerts WHERE channel = %s AND message_id IS NULL", channel
        )

    async def oldest_pending_at(self) -> datetime | None:
        """When the oldest message still waiting for delivery was created."""
        return await self._time(
            "SELECT min(created_at) FROM outbox WHERE state IN ('pending', 'delivering')"
        )

    async def _time(self, sql: str, *params: Any) -> datetime | None:
        async with self._connection() as conn:
            row = await (await conn.execute(sql, params)).fetchone()
        return row[0] if row else None


_RULE = "(SELECT min(a.rule) FROM alerts a WHERE a.message_id = o.id) AS rule"
"""An outbox row's rule, from its alert (a digest's alerts may have several: it is not used)."""


def _common(
    where: list[str],
    params: dict[str, Any],
    table: str,
    channels: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    before: OutboxKey | None,
) -> None:
    """The filters messages and queued alerts share (``table``: the column prefix)."""
    if channels:
        where.append(f"{table}channel = ANY(%(channels)s)")
        params["channels"] = list(channels)
    if since is not None:
        where.append(f"{table}created_at >= %(since)s")
        params["since"] = since
    if until is not None:
        where.append(f"{table}created_at < %(until)s")
        params["until"] = until
    if before is not None:
        where.append(f"({table}created_at, {table}id) < (%(at)s, %(id)s)")
        params["at"], params["id"] = before


def _outbox_row(row: DictRow, *, kind: str, state: str, digest_id: str | None = None) -> OutboxRow:
    payload: dict[str, Any] = row["payload"]
    article = payload.get("article") or {}
    digest = payload.get("type") == "watchwire.digest"
    return OutboxRow(
        id=row["id"],
        channel=row["channel"],
        kind=kind,
        state=state,
        attempts=int(row.get("attempts") or 0),
        last_error=row.get("last_error"),
        next_attempt_at=row.get("next_attempt_at"),
        created_at=row["created_at"] or utcnow(),
        delivered_at=row.get("delivered_at"),
        summary=summary(payload),
        rule=None if digest else row.get("rule") or payload.get("rule"),
        title=None if digest else article.get("title"),
        url=None if digest else article.get("url"),
        payload=payload,
        requeued_at=row.get("requeued_at"),
        digest_id=digest_id,
    )
