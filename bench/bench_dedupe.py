"""Dedupe benchmark: cost per article, candidate lookup among 1,000,000 stored fingerprints,
and the near-duplicate threshold's precision and recall on dev-set pairs.

    .venv/bin/python bench/bench_dedupe.py            # everything (about 4 minutes)
    .venv/bin/python bench/bench_dedupe.py --quick    # 100,000 stored, fewer repeats

The lookup runs on a real SQLite file (WAL, in a temporary directory) with the store's
``simhash_bands`` schema and its candidate query in the form that uses the index (LOOKUP,
below). Stored fingerprints are uniform
random, which the dev set supports: different articles are a median 31 bits apart.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import math
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dedupe.pairs import load_articles, negative_pairs, positive_pairs  # noqa: E402

from watchwire.dedupe import (  # noqa: E402
    MIN_WORDS_FOR_NEAR_DUP,
    NEAR_DUPLICATE_DISTANCE,
    band_keys,
    canonicalize_url,
    content_hash,
    fingerprint,
    hamming,
    simhash,
    to_signed,
)
from watchwire.dedupe.hashing import normalized_bytes, tokens  # noqa: E402
from watchwire.dedupe.simhash import BAND_LAYOUT, BandLayout, simhash_tokens  # noqa: E402

SCHEMA = """
CREATE TABLE articles (id INTEGER PRIMARY KEY, story_id INTEGER NOT NULL, simhash INTEGER);
CREATE TABLE simhash_bands (
    band       INTEGER NOT NULL,
    key        INTEGER NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    PRIMARY KEY (band, key, article_id)
) WITHOUT ROWID;
"""
# The candidate query. Not ``WHERE (band, key) IN (VALUES ...)``: SQLite (3.40 here) does not
# use the primary key for a row-value IN list and scans the whole table (SLOW_LOOKUP below).
# Joining the VALUES list searches the primary key once per band.
LOOKUP = """SELECT a.id, a.story_id, a.simhash FROM articles a
    WHERE a.id IN (SELECT b.article_id FROM (VALUES {}) AS q
                   JOIN simhash_bands b ON b.band = q.column1 AND b.key = q.column2)"""
SLOW_LOOKUP = """SELECT a.id, a.story_id, a.simhash FROM articles a
    WHERE a.id IN (SELECT article_id FROM simhash_bands WHERE (band, key) IN (VALUES {}))"""

TRACKING = "utm_source=twitter&utm_medium=social&utm_campaign=share&fbclid=IwAR0abc&ref=home"


def per_call_us(fn: Callable[[], object], repeat: int) -> float:
    """Best of 5 runs of ``repeat`` calls, in CPU µs per call (the machine may be shared)."""
    best = math.inf
    for _ in range(5):
        t0 = time.process_time()
        for _ in range(repeat):
            fn()
        best = min(best, time.process_time() - t0)
    return best / repeat * 1e6


# --- cost per article --------------------------------------------------------------------------


def five_kb_texts(articles: dict[str, str]) -> list[str]:
    """Dev-set bodies cut to about 5 KB at a paragraph boundary (those long enough)."""
    out = []
    for text in articles.values():
        if len(text) < 5000:
            continue
        cut = text.find("\n", 5000)
        out.append(text if cut < 0 else text[:cut])
    return out


def bench_costs(articles: dict[str, str], urls: list[str], repeat: int) -> dict[str, float]:
    texts = five_kb_texts(articles)
    dirty = [f"{u}{'&' if '?' in u else '?'}{TRACKING}#comments" for u in urls]
    # The page's rel=canonical: relative for half of them, absolute for the others.
    canonical_pairs = [
        (u, u.partition("://")[2].partition("/")[1] + u.partition("://")[2].partition("/")[2])
        if i % 2
        else (u, u)
        for i, u in enumerate(dirty)
    ]
    it = itertools.cycle(dirty)
    itc = itertools.cycle(canonical_pairs)

    def with_canonical() -> str:
        url, rel = next(itc)
        return canonicalize_url(url, canonical=rel)

    cost = {
        "canonicalize_url (µs per URL)": per_call_us(lambda: canonicalize_url(next(it)), 10_000),
        "canonicalize_url with rel=canonical (µs)": per_call_us(with_canonical, 10_000),
    }

    def mean_over_texts(fn: Callable[[str], object]) -> float:
        return statistics.fmean(per_call_us(lambda t=t: fn(t), repeat) for t in texts)

    data = [tokens(t) for t in texts]
    cost["normalize text (µs per 5 KB)"] = mean_over_texts(normalized_bytes)
    cost["content_hash (µs per 5 KB)"] = mean_over_texts(content_hash)
    cost["simhash (µs per 5 KB)"] = mean_over_texts(simhash)
    cost["simhash of normalised text (µs)"] = statistics.fmean(
        per_call_us(lambda d=d: simhash_tokens(d), repeat) for d in data
    )
    cost["fingerprint: hash + simhash + words (µs per 5 KB)"] = mean_over_texts(fingerprint)
    fp = simhash(texts[0])
    cost["band_keys (µs)"] = per_call_us(lambda: band_keys(fp), 10_000)
    cost["texts"] = len(texts)
    cost["mean text length (chars)"] = statistics.fmean(len(t) for t in texts)
    return cost


# --- lookup among N stored ---------------------------------------------------------------------


def layout_keys(layout: BandLayout, fps: npt.NDArray[np.uint64]) -> list[npt.NDArray[np.int64]]:
    """``band_keys`` for many fingerprints at once (checked against it below)."""
    out = []
    for table in layout.tables:
        key = np.zeros(len(fps), dtype=np.uint64)
        for shift, width in table:
            block = (fps >> np.uint64(shift)) & np.uint64((1 << width) - 1)
            key = (key << np.uint64(width)) | block
        out.append(key.astype(np.int64))
    return out


def build_store(path: Path, layout: BandLayout, fps: npt.NDArray[np.uint64]) -> float:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.executescript(SCHEMA)
    t0 = time.perf_counter()
    ids = np.arange(1, len(fps) + 1, dtype=np.int64)
    signed = fps.view(np.int64)
    batch = 100_000
    with db:
        for i in range(0, len(fps), batch):
            rows = zip(ids[i : i + batch].tolist(), ids[i : i + batch].tolist(),
                       signed[i : i + batch].tolist(), strict=True)  # fmt: skip
            db.executemany("INSERT INTO articles VALUES (?, ?, ?)", rows)
    keys = layout_keys(layout, fps)
    for band, k in enumerate(keys):
        order = np.lexsort((ids, k))  # insert in primary-key order: appends, not page splits
        kk, aa = k[order].tolist(), ids[order].tolist()
        with db:
            for i in range(0, len(kk), batch):
                db.executemany(
                    "INSERT INTO simhash_bands VALUES (?, ?, ?)",
                    (
                        (band, key, a)
                        for key, a in zip(kk[i : i + batch], aa[i : i + batch], strict=True)
                    ),
                )
    with db:
        db.execute("CREATE INDEX simhash_bands_article ON simhash_bands(article_id)")
        db.execute("CREATE INDEX articles_story ON articles(story_id)")
    db.close()
    return time.perf_counter() - t0


def flip_bits(fp: int, n: int, rng: np.random.Generator) -> int:
    for bit in rng.choice(64, size=n, replace=False).tolist():
        fp ^= 1 << bit
    return fp


def find_story(db: sqlite3.Connection, fp: int, keys: tuple[int, ...], distance: int) -> int | None:
    params: list[int] = []
    for band, key in enumerate(keys):
        params += [band, key]
    rows = db.execute(LOOKUP.format(",".join(["(?, ?)"] * len(keys))), params).fetchall()
    best: tuple[int, int] | None = None
    for _id, story, stored in rows:
        d = hamming(stored, fp)
        if d <= distance and (best is None or d < best[0]):
            best = (d, story)
    return None if best is None else best[1]


def bench_lookup(
    n: int, probes: int, distance: int, layout: BandLayout = BAND_LAYOUT, cache_mb: int = 0
) -> dict[str, float]:
    keys_of = layout.keys
    rng = np.random.default_rng(20261130)
    fps = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    sample = fps[:1000]
    vector = layout_keys(layout, sample)
    for i, fp in enumerate(sample.tolist()):
        assert keys_of(fp) == tuple(int(v[i]) for v in vector), "vectorised keys disagree"
    result: dict[str, float] = {"stored fingerprints": n, "band tables": len(layout.tables)}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        result["build (s)"] = build_store(path, layout, fps)
        print(f"  (built in {result['build (s)']:.1f} s)", file=sys.stderr)
        result["file size (MB)"] = path.stat().st_size / 1e6
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        if cache_mb:
            db.execute(f"PRAGMA cache_size = -{cache_mb * 1024}")
        # Near copies of stored fingerprints (distance 0..threshold) and fresh random ones.
        targets = rng.integers(0, n, size=probes).tolist()
        near = [
            (flip_bits(int(fps[t]), int(rng.integers(0, distance + 1)), rng), t + 1)
            for t in targets
        ]
        fresh = rng.integers(0, 2**64, size=probes, dtype=np.uint64).tolist()
        for fp, _ in near[:200]:  # warm the page cache, as a running store would be
            find_story(db, fp, keys_of(fp), distance)
        times, cpu, found, within_guarantee = [], [], 0, [0, 0]
        for fp, story in near:
            t0, c0 = time.perf_counter(), time.process_time()
            got = find_story(db, fp, keys_of(fp), distance)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            found += got == story
            if hamming(fp, int(fps[story - 1])) <= layout.guaranteed_distance:
                within_guarantee[0] += 1
                within_guarantee[1] += got == story
        false_merges, cand = 0, []
        for fp in fresh:
            t0, c0 = time.perf_counter(), time.process_time()
            got = find_story(db, fp, keys_of(fp), distance)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            false_merges += got is not None
        for fp in fresh[:2000]:
            params = [x for band, key in enumerate(keys_of(fp)) for x in (band, key)]
            q = LOOKUP.format(",".join(["(?, ?)"] * len(layout.tables)))
            cand.append(len(db.execute(q, params).fetchall()))
        # Inserting one article's band rows into the loaded store, one transaction each.
        ins = []
        for i, fp in enumerate(rng.integers(0, 2**64, size=500, dtype=np.uint64).tolist()):
            aid = n + 1 + i
            t0 = time.perf_counter()
            with db:
                db.execute("INSERT INTO articles VALUES (?, ?, ?)", (aid, aid, to_signed(fp)))
                db.executemany(
                    "INSERT INTO simhash_bands VALUES (?, ?, ?)",
                    [(b, k, aid) for b, k in enumerate(keys_of(fp))],
                )
            ins.append(time.perf_counter() - t0)
        slow = []
        for fp in fresh[:3]:
            params = [x for band, key in enumerate(keys_of(fp)) for x in (band, key)]
            t0 = time.perf_counter()
            q = SLOW_LOOKUP.format(",".join(["(?, ?)"] * len(layout.tables)))
            db.execute(q, params).fetchall()
            slow.append(time.perf_counter() - t0)
        db.close()
    result["(band, key) IN (VALUES ...) form, full scan (ms)"] = statistics.median(slow) * 1e3
    ms = sorted(t * 1e6 for t in times)
    result |= {
        "lookup median (µs)": statistics.median(ms),
        "lookup p99 (µs)": ms[int(len(ms) * 0.99)],
        "lookup CPU median (µs)": statistics.median(cpu) * 1e6,
        "random candidates per lookup (mean)": statistics.fmean(cand),
        "near copies found (all within threshold)": found / len(near),
        "near copies found (within guaranteed distance)": within_guarantee[1]
        / max(within_guarantee[0], 1),
        "fresh fingerprints falsely matched": false_merges / len(fresh),
        "insert article + band rows, own transaction (µs, median)": statistics.median(ins) * 1e6,
    }
    return result


# --- precision and recall ------------------------------------------------------------------------


def binomial_cdf(n: int, k: int) -> float:
    return sum(math.comb(n, i) for i in range(k + 1)) / 2**n


def expected_false_merges(layout: BandLayout, stored: int, distance: int) -> float:
    """Uniform fingerprints: expected stored ones that share a key and lie within distance."""
    total = 0.0
    for table in layout.tables:
        bits = sum(w for _, w in table)
        total += stored / 2**bits * binomial_cdf(64 - bits, distance)
    return total


def shares_band(layout: BandLayout, a: int, b: int) -> bool:
    return any(x == y for x, y in zip(layout.keys(a), layout.keys(b), strict=True))


def quality(thresholds: range, shingle: int, layout: BandLayout) -> list[dict[str, float]]:
    articles = load_articles()
    cache: dict[str, tuple[int, bytes]] = {}

    def fp(text: str) -> tuple[int, bytes]:
        if text not in cache:
            words = tokens(text)
            cache[text] = (simhash_tokens(words, shingle), b" ".join(words))
        return cache[text]

    pos = [(fp(p.a), fp(p.b), p.kind) for p in positive_pairs(articles, MIN_WORDS_FOR_NEAR_DUP)]
    neg = [(fp(p.a), fp(p.b)) for p in negative_pairs(articles, MIN_WORDS_FOR_NEAR_DUP)]
    rows = []
    for t in thresholds:
        by_kind: dict[str, list[bool]] = defaultdict(list)
        tp = found = 0
        for (a, da), (b, db), kind in pos:
            exact = da == db
            hit = exact or hamming(a, b) <= t
            tp += hit
            got = exact or (hamming(a, b) <= t and shares_band(layout, a, b))
            found += got
            by_kind[kind].append(got)
        fp_ = sum(1 for (a, _), (b, _) in neg if hamming(a, b) <= t)
        row = {
            "threshold": t,
            "precision": tp / (tp + fp_) if tp + fp_ else 1.0,
            "recall": tp / len(pos),
            "recall via index": found / len(pos),
            "false pairs": fp_,
            "false merges per article at 1M": expected_false_merges(layout, 1_000_000, t),
        }
        row |= {f"  {k}": sum(v) / len(v) for k, v in by_kind.items()}
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-costs", action="store_true")
    parser.add_argument(
        "--cache-mb", type=int, default=0, help="PRAGMA cache_size in MB (default: SQLite's 2)"
    )
    parser.add_argument(
        "--layout",
        help="band layout to try instead of the default, e.g. 10,9,9,9,9,9,9/2 (widths/per key)",
    )
    args = parser.parse_args()
    stored = 100_000 if args.quick else args.stored
    articles = load_articles()
    with gzip.open(ROOT / "tests/data/dedupe/articles.json.gz", "rt", encoding="utf-8") as f:
        urls = [v["url"] for v in json.load(f).values()]

    layout = BAND_LAYOUT
    if args.layout:
        widths, per_key = args.layout.split("/")
        layout = BandLayout(tuple(int(w) for w in widths.split(",")), int(per_key))
    if not args.skip_costs:
        costs = bench_costs(articles, urls, 50 if args.quick else 300)
        print("## cost per call (CPU time, best of 5)")
        for k, v in costs.items():
            print(f"  {k:55s} {v:10.2f}")
    look = bench_lookup(
        stored, 1000 if args.quick else 5000, NEAR_DUPLICATE_DISTANCE, layout, args.cache_mb
    )
    print(f"## lookup among {stored:,} stored (threshold {NEAR_DUPLICATE_DISTANCE})")
    for k, v in look.items():
        print(f"  {k:55s} {v:10.4g}")
    if args.skip_costs:
        return
    total = (
        costs["canonicalize_url with rel=canonical (µs)"]
        + costs["fingerprint: hash + simhash + words (µs per 5 KB)"]
        + costs["band_keys (µs)"]
        + look["lookup CPU median (µs)"]
    )
    print(f"## all of dedupe per 5 KB article, {stored:,} stored: {total:.0f} µs (CPU)")
    print(
        f"   with the band-row insert: "
        f"{total + look['insert article + band rows, own transaction (µs, median)']:.0f} µs"
    )
    if args.skip_quality:
        return
    print("## precision / recall on dev-set pairs (exact hash or SimHash within threshold)")
    for row in quality(range(17), 2, layout):
        print("  " + "  ".join(f"{k}={v:.4g}" for k, v in row.items() if not k.startswith(" ")))
        if row["threshold"] == NEAR_DUPLICATE_DISTANCE:
            for k, v in row.items():
                if k.startswith(" "):
                    print(f"      {k.strip():45s} {v:.3f}")


if __name__ == "__main__":
    main()
