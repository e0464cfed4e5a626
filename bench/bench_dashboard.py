"""The dashboard at scale: the first page of each page kind, timed on the server, over 1,000
sources and 1,000,000 stored articles.

    python -m bench.bench_dashboard --store /work/bench-data/store-1m-v2.db  # copied, then used
    python -m bench.bench_dashboard --copy /tmp/ww/store-1m.db   # a copy made by an earlier run
    python -m bench.bench_dashboard --quick                      # 50,000 articles built here

A kept store (``bench_store --keep``) is never opened in place: opening migrates it. It is
copied to a temporary folder (``--copy PATH`` instead names the copy to make, or to reuse when
it exists). Then, once per copy, 1,000 sources get a week of polls and fetches (3 % failing,
2 % silent), 5,000 new articles come with their alerts (a rule that takes every article, and
the real ones; a tenth failed after three tries with their answers kept, most delivered) and
syndicated copies.

The dashboard is served as ``watchwire run`` serves it (``web.HttpServer`` on loopback, the
store's read-only connection answering), and each page is asked ``--repeat`` times with an
HTTP client, as a browser would: the time is the server's own (``Server-Timing``: from the
request's arrival to the answer, the template's rendering included). Search pages use
``bench_store``'s eight queries; a rule replayed over history reports its own time too.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

from bench.bench_store import TERMS, Corpus, fill, queries
from bench.common import emit
from watchwire.config import parse_config
from watchwire.dedupe import fingerprint
from watchwire.metrics import Metrics
from watchwire.models import FetchOutcome, FetchResult, Match
from watchwire.payloads import render_alert
from watchwire.snapshot import Snapshot
from watchwire.store import (
    AlertIntent,
    DeliveryAttempt,
    HealthRecord,
    NewArticle,
    Store,
    locate_store,
    open_store,
)
from watchwire.timeutil import utcnow
from watchwire.web import HttpServer, WebContext

SOURCES = 1000
NEW_ARTICLES = 5000
TARGET_MS = 100.0
RULES = {
    "belarus-sanctions": "@belarus AND @sanctions",
    "belarus-words": "Belarus sanctions",
    "potash": "potash AND export*",
}


def config_text(db: Path) -> str:
    sources = "\n".join(
        f'  - {{name: s{i}, url: "https://site{i}.example/feed.xml"}}' for i in range(SOURCES)
    )
    terms = "\n".join(f"  {k}: [{', '.join(repr(v) for v in vs)}]" for k, vs in TERMS.items())
    rules = "\n".join(f'  - {{name: {n}, query: "{q}", notify: [ops]}}' for n, q in RULES.items())
    return (f"storage: {db}\nchannels:\n  ops: {{type: webhook, url: 'http://127.0.0.1:9/'}}\n"
            f"terms:\n{terms}\nsources:\n{sources}\nrules:\n{rules}\n")  # fmt: skip


async def prepare(store: Store, snapshot: Snapshot, corpus: Corpus) -> None:
    """Sources with a week of polls, alerts in every state, stories with copies (once)."""
    if len(await store.recent_polls("s0")) >= 12:
        print("sources, polls and alerts are there from an earlier run", flush=True)
        return
    t0 = time.perf_counter()
    now = utcnow()
    rng = random.Random(7)
    for i in range(SOURCES):
        name, url = f"s{i}", f"https://site{i}.example/feed.xml"
        failing = i % 33 == 5
        for k in range(12, 0, -1):
            at = now - timedelta(hours=k * 14)
            ok = not (failing and k <= 3)
            await store.record_fetch(name, FetchResult(
                url=url, final_url=url, outcome=FetchOutcome.OK if ok else FetchOutcome.ERROR,
                status=200 if ok else 503, content=b"x" * rng.randint(2000, 90000),
                elapsed=rng.uniform(0.05, 0.8), error=None if ok else "HTTP 503",
            ), now=at - timedelta(seconds=1))  # fmt: skip
            new = rng.randint(0, 4) if ok else 0
            await store.record_poll(name, url=url, now=at, ok=ok, kind="feed", new_articles=new,
                                    error=None if ok else "HTTP 503")  # fmt: skip
        state = "failing" if failing else "silent" if i % 50 == 7 else "ok"
        reasons = {"failing": "HTTP 503 on 3 polls", "silent": "no new article for 3 days"}
        reason = reasons.get(state)
        await store.record_health(name, HealthRecord(state=state, since=now - timedelta(hours=40),
                                                     reason=reason), [], now=now)  # fmt: skip
    print(f"1,000 sources polled for a week in {time.perf_counter() - t0:.0f}s", flush=True)
    t0 = time.perf_counter()
    rules = snapshot.rules
    for i in range(NEW_ARTICLES):
        url, article = corpus.article(2_000_000 + i, now)
        source = f"s{i % SOURCES}"
        matches = [*rules.match(article, source=source),
                   Match(rule="everything", spans=(), snippet=article.lead[:200])]  # fmt: skip
        intents = [
            AlertIntent(rule=m.rule, channel="ops", digest=False, payload=render_alert(
                rule=m.rule, article=article, source=source, matches=m, created_at=now))
            for m in matches
        ]  # fmt: skip
        fp = fingerprint(article.text)
        new = NewArticle(url=url, source=source, article=article, content_hash=fp.content_hash,
                         simhash=fp.simhash if fp.near_dup_eligible else None,
                         band_keys=fp.band_keys if fp.near_dup_eligible else ())  # fmt: skip
        stored = await store.save_article(new, intents, now=now)
        if i % 10 == 0:  # a syndicated copy on another site
            copy = NewArticle(url=url.replace("site", "mirror"), source=f"s{(i + 500) % SOURCES}",
                              article=article, content_hash=new.content_hash,
                              simhash=new.simhash, band_keys=new.band_keys)  # fmt: skip
            await store.save_article(copy, [], now=now)
        for message_id in stored.alerts:
            await settle(store, message_id, i)
    print(f"{NEW_ARTICLES:,} articles with their alerts in {time.perf_counter() - t0:.0f}s",
          flush=True)  # fmt: skip


async def settle(store: Store, message_id: str, i: int) -> None:
    """Deliver most alerts; fail one in ten after three tries; leave one in ten pending."""
    now = utcnow()
    if i % 10 == 3:
        for n in (1, 2, 3):
            answer = "HTTP 503 Service Unavailable" if n < 3 else "HTTP 410 Gone"
            await store.record_attempt(DeliveryAttempt(
                message_id=message_id, attempt=n, at=now, outcome="retry" if n < 3 else "failed",
                answer=answer, elapsed=0.2,
            ))  # fmt: skip
            if n < 3:
                await store.mark_retry(message_id, error=answer,
                                       next_attempt_at=now + timedelta(minutes=n))  # fmt: skip
        await store.mark_failed(message_id, error="HTTP 410 Gone", now=now)
    elif i % 10 != 9:
        await store.record_attempt(DeliveryAttempt(
            message_id=message_id, attempt=1, at=now, outcome="delivered",
            answer="HTTP 204 No Content", elapsed=0.05,
        ))  # fmt: skip
        await store.mark_delivered(message_id, now=now)


async def measure(base: str, paths: dict[str, list[str]], repeat: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for kind, urls in paths.items():
            times: list[float] = []
            for r in range(repeat):
                for url in urls:
                    answer = await client.get(url)
                    if answer.status_code != 200:
                        raise SystemExit(f"{url}: HTTP {answer.status_code}\n{answer.text[:500]}")
                    if r == 0 and kind.startswith("search"):
                        continue  # each query's first run warms its index pages in
                    m = re.search(r"app;dur=([0-9.]+)", answer.headers.get("server-timing", ""))
                    assert m is not None
                    times.append(float(m[1]))
            out[kind] = times
            print(f"  {kind:24} p50 {statistics.median(times):7.1f} ms  p95 {p95(times):7.1f} ms"
                  f"  max {max(times):7.1f} ms  ({len(times)} requests)", flush=True)  # fmt: skip
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def run(db: Path, repeat: int) -> None:
    snapshot = Snapshot.build(parse_config(config_text(db)))
    t0 = time.perf_counter()
    async with open_store(locate_store(db)) as store:
        print(f"opened {db} in {time.perf_counter() - t0:.1f}s (migrations included)", flush=True)
        await prepare(store, snapshot, Corpus(seed=2, pool=5000))
        articles = await store.count_articles()
        stories = [s.id for s in await store.stories(limit=500) if s.copies > 1][:10]
        failed = [r.id for r in await store.list_outbox(states=["failed"], limit=10)]
        context = WebContext(
            snapshot=lambda: snapshot, store=store, metrics=Metrics(),
            readiness=lambda: {"config": True, "scheduler": True}, workers=lambda: 0,
            started_at=utcnow(),
        )  # fmt: skip
        paths = {
            "overview": ["/"],
            "sources": ["/sources"],
            "a source": [f"/sources/s{i}" for i in (5, 17, 333, 998)],
            "alerts": ["/alerts"],
            "alerts, failed": ["/alerts?state=failed"],
            "an alert": [f"/alerts/{i}" for i in failed] or ["/alerts"],
            "stories": ["/stories"],
            "a story": [f"/stories/{i}" for i in stories] or ["/stories"],
            "search": [str(httpx.URL("/search", params={"q": q})) for q in queries(Corpus())],
            "rule replay (30 days)": ["/search?rule=belarus-sanctions&since=30d"],
        }
        async with HttpServer(context, "127.0.0.1", 0) as server:
            base = f"http://127.0.0.1:{server.port}"
            print(f"{articles:,} articles, {SOURCES:,} sources; each page {repeat} times:",
                  flush=True)  # fmt: skip
            times = await measure(base, paths, repeat)
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                replay = (await client.get("/search.json", params={
                    "rule": "belarus-sanctions", "since": "30d"})).json()  # fmt: skip
    scale = f"{articles:,} articles, {SOURCES:,} sources"
    for kind, values in times.items():
        emit(f"Dashboard first page: {kind}, p95 server-side", round(p95(values), 1), "ms",
             target=f"<= {TARGET_MS:g}", note=f"{scale}, {len(values)} requests")  # fmt: skip
    emit("Dashboard rule replay, its own time (first page)", round(replay["seconds"] * 1000, 1),
         "ms", note=f"{scale}; {len(replay['hits'])} hits of {replay['candidates']} candidates, "
         f"next page {'linked' if replay['next'] else 'none'}")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--store", type=Path, help="a kept store to copy (never opened in place)")
    p.add_argument("--copy", type=Path, help="where the copy goes; reused when it exists")
    p.add_argument("--quick", action="store_true", help="build a 50,000-article store instead")
    p.add_argument("--repeat", type=int, default=20, help="requests of each page")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="ww-dashboard-") as tmpdir:
        db = a.copy or Path(tmpdir) / "store.db"
        if a.copy is not None and a.copy.exists():
            print(f"using {db}, copied by an earlier run", flush=True)
        elif a.store is not None:
            t0 = time.perf_counter()
            db.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(a.store, db)
            print(f"copied {a.store} to {db} in {time.perf_counter() - t0:.0f}s", flush=True)
        else:
            n = 50_000 if a.quick else 1_000_000
            print(f"inserting {n:,} articles into {db}", flush=True)
            asyncio.run(fill(db, n, Corpus(), max(n // 10, 1000)))
        asyncio.run(run(db, a.repeat))


if __name__ == "__main__":
    main()
