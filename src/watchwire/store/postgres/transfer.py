"""PostgreSQL's records, out and in, for ``store copy`` (``store/records.py``).

Records keep their ids (``OVERRIDING SYSTEM VALUE``); the identity sequences are moved past the
copied ids when the copy is marked finished, so that what this store writes next follows them.
An article's search vector is computed on the way in, from the engine's words (``fts``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from psycopg import sql

from watchwire.store.postgres.connection import Connected, rows
from watchwire.store.postgres.fts import search_vector
from watchwire.store.records import CopyMarker, Kind, Record

__all__ = ["TransferPart"]

_PAYLOADS: Final = frozenset({"payload"})
_IDENTITIES: Final = ("fetches", "stories", "articles", "deliveries", "polls")
"""Tables whose ``id`` is generated: moved on past the copied ids."""
_DAY_TOTALS: Final = sql.SQL(
    "(SELECT day, sum(articles)::bigint AS articles, sum(alerts)::bigint AS alerts "
    "FROM daily_counts GROUP BY day) AS daily_counts"
)
"""``daily_counts`` as records: a day's shards summed (one record a day, as SQLite has)."""


def _table(kind: Kind) -> sql.Composable:
    return _DAY_TOTALS if kind.name == "daily_counts" else sql.Identifier(kind.name)


class TransferPart(Connected):
    async def export_records(self, kind: Kind, *, after: Any | None, limit: int) -> list[Record]:
        columns = [f for f in kind.fields if f != "bands"]
        order = sql.SQL(", ").join(map(sql.Identifier, kind.order))
        where: sql.Composable = sql.SQL("")
        params: list[Any] = [limit]
        if after is not None:
            where = sql.SQL("WHERE ({}) > ({})").format(
                order, sql.SQL(", ").join(sql.Placeholder() * len(kind.order))
            )
            params = [*([after] if kind.then is None else after), limit]
        query = sql.SQL("SELECT {cols} FROM {table} {where} ORDER BY {order} LIMIT %s").format(
            cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
            table=_table(kind),
            where=where,
            order=order,
        )
        async with self._connection() as conn:
            found: list[dict[str, Any]] = [dict(r) for r in await rows(conn, query, params)]
            if kind.name == "articles" and found:
                bands: dict[int, list[list[int]]] = {int(r["id"]): [] for r in found}
                for b in await rows(
                    conn,
                    "SELECT article_id, band, key FROM simhash_bands WHERE article_id = ANY(%s) "
                    "ORDER BY article_id, band",
                    (list(bands),),
                ):
                    bands[int(b["article_id"])].append([int(b["band"]), int(b["key"])])
                for r in found:
                    r["bands"] = bands[int(r["id"])]
                    r["authors"] = list(r["authors"] or [])
                    r["tags"] = list(r["tags"] or [])
        out: list[Record] = [*found]
        return out

    async def import_records(self, kind: Kind, records: Sequence[Record]) -> None:
        if not records:
            return
        columns = [f for f in kind.fields if f != "bands"]
        extra = ["search"] if kind.name == "articles" else []
        values: list[sql.Composable] = [
            sql.SQL("{}::json").format(sql.Placeholder()) if c in _PAYLOADS else sql.Placeholder()
            for c in columns
        ]
        if extra:
            values.append(sql.SQL("{}::tsvector").format(sql.Placeholder()))
        overriding = sql.SQL("OVERRIDING SYSTEM VALUE") if kind.name in _IDENTITIES else sql.SQL("")
        query = sql.SQL(
            "INSERT INTO {table} ({cols}) {overriding} VALUES ({values}) ON CONFLICT DO NOTHING"
        ).format(
            table=sql.Identifier(kind.name),
            cols=sql.SQL(", ").join(map(sql.Identifier, columns + extra)),
            overriding=overriding,
            values=sql.SQL(", ").join(values),
        )
        params = []
        for r in records:
            row = [_stored(c, r[c]) for c in columns]
            if extra:
                row.append(search_vector(r["title"] or "", r["lead"] or "", r["body"] or ""))
            params.append(row)
        async with self._transaction() as conn:
            if kind.overwrite:  # what the target counted itself meanwhile (its triggers) goes
                await conn.execute(
                    sql.SQL("DELETE FROM {table} WHERE {key} = ANY(%s)").format(
                        table=sql.Identifier(kind.name), key=sql.Identifier(kind.key)
                    ),
                    ([r[kind.key] for r in records],),
                )
            async with conn.cursor() as cur:
                await cur.executemany(query, params)
            if kind.name == "articles":
                bands = [(b, k, r["id"]) for r in records for b, k in r["bands"]]
                if bands:
                    async with conn.cursor() as cur:
                        await cur.executemany(
                            "INSERT INTO simhash_bands (band, key, article_id) VALUES (%s, %s, %s) "
                            "ON CONFLICT DO NOTHING",
                            bands,
                        )

    async def last_key(self, kind: Kind) -> Any | None:
        query = sql.SQL("SELECT {cols} FROM {table} ORDER BY {desc} LIMIT 1").format(
            cols=sql.SQL(", ").join(map(sql.Identifier, kind.order)),
            table=_table(kind),
            desc=sql.SQL(", ").join(
                sql.SQL("{} DESC").format(sql.Identifier(f)) for f in kind.order
            ),
        )
        found = await self._rows(query)
        if not found:
            return None
        return kind.position(found[0])

    async def count_records(self, kind: Kind) -> int:
        query = sql.SQL("SELECT count(*) AS n FROM {}").format(_table(kind))
        return int((await self._rows(query))[0]["n"])

    async def copy_marker(self) -> CopyMarker | None:
        found = await self._rows(
            "SELECT origin, started_at, finished_at FROM store_copies "
            "ORDER BY started_at DESC LIMIT 1"
        )
        if not found:
            return None
        r = found[0]
        return CopyMarker(origin=r["origin"], started_at=r["started_at"],
                          finished_at=r["finished_at"])  # fmt: skip

    async def mark_copy(self, origin: str, *, now: datetime, finished: bool) -> None:
        async with self._transaction() as conn:
            await conn.execute(
                """INSERT INTO store_copies AS c (origin, started_at, finished_at)
                   VALUES (%s, %s, %s)
                   ON CONFLICT (origin) DO UPDATE SET finished_at = excluded.finished_at""",
                (origin, now, now if finished else None),
            )
            if finished:
                for table in _IDENTITIES:
                    await conn.execute(
                        sql.SQL(
                            "SELECT setval(pg_get_serial_sequence({name}, 'id'), "
                            "GREATEST((SELECT max(id) FROM {table}), 1))"
                        ).format(name=sql.Literal(table), table=sql.Identifier(table))
                    )


def _stored(field: str, value: Any) -> Any:
    if value is not None and field in _PAYLOADS:
        return json.dumps(value, ensure_ascii=False)
    return value
