"""Store scale: insert rate and RSS up to 1,000,000 articles, then search latency over them.

    python -m bench.bench_store                      # 1,000,000 articles (about half an hour)
    python -m bench.bench_store --quick              # 50,000 articles
    python -m bench.bench_store --articles 200000
    python -m bench.bench_store --search-only store.db  # time the searches on a kept store
                                                         # (opening it migrates it)

Articles (3-5 KB bodies of the universe's English and Ukrainian text, 5 % mentioning Belarus and
sanctions) go in through the embedded store's ``save_article``, 32 in flight as the pipeline's
articles are (``--concurrency``; the store commits the saves that queue together in one
transaction): a real SQLite file (WAL) in a temporary directory, FTS5 index, SimHash bands and story
lookup included. Their dedupe keys come from ``watchwire.dedupe.fingerprint``, computed ahead
of the timed part. The insert rate is reported per slice, to show how it holds as the file
grows; RSS is this process's (SQLite runs in it, on the store's threads).

Then ``watchwire search``'s path, timed per query: ``queries.search`` — the store's search
(FTS5 candidates, newest first, read page by page) and the rules engine over them until 50 hits
(``--limit``'s default) are confirmed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import emit, proc_peak_rss, proc_rss
from bench.corpus import _BELARUS_EN, _BELARUS_UK, _make_lang
from watchwire.config import RuleConfig
from watchwire.dedupe import fingerprint
from watchwire.models import Article
from watchwire.queries import search as search_rule
from watchwire.rules import compile_rules
from watchwire.store import NewArticle, locate_store, open_store

CLI_LIMIT = 50
"""``watchwire search --limit``'s default: the CLI stops confirming candidates there."""
TERMS = {
    "belarus": ("Belarus", "Belarusian*", "Lukashenk*", "Беларус*", "Білорус*", "Лукашенк*"),
    "sanctions": ("sanction*", "санкці*", "санкци*"),
}


class Corpus:
    """Cheap unique article texts: sentences from a pool with their names filled in."""

    def __init__(self, seed: int = 1, pool: int = 60000) -> None:
        rng = random.Random(seed)
        self.rng = rng
        self.langs = {c: _make_lang(c, seed=seed) for c in ("en", "uk")}
        self.pool: dict[str, list[str]] = {}
        for code, lang in self.langs.items():
            out = []
            for _ in range(pool):
                tmpl, slots = lang.sentences[rng.randrange(len(lang.sentences))]
                ents = lang.entities
                names = tuple(ents[rng.randrange(len(ents))] for _ in range(slots))
                out.append(tmpl % names if slots else tmpl)
            self.pool[code] = out
        self.entities = {c: lang.entities for c, lang in self.langs.items()}

    def article(self, i: int, now: datetime) -> tuple[str, Article]:
        rng = self.rng
        code = "uk" if rng.random() < 0.4 else "en"
        pool = self.pool[code]
        paragraphs: list[str] = []
        size = 0
        target = rng.randint(3000, 5000)
        while size < target:
            para = " ".join(pool[rng.randrange(len(pool))] for _ in range(rng.randint(2, 5)))
            paragraphs.append(para)
            size += len(para.encode()) + 2
        if rng.random() < 0.05:
            extra = _BELARUS_EN if code == "en" else _BELARUS_UK
            paragraphs[rng.randrange(len(paragraphs))] += " " + extra[0].format(day="Monday")
        title = pool[rng.randrange(len(pool))].rstrip(".!?")[:120]
        published = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
        url = f"https://site{i % 1000}.example/news/{published:%Y/%m/%d}/story-{i}.html"
        art = Article(
            title=title,
            text="\n\n".join(paragraphs),
            paragraphs=tuple(paragraphs),
            lead=paragraphs[0][:300],
            published_at=published,
            url=url,
            language=code,
        )
        return url, art


def queries(corpus: Corpus) -> list[str]:
    en, uk = corpus.entities["en"], corpus.entities["uk"]
    return [
        "@belarus AND @sanctions",
        "Belarus sanctions",
        f"{en[10]} AND {en[11]}",
        f"{en[12]}",
        f'"{en[13]} government"',
        f"{uk[20]} OR {uk[21]}",
        f"{en[30][:-2]}* NEAR/10 {en[31]}",
        "potash AND export*",
    ]


def _new_article(corpus: Corpus, i: int, now: datetime) -> NewArticle:
    url, art = corpus.article(i, now)
    fp = fingerprint(art.text)
    return NewArticle(
        url=url,
        source=f"s{i % 1000}",
        article=art,
        content_hash=fp.content_hash,
        simhash=fp.simhash if fp.near_dup_eligible else None,
        band_keys=fp.band_keys if fp.near_dup_eligible else (),
    )


async def fill(
    db: Path,
    n: int,
    corpus: Corpus,
    batch: int,
    *,
    budget: float = float("inf"),
    concurrency: int = 32,
) -> list[tuple[int, float, int]]:
    """Insert ``n`` articles (fewer if ``budget`` seconds run out); (count, seconds spent in
    save_article, rss) per slice."""
    now = datetime.now(UTC)
    slices: list[tuple[int, float, int]] = []
    deadline = time.monotonic() + budget
    async with open_store(locate_store(db)) as store:
        gate = asyncio.Semaphore(concurrency)

        async def save(item: NewArticle) -> None:
            async with gate:
                await store.save_article(item, (), now=now)

        done = 0
        while done < n and time.monotonic() < deadline:
            todo = min(batch, n - done)
            spent, saved = 0.0, 0
            # Generated 1,000 at a time, so that RSS is the store's, not a slice's worth of text.
            for start in range(done, done + todo, 1000):
                items = [
                    _new_article(corpus, i, now)
                    for i in range(start, min(start + 1000, done + todo))
                ]
                t = time.perf_counter()
                async with asyncio.TaskGroup() as tg:
                    for item in items:
                        tg.create_task(save(item))
                spent += time.perf_counter() - t
                saved += len(items)
                if time.monotonic() > deadline:
                    break
            todo = saved
            done += todo
            rss = proc_rss(os.getpid())
            slices.append((done, spent, rss))
            print(
                f"  {done:>9,} articles: {todo / spent:6.0f}/s in this slice, RSS "
                f"{rss / 2**20:.0f} MB, file {_gib(db):.2f} GiB",
                flush=True,
            )
    return slices


def _gib(path: Path) -> float:
    return path.stat().st_size / 2**30


async def search(db: Path, qs: list[str], repeat: int) -> dict[str, tuple[float, int, int]]:
    """Median seconds, candidates and hits per query, as ``watchwire search`` does it."""
    out: dict[str, tuple[float, int, int]] = {}
    async with open_store(locate_store(db)) as store:
        for q in qs:
            rules = compile_rules([RuleConfig(name="query", query=q)], TERMS)
            times = []
            cands = hits = 0
            for _ in range(repeat):
                t = time.perf_counter()
                result = await search_rule(store, rules, "query", limit=CLI_LIMIT)
                times.append(time.perf_counter() - t)
                cands, hits = result.candidates, len(result.hits)
            out[q] = (statistics.median(times), cands, hits)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--articles", type=int)
    p.add_argument("--slice", type=int, help="articles per progress line")
    p.add_argument("--repeat", type=int, default=5, help="runs of each search query")
    p.add_argument("--keep", type=Path, help="keep the database at this path")
    p.add_argument("--search-only", type=Path, metavar="DB",
                   help="only time the searches, on this existing store")  # fmt: skip
    p.add_argument("--budget", type=float, help="stop inserting after this many seconds")
    p.add_argument(
        "--concurrency", type=int, default=32, help="saves in flight (group-committed together)"
    )
    a = p.parse_args()
    budget = a.budget or (600.0 if a.quick else 2400.0)
    n = a.articles or (50_000 if a.quick else 1_000_000)
    slice_ = a.slice or max(n // 20, 1000)
    corpus = Corpus()
    if a.search_only:
        search_only(a.search_only, corpus, a.repeat)
        return
    with tempfile.TemporaryDirectory(prefix="ww-store-") as tmpdir:
        db = a.keep or Path(tmpdir) / "store.db"
        print(f"inserting {n:,} articles into {db}", flush=True)
        t0 = time.perf_counter()
        slices = asyncio.run(fill(db, n, corpus, slice_, budget=budget, concurrency=a.concurrency))
        wall = time.perf_counter() - t0
        if slices[-1][0] < n:
            print(
                f"time budget of {budget:.0f}s spent after {slices[-1][0]:,} articles", flush=True
            )
        n = slices[-1][0]
        spent = sum(s[1] for s in slices)
        last_count = slices[-1][0] - (slices[-2][0] if len(slices) > 1 else 0)
        last_rate = last_count / slices[-1][1]
        size = db.stat().st_size
        rss, peak = proc_rss(os.getpid()), proc_peak_rss(os.getpid())
        print(
            f"{n:,} articles in {wall:.0f}s ({spent:.0f}s in save_article): {n / spent:.0f}/s "
            f"overall, {last_rate:.0f}/s in the last slice; file {size / 2**30:.2f} GiB; RSS "
            f"{rss / 2**20:.0f} MB (peak {peak / 2**20:.0f} MB)",
            flush=True,
        )
        results = asyncio.run(search(db, queries(corpus), a.repeat))
        for q, (sec, cands, hits) in results.items():
            print(f"  search {q!r:48} {sec * 1000:8.1f} ms  {cands:5} candidates {hits:5} hits")
    scale = f"{n:,} articles"
    emit("Store insert rate (save_article)", round(n / spent), "articles/s", note=scale)
    emit("Store insert rate at the end", round(last_rate), "articles/s", note=scale)
    open_rss = max(sl[2] for sl in slices)
    emit(
        "Store RSS while open",
        round(open_rss / 2**20, 1),
        "MB",
        note=f"{scale}, file {size / 2**30:.2f} GiB",
    )
    emit("Store RSS after closing", round(rss / 2**20, 1), "MB", note=scale)
    times = sorted(v[0] for v in results.values())
    emit(
        "Search latency (median query)",
        round(1000 * statistics.median(times), 1),
        "ms",
        note=f"{scale}; FTS5 + rules, {len(times)} queries",
    )
    emit("Search latency (slowest query)", round(1000 * times[-1], 1), "ms", note=scale)


def search_only(db: Path, corpus: Corpus, repeat: int) -> None:
    t0 = time.perf_counter()
    asyncio.run(_open_and_close(db))  # a store of an older schema is migrated here
    print(f"opened {db} in {time.perf_counter() - t0:.1f}s", flush=True)
    results = asyncio.run(search(db, queries(corpus), repeat))
    for q, (sec, cands, hits) in results.items():
        print(f"  search {q!r:48} {sec * 1000:8.1f} ms  {cands:5} candidates {hits:5} hits")
    times = sorted(v[0] for v in results.values())
    note = f"{db.name}; FTS5 + rules, {len(times)} queries"
    emit("Search latency (median query)", round(1000 * statistics.median(times), 1), "ms",
         note=note)  # fmt: skip
    emit("Search latency (slowest query)", round(1000 * times[-1], 1), "ms", note=note)


async def _open_and_close(db: Path) -> None:
    async with open_store(locate_store(db)):
        pass


if __name__ == "__main__":
    main()
