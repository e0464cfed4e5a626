"""PostgreSQL and several workers: crawl throughput, the database's CPU, leases, search.

    python -m bench.bench_postgres                 # 200 sites x 50; 10,000 sources; 1,000,000
    python -m bench.bench_postgres --quick         # 40 sites x 50; 10,000 sources; 100,000
    python -m bench.bench_postgres --only crawl,leases,search,daycount

One throwaway PostgreSQL 15 cluster (``tests/support/postgres.py``), set up durable as a server
would be (``fsync``, ``synchronous_commit``, ``full_page_writes`` on; 256 MB of shared buffers;
autovacuum on), on this machine beside everything else — its CPU is measured apart, from its
processes (the postmaster's tree, reaped children included).

**crawl**: a cold crawl of the loopback universe (``bench/universe.py``) by real ``watchwire
run`` processes — 1, 2 and 3 workers on a fresh database each, and one on a SQLite file for
comparison — every source due at start, ``per_host_delay`` 0 (this measures CPU, not
politeness), 1,000 rules. Throughput is articles stored per second from the first to the last
(as the database counts them); CPU is the workers' (their extraction processes included) and
the database's, per article.

**leases**: what coordination costs per poll at 10,000 sources: three workers (three stores in
this process) plan the same 10,000 sources, then claim them 64 at a time, take each source's
host (one of 1,000), hand the source back due an hour later and give the hosts back — every
statement a poll adds to the store, without the fetching. CPU per poll is this process's (the
three stores' client side) plus the database's. The same loop on SQLite for comparison.

**daycount**: the dashboard's day counts under several writers: six workers (six stores in
this process) each storing 300 articles with an alert, eight at a time, on one day — with the
counts in one row a day (every save holds its lock from its insert to its commit), and in a row
per session (``schema._WORKERS``), alternated twice. Saves per second, wall clock.

**search**: ``watchwire search``'s path (``queries.search``: the GIN index narrows, the rules
engine confirms, 50 hits) over a database filled through ``store copy``'s import (the same
3-5 KB bodies and queries as ``bench_store``'s SQLite figures; stories one per article, no
SimHash), then ``ANALYZE``d. Each query says which way the store read it: all of the GIN
index's matches sorted (few), or ``articles_when`` walked newest first (many).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from tests.store.helpers import T0, intent, new_article
from tests.support.postgres import Cluster, database

from bench.bench_store import CLI_LIMIT, TERMS, Corpus, queries
from bench.common import CpuMeter, _stat, descendants, emit
from bench.harness import ServiceProcess
from bench.universe import Universe, UniverseOptions, make_rules_yaml
from watchwire.config import RuleConfig
from watchwire.queries import search as search_rule
from watchwire.rules import compile_rules
from watchwire.store import SourcePlan, Store, locate_store, open_store
from watchwire.store.postgres import search as pg_search
from watchwire.store.postgres.fts import to_tsquery
from watchwire.store.records import KINDS

DURABLE = """
fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = 256MB
work_mem = 16MB
max_connections = 100
autovacuum = on
checkpoint_timeout = 5min
"""
_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and every process below it, those already reaped included."""
    total = 0.0
    for p in [pid, *descendants(pid)]:
        try:
            f = _stat(p)
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += sum(int(x) for x in f[11:15]) / _TICK  # utime stime cutime cstime
    return total


# --- crawl --------------------------------------------------------------------------------------


def write_config(folder: Path, storage: str, uni: Universe, rules: int) -> Path:
    sources = "\n".join(f"  - {{name: s{i}, url: {url}, kind: feed}}"
                        for i, url in enumerate(uni.feeds))  # fmt: skip
    path = folder / "watchwire.yaml"
    path.write_text(
        f'storage: "{storage}"\n'
        "crawl: {interval: 1h, per_host_delay: 0s, per_host_concurrency: 2, timeout: 60s}\n"
        f"sources:\n{sources}\n"
        f"channels:\n  hook: {{type: webhook, url: {uni.hook}, concurrency: 16}}\n"
        + make_rules_yaml(rules)
    )
    return path


@dataclass
class CrawlRun:
    label: str
    workers: int
    stored: int
    seconds: float
    worker_cpu: float
    db_cpu: float | None

    @property
    def rate(self) -> float:
        return self.stored / self.seconds


def count_articles(storage: str) -> int:
    try:
        if storage.startswith("postgresql"):
            with psycopg.connect(storage, autocommit=True) as conn:
                row = conn.execute("SELECT count(*) FROM articles").fetchone()
        else:
            with sqlite3.connect(f"file:{storage}?mode=ro", uri=True) as conn:
                row = conn.execute("SELECT count(*) FROM articles").fetchone()
    except (psycopg.Error, sqlite3.Error):
        return 0  # not made yet
    return int(row[0]) if row else 0


def crawl(
    uni: Universe, storage: str, workers: int, folder: Path, *, rules: int, expected: int,
    server: int | None, label: str,
) -> CrawlRun:  # fmt: skip
    config = write_config(folder, storage, uni, rules)
    db_before = tree_cpu(server) if server else 0.0
    with contextlib.ExitStack() as stack:
        procs = [
            stack.enter_context(ServiceProcess(config, folder / f"worker{i}.log"))
            for i in range(workers)
        ]
        first = last = 0.0
        deadline = time.monotonic() + 1800
        stored = 0
        while time.monotonic() < deadline:
            stored = count_articles(storage)
            now = time.monotonic()
            if stored and not first:
                first = now
            if stored >= expected:
                last = now
                break
            if not all(p.alive() for p in procs):
                raise SystemExit(f"[{label}] a worker died:\n" + procs[0].log_tail())
            time.sleep(0.2)
        else:
            raise SystemExit(f"[{label}] only {stored}/{expected} stored in time")
        worker_cpu = sum(tree_cpu(p.pid) for p in procs)
    db_cpu = tree_cpu(server) - db_before if server else None
    run = CrawlRun(label, workers, stored, max(last - first, 1e-6), worker_cpu, db_cpu)
    db = f", database {1000 * db_cpu / stored:.2f} ms" if db_cpu is not None else ""
    print(
        f"[{label}] {stored} articles in {run.seconds:.1f}s = {run.rate:.0f} articles/s; "
        f"CPU per article: workers {1000 * worker_cpu / stored:.2f} ms{db}",
        flush=True,
    )
    return run


def bench_crawl(cluster: Cluster, sites: int, articles: int, rules: int) -> None:
    opts = UniverseOptions(sites=sites, articles=articles, pregenerate=True)
    expected = sites * articles
    runs: list[CrawlRun] = []
    with Universe(opts) as uni, tempfile.TemporaryDirectory(prefix="ww-pgcrawl-") as tmp:
        print(f"universe: {sites} sites x {articles} articles", flush=True)
        folder = Path(tmp) / "sqlite"
        folder.mkdir()
        runs.append(crawl(uni, str(folder / "watchwire.db"), 1, folder, rules=rules,
                          expected=expected, server=None, label="SQLite, 1 worker"))  # fmt: skip
        for n in (1, 2, 3):
            folder = Path(tmp) / f"pg{n}"
            folder.mkdir()
            with database(cluster.dsn()) as dsn:
                label = f"PostgreSQL, {n} worker(s)"
                runs.append(crawl(uni, dsn, n, folder, rules=rules, expected=expected,
                                  server=cluster.pid, label=label))  # fmt: skip
    scale = f"{sites} sites x {articles} articles, {rules:,} rules, 2 cores"
    for run in runs:
        emit(f"Cold crawl throughput, {run.label}", round(run.rate), "articles/s", note=scale)
        emit(f"Workers' CPU per article, {run.label}", round(1000 * run.worker_cpu / run.stored, 2),
             "ms", note="extraction processes included")  # fmt: skip
        if run.db_cpu is not None:
            db_ms = round(1000 * run.db_cpu / run.stored, 2)
            emit(f"PostgreSQL server CPU per article, {run.label}", db_ms, "ms",
                 note="the server's processes")  # fmt: skip


# --- leases -------------------------------------------------------------------------------------


async def poll_loop(store: Store, polls: list[int], *, hosts: int, later: datetime) -> None:
    """Claim, take the host, hand back, give the hosts back: until nothing is due."""
    last_keep = time.monotonic()
    while True:
        now = datetime.now(UTC)
        claimed = await store.claim_sources(now=now, limit=64, lease=timedelta(seconds=30))
        if not claimed.leases:
            return
        held: dict[str, datetime] = {}
        for lease in claimed.leases:
            origin = f"http://h{int(lease.name[1:]) % hosts}.example"
            if await store.hold_host(origin, now=now, lease=timedelta(seconds=30)) is not None:
                held[origin] = now
            await store.finish_source(lease.name, due_at=later)
            polls[0] += 1
        await store.release_hosts(held)
        if time.monotonic() - last_keep > 5:
            await store.renew_leases(now=now, lease=timedelta(seconds=30))
            await store.release_orphans(now=now)
            last_keep = time.monotonic()


async def leases(
    location: str, *, sources: int, workers: int, hosts: int
) -> tuple[int, float, float]:
    """Polls, seconds and this process's CPU for ``workers`` stores working ``sources`` off."""
    now = datetime.now(UTC)
    plans = [SourcePlan(name=f"s{i}", url=f"http://h{i % hosts}.example/feed{i}", first_due=now,
                        latest_due=now + timedelta(hours=1)) for i in range(sources)]  # fmt: skip
    async with contextlib.AsyncExitStack() as stack:
        stores = [await stack.enter_async_context(open_store(locate_store(location)))
                  for _ in range(workers)]  # fmt: skip
        for store in stores:
            await store.plan_sources(plans, now=now)
        polls = [0]
        later = now + timedelta(hours=1)
        meter = CpuMeter().start()
        await asyncio.gather(*(poll_loop(s, polls, hosts=hosts, later=later) for s in stores))
        meter.stop()
    return polls[0], meter.wall, meter.cpu


ONE_ROW_A_DAY = """
CREATE OR REPLACE FUNCTION watchwire_count_article() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_counts (day, shard, articles)
    VALUES ((NEW.first_seen_at AT TIME ZONE 'UTC')::date, 0, 1)
    ON CONFLICT (day, shard) DO UPDATE SET articles = daily_counts.articles + 1;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION watchwire_count_alert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_counts (day, shard, alerts)
    VALUES ((NEW.created_at AT TIME ZONE 'UTC')::date, 0, 1)
    ON CONFLICT (day, shard) DO UPDATE SET alerts = daily_counts.alerts + 1;
    RETURN NULL;
END $$;
"""
"""The day counts as the dashboard's first migration kept them: one row a day."""


async def concurrent_saves(dsn: str, *, one_row: bool, workers: int, each: int) -> float:
    """Seconds for ``workers`` stores to save ``each`` articles (and an alert) each, 8 at once."""
    location = locate_store(dsn)
    async with open_store(location):
        pass  # migrated
    if one_row:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(ONE_ROW_A_DAY)
    async with AsyncExitStack() as stack:
        stores = [await stack.enter_async_context(open_store(location)) for _ in range(workers)]

        async def save(k: int, store: Store) -> None:
            async def one(i: int) -> None:
                new = new_article(f"https://{k}/{i}", f"text {k} {i} " * 30)
                await store.save_article(new, [intent()], now=T0)

            for i in range(0, each, 8):
                await asyncio.gather(*(one(j) for j in range(i, min(i + 8, each))))

        t = time.perf_counter()
        await asyncio.gather(*(save(k, s) for k, s in enumerate(stores)))
        took = time.perf_counter() - t
        (day,) = await stores[0].daily_activity(since=T0.date())
        assert day.articles == workers * each, day
    return took


def bench_daycount(cluster: Cluster, workers: int = 6, each: int = 300) -> None:
    rates: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(2):
        for one_row in (True, False):
            with database(cluster.dsn()) as dsn:
                took = asyncio.run(concurrent_saves(dsn, one_row=one_row, workers=workers,
                                                    each=each))  # fmt: skip
            rates[one_row].append(workers * each / took)
            how = "one row a day" if one_row else "a row per session"
            print(f"[day counts, {how}] {workers * each} saves by {workers} workers in "
                  f"{took:.1f}s = {workers * each / took:.0f}/s", flush=True)  # fmt: skip
    note = f"{workers} workers x {each} articles with an alert, 8 at a time each; best of 2"
    emit("Concurrent saves, day counts in one row a day", round(max(rates[True])), "saves/s",
         note=note)  # fmt: skip
    emit("Concurrent saves, day counts in a row per session", round(max(rates[False])),
         "saves/s", note=note)  # fmt: skip


def bench_leases(cluster: Cluster, sources: int) -> None:
    with database(cluster.dsn()) as dsn:
        before = tree_cpu(cluster.pid)
        polls, wall, cpu = asyncio.run(leases(dsn, sources=sources, workers=3, hosts=1000))
        db = tree_cpu(cluster.pid) - before
    per = 1000 * (cpu + db) / polls
    print(f"[leases, PostgreSQL] {polls} polls by 3 workers in {wall:.1f}s ({polls / wall:.0f}/s): "
          f"{1000 * cpu / polls:.3f} ms client + {1000 * db / polls:.3f} ms server CPU per poll",
          flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ww-leases-") as tmp:
        lp, lwall, lcpu = asyncio.run(
            leases(str(Path(tmp) / "w.db"), sources=sources, workers=1, hosts=1000)
        )
    print(f"[leases, SQLite] {lp} polls by 1 worker in {lwall:.1f}s: {1000 * lcpu / lp:.3f} ms "
          "CPU per poll", flush=True)  # fmt: skip
    scale = f"{sources:,} sources, 3 workers"
    server = f"{1000 * db / polls:.3f} ms of it the server's"
    emit("Lease overhead per poll, PostgreSQL (client + server CPU)", round(per, 3), "ms",
         note=f"{scale}: claim, host, hand back; {server}")  # fmt: skip
    emit("Lease overhead per poll, SQLite", round(1000 * lcpu / lp, 3), "ms",
         note=f"{sources:,} sources, 1 worker")  # fmt: skip


# --- search -------------------------------------------------------------------------------------


async def fill(dsn: str, n: int, corpus: Corpus) -> float:
    """Articles through the copy's import, 1,000 a transaction; seconds taken."""
    stories, articles = (
        next(k for k in KINDS if k.name == name) for name in ("stories", "articles")
    )
    now = datetime.now(UTC)
    t = time.perf_counter()
    async with open_store(locate_store(dsn)) as store:
        for start in range(0, n, 1000):
            batch = []
            for i in range(start + 1, min(start + 1000, n) + 1):
                url, art = corpus.article(i, now)
                batch.append({
                    "id": i, "url": url, "story_id": i, "source": f"s{i % 1000}",
                    "title": art.title, "lead": art.lead, "body": art.text,
                    "published_at": art.published_at, "modified_at": None,
                    "language": art.language, "authors": [], "section": None, "tags": [],
                    "image": None, "content_hash": f"h{i}", "simhash": None, "version": 1,
                    "first_seen_at": now, "updated_at": now, "bands": [],
                })  # fmt: skip
            await store.import_records(
                stories, [{"id": r["id"], "key": r["content_hash"], "created_at": now,
                           "closed": False} for r in batch],
            )  # fmt: skip
            await store.import_records(articles, batch)
            if (start + 1000) % 100_000 == 0:
                print(
                    f"  {start + 1000:>9,} articles in {time.perf_counter() - t:.0f}s", flush=True
                )
    return time.perf_counter() - t


async def search(dsn: str, qs: list[str], repeat: int) -> dict[str, tuple[float, int, int, str]]:
    out: dict[str, tuple[float, int, int, str]] = {}
    async with open_store(locate_store(dsn)) as store:
        for q in qs:
            rules = compile_rules([RuleConfig(name="query", query=q)], TERMS)
            times = []
            cands = hits = 0
            for _ in range(repeat):
                t = time.perf_counter()
                result = await search_rule(store, rules, "query", limit=CLI_LIMIT)
                times.append(time.perf_counter() - t)
                cands, hits = result.candidates, len(result.hits)
            out[q] = (statistics.median(times), cands, hits, await plan(dsn, rules))
    return out


async def plan(dsn: str, rules: Any) -> str:
    """Which way the store read the query's candidates (``store/postgres/search.py``)."""
    tsquery = to_tsquery(rules.search_query("query"))
    if tsquery is None:
        return "every article, newest first"
    async with await psycopg.AsyncConnection.connect(dsn) as conn, conn.transaction():
        found: list[tuple[datetime, int]] | None = await pg_search._probe(conn, tsquery, [], [])
    if found is None:
        return f"{pg_search.PROBE:,}+ matches: articles_when walked newest first"
    return f"{len(found):,} matches from the GIN index, sorted"


def bench_search(cluster: Cluster, n: int, repeat: int) -> None:
    corpus = Corpus()
    with database(cluster.dsn()) as dsn:
        print(f"filling {n:,} articles", flush=True)
        took = asyncio.run(fill(dsn, n, corpus))
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE articles")
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        gib = int(size[0]) / 2**30 if size else 0.0
        print(f"{n:,} articles in {took:.0f}s ({n / took:.0f}/s through the import); database "
              f"{gib:.2f} GiB", flush=True)  # fmt: skip
        results = asyncio.run(search(dsn, queries(corpus), repeat))
    for q, (sec, cands, hits, how) in results.items():
        print(f"  search {q!r:48} {sec * 1000:8.1f} ms  {cands:5} candidates {hits:5} hits  "
              f"({how})")  # fmt: skip
    times = sorted(v[0] for v in results.values())
    scale = f"{n:,} articles, {gib:.1f} GiB; GIN + rules, {len(times)} queries"
    emit("Search latency on PostgreSQL (median query)", round(1000 * statistics.median(times), 1),
         "ms", note=scale)  # fmt: skip
    emit("Search latency on PostgreSQL (slowest query)", round(1000 * times[-1], 1), "ms",
         note=scale)  # fmt: skip
    emit("Import rate (store copy) into PostgreSQL", round(n / took), "articles/s",
         note="search vectors computed on the way in")  # fmt: skip


@contextlib.contextmanager
def cluster() -> Iterator[Cluster]:
    c = Cluster.start(settings=DURABLE)
    try:
        yield c
    finally:
        c.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", default="crawl,leases,daycount,search")
    p.add_argument("--sites", type=int)
    p.add_argument("--articles", type=int, default=50)
    p.add_argument("--rules", type=int, default=1000)
    p.add_argument("--sources", type=int, default=10_000)
    p.add_argument("--search-articles", type=int)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    only = set(a.only.split(","))
    with cluster() as c:
        print(f"PostgreSQL cluster up in {c.started_in:.1f}s", flush=True)
        if "crawl" in only:
            bench_crawl(c, a.sites or (40 if a.quick else 200), a.articles, a.rules)
        if "leases" in only:
            bench_leases(c, a.sources)
        if "daycount" in only:
            bench_daycount(c)
        if "search" in only:
            bench_search(c, a.search_articles or (100_000 if a.quick else 1_000_000), a.repeat)


if __name__ == "__main__":
    main()
