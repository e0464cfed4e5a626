"""Search on PostgreSQL: a rule query's candidates, newest first, whatever the planner guesses.

The candidates of a query are the articles whose vector matches its ``tsquery`` (``fts``), plus
the few too large to have one. Two ways read them newest first: take every match from the GIN
index and sort them (right when matches are few), or walk ``articles_when`` newest first and test
each article (right when matches are many: the first page comes after a few hundred rows). The
planner chooses between them from its statistics, and at a million articles it guesses wrong
both ways — a phrase of common words that never occurs, or a word it has no statistics for,
sent it walking the whole table (26-29 s, ``bench_postgres``).

So the store measures instead of guessing: it asks the GIN index (bitmap scans only) for up to
``PROBE`` matches. Fewer: those are all the candidates, sorted here, and the page's rows are
read by id. As many: matches are common, and the walk finds a page quickly. The probe costs a
few milliseconds for a rare query and tens for a common one at a million articles.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from watchwire.rules import SearchQuery
from watchwire.store.postgres.articles import ARTICLE_COLUMNS, article_row
from watchwire.store.postgres.connection import AsyncConn, Connected, rows
from watchwire.store.postgres.fts import to_tsquery
from watchwire.store.values import ArticleRow, SearchKey

__all__ = ["PROBE", "SearchPart"]

PROBE: Final = 20_000
"""Matches taken from the index before deciding matches are common (then: walk newest first).
Near where both ways cost the same at a million articles (sorting 20,000 candidates against
testing the rows a walk reads before it has a page)."""

_WHEN = "COALESCE(a.published_at, a.first_seen_at)"
"""The time search orders by (indexed as ``articles_when``)."""
_COLUMNS = ", ".join("a." + c for c in ARTICLE_COLUMNS.split(", "))


class SearchPart(Connected):
    async def search(
        self,
        query: SearchQuery | None,
        *,
        since: datetime | None = None,
        before: SearchKey | None = None,
        limit: int = 100,
    ) -> list[ArticleRow]:
        """Candidates for a query, newest first: the GIN index narrows (articles too large to
        have a vector are candidates for every query), the rules engine decides."""
        tsquery = to_tsquery(query) if query is not None else None
        where, params = _window(since, before)
        async with self._transaction() as conn:
            if tsquery is None:
                return await _walk(conn, where, params, limit)
            found = await _probe(conn, tsquery, where, params)
            if found is None:  # common: a walk finds a page soon
                return await _walk(
                    conn, ["(a.search @@ %s::tsquery OR a.search IS NULL)", *where],
                    [tsquery, *params], limit,
                )  # fmt: skip
            page = sorted(found, key=lambda k: (k[0], k[1]), reverse=True)[:limit]
            if not page:
                return []
            got = await rows(conn, f"SELECT {_COLUMNS} FROM articles a WHERE a.id = ANY(%s)",
                             ([i for _, i in page],))  # fmt: skip
            by_id = {int(r["id"]): r for r in got}
            return [article_row(by_id[i]) for _, i in page if i in by_id]


def _window(since: datetime | None, before: SearchKey | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where.append(f"{_WHEN} >= %s")
        params.append(since)
    if before is not None:
        where.append(f"({_WHEN}, a.id) < (%s, %s)")
        params += [before[0], before[1]]
    return where, params


async def _walk(
    conn: AsyncConn, where: list[str], params: list[Any], limit: int
) -> list[ArticleRow]:
    sql = f"SELECT {_COLUMNS} FROM articles a"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {_WHEN} DESC, a.id DESC LIMIT %s"
    return [article_row(r) for r in await rows(conn, sql, [*params, limit], prepare=False)]


async def _probe(
    conn: AsyncConn, tsquery: str, where: list[str], params: list[Any]
) -> list[tuple[datetime, int]] | None:
    """Every candidate's (time, id), when there are fewer than ``PROBE``; else None."""
    # Through the indexes only (GIN for the vector, the partial index of the unindexed), in this
    # transaction: a scan of the table is what the probe is there to avoid.
    await conn.execute("SET LOCAL enable_seqscan = off")
    await conn.execute("SET LOCAL enable_indexscan = off")
    extra = "".join(f" AND {w}" for w in where)
    try:
        found = await rows(
            conn,
            f"""(SELECT a.id, {_WHEN} AS w FROM articles a
                 WHERE a.search @@ %s::tsquery{extra} LIMIT %s)
                UNION ALL
                (SELECT a.id, {_WHEN} AS w FROM articles a WHERE a.search IS NULL{extra})""",
            [tsquery, *params, PROBE, *params],
            prepare=False,
        )
    finally:
        await conn.execute("SET LOCAL enable_seqscan = on")
        await conn.execute("SET LOCAL enable_indexscan = on")
    if len(found) >= PROBE:
        return None
    return [(r["w"], int(r["id"])) for r in found]
