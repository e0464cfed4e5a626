"""The search index under retention: pruned words leave it, and its merges never wreck it.

A soak once ended in "database disk image is malformed": a negative FTS5 ``'merge'`` after every
pruning run started a new full merge each time, each one two more levels in FTS5's structure,
until past 2,000 levels the index could no longer be read. These run that path for real.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest

from tests.store.helpers import T0, new_article
from watchwire.config import StorageConfig
from watchwire.retention import Pruner
from watchwire.store.sqlite import SqliteStore, index_merge
from watchwire.store.sqlite.index_merge import index_shape

_WORDS = [f"w{i:04d}" for i in range(2000)]


def _text(rng: random.Random, n: int) -> str:
    return f"article {n} " + " ".join(rng.choices(_WORDS, k=300))


def _assert_whole(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path)
    con.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return con


def _index_bytes(con: sqlite3.Connection) -> int:
    return int(con.execute("SELECT SUM(LENGTH(block)) FROM articles_fts_data").fetchone()[0])


async def test_merging_after_every_pruning_run_keeps_the_index_readable(tmp_path: Path) -> None:
    """300 runs of save a few, prune a few, compact a little: the old way added two levels a
    run (600 here; past 2,000 every write failed). Levels stay few and the index whole."""
    path, rng = tmp_path / "w.db", random.Random(7)
    storage = StorageConfig(url=str(path), retention=timedelta(hours=1), alert_retention=None)
    n = 0
    async with SqliteStore.open(path) as store:
        for step in range(300):
            now = T0 + step * timedelta(minutes=10)
            for _ in range(2):
                await store.save_article(new_article(f"https://a/{n}", _text(rng, n)), [], now=now)
                n += 1
            report = await Pruner(store, clock=lambda now=now: now, pause=0.0, duty=0.0).run(
                storage
            )
            assert report.articles in (0, 2)
    con = _assert_whole(path)
    shape = index_shape(con)
    assert shape is not None and shape.levels < 40, shape
    assert con.execute("SELECT COUNT(*) FROM articles").fetchone()[0] <= 14
    # Every stored article is found by its own word, and no pruned one is.
    found = con.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'article'")
    assert sorted(r[0] for r in found) == [
        r[0] for r in con.execute("SELECT id FROM articles ORDER BY id")
    ]
    con.close()


async def test_a_full_merge_in_small_steps_drops_pruned_words_and_uses_two_levels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started once (negative 'merge'), continued (positive) until done: two new levels in
    all, however many steps; without it FTS5 keeps the pruned articles' words."""
    monkeypatch.setattr(index_merge, "MIN_START_PAGES", 0)  # a small index merges too
    path, rng = tmp_path / "w.db", random.Random(8)
    async with SqliteStore.open(path) as store:
        for n in range(400):
            item = new_article(f"https://a/{n}", _text(rng, n))
            await store.save_article(item, [], now=T0 + timedelta(seconds=n))
        con = sqlite3.connect(path)
        full, before = _index_bytes(con), index_shape(con)
        con.close()
        assert before is not None
        assert await store.prune_articles(before=T0 + timedelta(seconds=350), limit=1000) == 350
        did = [await store._batched(partial(index_merge.merge_index, 1)) for _ in range(300)]
    assert did[0] == "started" and did.count("started") == 1, did
    assert did.count("continued") > 5 and did[-1] == "idle"
    con = _assert_whole(path)
    after = index_shape(con)
    assert after is not None and after.levels == before.levels + 2 and after.segments == 1
    assert _index_bytes(con) < full / 4  # 50 of 400 articles' words, not 400 and tombstones
    con.close()


async def test_an_index_with_too_many_levels_is_rebuilt_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, rng = tmp_path / "w.db", random.Random(9)
    monkeypatch.setattr(index_merge, "LEVEL_LIMIT", 3)  # reached after one full merge
    monkeypatch.setattr(index_merge, "MIN_START_PAGES", 0)
    did: list[str] = []
    levels: list[int] = []
    async with SqliteStore.open(path) as store:
        for n in range(200):
            item = new_article(f"https://a/{n}", _text(rng, n))
            await store.save_article(item, [], now=T0 + timedelta(seconds=n))
        for cut in (100, 150):
            await store.prune_articles(before=T0 + timedelta(seconds=cut), limit=1000)
            for _ in range(20):
                did.append(await store._batched(partial(index_merge.merge_index, 64)))
                shape = await store._read(index_shape)
                assert shape is not None
                levels.append(shape.levels)
    assert "started" in did and "rebuilt" in did
    assert max(levels) <= 3 + 2, levels  # a full merge started below the limit, then rebuilt
    con = _assert_whole(path)
    assert con.execute("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'article'")\
        .fetchone()[0] == 50  # fmt: skip
    con.close()
