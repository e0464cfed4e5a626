"""The embedded store's records, out and in, for ``store copy`` (``store/records.py``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from functools import partial
from typing import Any

from watchwire.store.records import TIMES, CopyMarker, Kind, Record
from watchwire.store.sqlite.connection import Connected, _iso
from watchwire.timeutil import from_iso, to_iso

__all__ = ["TransferPart"]

_JSON = frozenset({"authors", "tags", "payload"})
_BOOLS = frozenset({"closed", "ok"})


class TransferPart(Connected):
    async def export_records(self, kind: Kind, *, after: Any | None, limit: int) -> list[Record]:
        return await self._query(partial(_export, kind, after, limit))

    async def import_records(self, kind: Kind, records: Sequence[Record]) -> None:
        await self._batched(partial(_import, kind, list(records)))

    async def last_key(self, kind: Kind) -> Any | None:
        order = ", ".join(f"{f} DESC" for f in kind.order)
        row = await self._query(
            lambda db: db.execute(
                f"SELECT {', '.join(kind.order)} FROM {kind.name} ORDER BY {order} LIMIT 1"
            ).fetchone()
        )
        if row is None:
            return None
        return row[0] if kind.then is None else (row[0], row[1])

    async def count_records(self, kind: Kind) -> int:
        row = await self._query(
            lambda db: db.execute(f"SELECT COUNT(*) FROM {kind.name}").fetchone()
        )
        return int(row[0]) if row else 0

    async def copy_marker(self) -> CopyMarker | None:
        row = await self._read(
            lambda db: db.execute(
                "SELECT origin, started_at, finished_at FROM store_copies "
                "ORDER BY started_at DESC LIMIT 1"
            ).fetchone()
        )
        if row is None:
            return None
        started = from_iso(row[1])
        assert started is not None
        return CopyMarker(origin=row[0], started_at=started, finished_at=from_iso(row[2]))

    async def mark_copy(self, origin: str, *, now: datetime, finished: bool) -> None:
        stamp = to_iso(now)
        await self._write(
            """INSERT INTO store_copies (origin, started_at, finished_at) VALUES (?, ?, ?)
               ON CONFLICT (origin) DO UPDATE SET finished_at = excluded.finished_at""",
            (origin, stamp, stamp if finished else None),
        )


def _export(kind: Kind, after: Any | None, limit: int, db: sqlite3.Connection) -> list[Record]:
    columns = [f for f in kind.fields if f != "bands"]
    order = ", ".join(kind.order)
    where, params = "", []
    if after is not None:
        where = f"WHERE ({order}) > ({', '.join('?' * len(kind.order))})"
        params = [after] if kind.then is None else list(after)
    rows = db.execute(
        f"SELECT {', '.join(columns)} FROM {kind.name} {where} ORDER BY {order} LIMIT ?",
        [*params, limit],
    ).fetchall()
    out: list[dict[str, Any]] = []
    for row in rows:
        record = {c: _value(c, row[c]) for c in columns}
        out.append(record)
    if kind.name == "articles" and out:
        ids = [r["id"] for r in out]
        bands: dict[int, list[list[int]]] = {i: [] for i in ids}
        found = db.execute(
            f"SELECT article_id, band, key FROM simhash_bands WHERE article_id IN "
            f"({','.join('?' * len(ids))}) ORDER BY article_id, band",
            ids,
        )
        for article_id, band, key in found:
            bands[article_id].append([band, key])
        for record in out:
            record["bands"] = bands[record["id"]]
    records: list[Record] = [*out]
    return records


def _value(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field in TIMES:
        return from_iso(value)
    if field in _JSON:
        return json.loads(value)
    if field in _BOOLS:
        return bool(value)
    if field == "day":
        return date.fromisoformat(value)
    return value


def _stored(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field in TIMES:
        return _iso(value)
    if field in _JSON:
        return json.dumps(value, ensure_ascii=False)
    if field in _BOOLS:
        return int(value)
    if field == "day":
        return value.isoformat()
    return value


def _import(kind: Kind, records: list[Record], db: sqlite3.Connection) -> None:
    columns = [f for f in kind.fields if f != "bands"]
    sql = (
        f"INSERT OR {'REPLACE' if kind.overwrite else 'IGNORE'} INTO {kind.name} "
        f"({', '.join(columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    db.executemany(sql, [[_stored(c, r[c]) for c in columns] for r in records])
    if kind.name == "articles":
        db.executemany(
            "INSERT OR IGNORE INTO simhash_bands (band, key, article_id) VALUES (?, ?, ?)",
            [(band, key, r["id"]) for r in records for band, key in r["bands"]],
        )
