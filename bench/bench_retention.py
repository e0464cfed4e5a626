"""Retention soak: 60 simulated days of 20,000 articles a day with ``retention: 7d``.

    python -m bench.bench_retention            # 60 days x 20,000 articles (about an hour)
    python -m bench.bench_retention --quick    # 60 days x 2,000 articles

Articles of 3-5 KB (``bench_store``'s corpus, 5 % mentioning Belarus and sanctions, each of
those with an alert) go in through the embedded store's ``save_article``, 32 in flight, each
stamped with a simulated clock that runs through the day. At the start of every simulated day
each simulated hour the service's ``retention.Pruner`` (paced as in ``watchwire run``: batches
of 50, each followed by a pause three times as long) starts on the same store with the same
clock while the first half of the hour's articles go in; those inserts are timed as "while
pruning". A simulated hour lasts a second or two here, far too short for a paced pruner to
finish, so it is then stopped and the hour's backlog pruned unpaced (timed apart: the writer's
cost of pruning), and the second half of the hour's articles go in with nothing pruning. Printed per
day: the file's size, the articles and ghosts in it, and the day's insert rate (saves only,
not the text generation). At the end, articles from the pruned days are offered again — their
URLs (do they count as known?) and their texts at new URLs (do they alert?) — and the ghosts'
bytes per pruned article are read from SQLite's ``dbstat``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sqlite3
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bench_store import Corpus, _new_article
from bench.common import emit
from watchwire.config import StorageConfig
from watchwire.retention import Pruner
from watchwire.store import AlertIntent, NewArticle, Store, locate_store, open_store
from watchwire.store.sqlite.index_merge import index_shape

START = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


class SimClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _intent(item: NewArticle) -> tuple[AlertIntent, ...]:
    if "Belarus" not in item.article.text and "Білорус" not in item.article.text:
        return ()
    body = {"type": "watchwire.alert", "rule": "belarus", "created_at": "x",
            "article": {"url": item.url}, "matches": []}  # fmt: skip
    return (AlertIntent(rule="belarus", channel="ops", digest=False, payload=body),)


def _file_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def _counts(db: Path) -> tuple[int, int, int]:
    """Articles, ghosts, and the search index's levels (FTS5 fails past 2,000)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        articles = con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        ghosts = con.execute("SELECT COUNT(*) FROM ghost_urls").fetchone()[0]
        shape = index_shape(con)
    finally:
        con.close()
    return int(articles), int(ghosts), -1 if shape is None else shape.levels


def _ghost_bytes(db: Path) -> tuple[int, int]:
    """Bytes in the ghosts' tables and index (dbstat), and how many ghosts."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT name, SUM(pgsize) FROM dbstat WHERE name IN "
            "('ghost_urls', 'ghost_texts', 'ghost_bands') GROUP BY name"
        ).fetchall()
        ghosts = con.execute("SELECT COUNT(*) FROM ghost_urls").fetchone()[0]
    finally:
        con.close()
    return sum(int(r[1]) for r in rows), int(ghosts)


async def soak(db: Path, days: int, per_day: int, retention: int) -> dict[str, object]:
    corpus = Corpus(seed=3)
    clock = SimClock()
    storage = StorageConfig(url=str(db), retention=retention * DAY, alert_retention=None)
    rates: list[float] = []
    sizes: list[int] = []
    while_pruning: list[tuple[int, float]] = []
    not_pruning: list[tuple[int, float]] = []
    pruned_total = 0
    sample: list[NewArticle] = []
    rng = random.Random(5)
    async with open_store(locate_store(db)) as store:
        pruner = Pruner(store, clock=clock)  # paced as the service paces it
        unpaced = Pruner(store, clock=clock, pause=0.0, duty=0.0)
        gate = asyncio.Semaphore(32)

        async def save(item: NewArticle, now: datetime) -> None:
            async with gate:
                await store.save_article(item, _intent(item), now=now)

        i = 0
        ghosts_before = 0
        prune_time = 0.0
        for day in range(days):
            spent = 0.0
            pruned = pages = 0
            for hour in range(24):
                clock.now = START + day * DAY + hour * DAY / 24
                paced = asyncio.create_task(pruner.run(storage))
                lo, hi = per_day * hour // 24, per_day * (hour + 1) // 24
                items = []
                for k in range(lo, hi):
                    now = START + day * DAY + DAY * k / per_day
                    items.append((_new_article(corpus, i, now), now))
                    i += 1
                if day < days - retention - 1:
                    sample.extend(a for a, _ in rng.sample(items, min(2, len(items))))
                half = len(items) // 2
                for start in range(0, len(items), 50):
                    if start >= half and not paced.done():
                        paced.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await paced
                        t = time.perf_counter()
                        report = await unpaced.run(storage)
                        prune_time += time.perf_counter() - t
                        pages += report.pages
                    part = items[start : start + 50]
                    busy = start < half and not paced.done()
                    t = time.perf_counter()
                    async with asyncio.TaskGroup() as tg:
                        for item, now in part:
                            tg.create_task(save(item, now))
                    took = time.perf_counter() - t
                    spent += took
                    if day > retention:
                        (while_pruning if busy else not_pruning).append((len(part), took))
                if not paced.done():
                    paced.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await paced
            articles_before = ghosts_before
            _, ghosts_before, _ = _counts(db)
            pruned = ghosts_before - articles_before
            pruned_total += pruned
            rates.append(per_day / spent)
            sizes.append(_file_bytes(db))
            articles, ghosts, levels = _counts(db)
            print(
                f"day {day + 1:2}: file {sizes[-1] / 2**20:8.1f} MiB, {articles:>8,} articles, "
                f"{ghosts:>9,} ghosts, {rates[-1]:6.0f} saves/s, pruned {pruned:>6,} "
                f"({pages:,} pages returned), index {levels} levels",
                flush=True,
            )
        alerts, known = await reoffer(store, sample, clock.now + DAY)
    ghost_bytes, ghosts = _ghost_bytes(db)

    def rate(parts: list[tuple[int, float]]) -> float:
        return sum(n for n, _ in parts) / max(sum(t for _, t in parts), 1e-9)

    return {
        "during": rate(while_pruning), "alone": rate(not_pruning), "prune_time": prune_time,
        "rates": rates, "sizes": sizes, "pruned": pruned_total, "sample": len(sample),
        "alerts": alerts, "known": known, "ghost_bytes": ghost_bytes, "ghosts": ghosts,
    }  # fmt: skip


async def reoffer(store: Store, sample: list[NewArticle], now: datetime) -> tuple[int, int]:
    """Pruned articles offered again: are their URLs known, and do they or copies alert?"""
    known = await store.known_urls([a.url for a in sample])
    alerts = 0
    for n, item in enumerate(sample):
        body = {"type": "watchwire.alert", "rule": "again", "created_at": "x",
                "article": {"url": item.url}, "matches": []}  # fmt: skip
        intent = (AlertIntent(rule="again", channel="ops", digest=False, payload=body),)
        again = await store.save_article(item, intent, now=now)  # the same URL, re-saved
        copy = replace(item, url=f"https://copies.example/{n}")  # its text at a new URL
        alerts += len(again.alerts) + len((await store.save_article(copy, intent, now=now)).alerts)
    return alerts, len(known)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="2,000 articles a day")
    p.add_argument("--days", type=int, default=60)
    p.add_argument("--per-day", type=int)
    p.add_argument("--retention", type=int, default=7, help="days")
    a = p.parse_args()
    per_day = a.per_day or (2000 if a.quick else 20000)
    with tempfile.TemporaryDirectory(prefix="ww-retention-") as tmp:
        r = asyncio.run(soak(Path(tmp) / "w.db", a.days, per_day, a.retention))
    rates: list[float] = r["rates"]
    sizes: list[int] = r["sizes"]
    keep = a.retention
    before, during = rates[: keep + 1], rates[keep + 1 :]
    grown = sizes[-1] - sizes[keep + 1]
    per_day_growth = grown / max(len(sizes) - keep - 2, 1)
    scale = f"{a.days} days x {per_day:,} articles, retention {keep}d"
    print(
        f"insert rate: days 1-{keep + 1} (nothing to prune) median {statistics.median(before):.0f}"
        f"/s; days {keep + 2}-{a.days} median {statistics.median(during):.0f}/s: "
        f"{r['during']:.0f}/s while the pruner runs, {r['alone']:.0f}/s between its runs; "
        f"unpaced pruning {1000 * float(r['prune_time']) / max(int(r['pruned']), 1):.2f} ms of "
        f"the writer per article; file at day "
        f"{keep + 2}: {sizes[keep + 1] / 2**20:.1f} MiB, at day {a.days}: "
        f"{sizes[-1] / 2**20:.1f} MiB ({per_day_growth / 2**20:+.2f} MiB a day); pruned "
        f"{r['pruned']:,}; re-offered {r['sample']:,} pruned articles: {r['known']:,} URLs "
        f"known, {r['alerts']} alerts (URL again or text at a new URL); ghosts "
        f"{r['ghost_bytes'] / max(int(r['ghosts']), 1):.0f} bytes each",
        flush=True,
    )
    emit("Retention: insert rate before pruning starts (median per day)",
         round(statistics.median(before)), "articles/s", note=scale)  # fmt: skip
    emit("Retention: insert rate once pruning runs (median per day)",
         round(statistics.median(during)), "articles/s", note=scale)  # fmt: skip
    emit("Retention: insert rate while the pruner runs / between its runs",
         round(float(r["during"]) / max(float(r["alone"]), 1e-9), 2), "ratio",
         note=f"{r['during']:.0f} / {r['alone']:.0f} articles/s, {scale}")  # fmt: skip
    emit("Retention: file growth per day once pruning runs",
         round(per_day_growth / 2**20, 2), "MiB/day",
         note=f"{scale}; file {sizes[-1] / 2**20:.0f} MiB at the end; intake "
              f"{(sizes[keep] / (keep + 1)) / 2**20:.0f} MiB/day before pruning")  # fmt: skip
    emit("Retention: pruned articles that alert again when re-offered", int(r["alerts"]),
         "alerts", target="<= 0",
         note=f"{r['sample']} URLs and as many copies at new URLs")  # fmt: skip
    per = float(r["prune_time"]) / max(int(r["pruned"]), 1)
    emit("Retention: writer time per pruned article (unpaced)", round(1000 * per, 2), "ms",
         note=f"{r['pruned']:,} pruned; at 20,000 a day: {20000 * per:.0f} s a day")  # fmt: skip
    emit("Retention: bytes kept per pruned article (ghost)",
         round(int(r["ghost_bytes"]) / max(int(r["ghosts"]), 1)), "bytes",
         target="<= 120", note=f"{r['ghosts']:,} ghosts, from dbstat")  # fmt: skip


if __name__ == "__main__":
    main()
