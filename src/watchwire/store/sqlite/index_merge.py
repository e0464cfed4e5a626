"""The search index after pruning: FTS5 merges that drop pruned articles' words, safely.

FTS5 deletes by writing tombstones; a deleted article's words leave the index only when a merge
rewrites the segment that holds them, and FTS5's own merges rarely reach its big old segments
(bench/README.md, *Retention soak*: ~47 MiB a day of dead words at 20,000 articles a day). So
after pruning the store merges the whole index, a step at a time, by the protocol FTS5 documents
for incremental merges: a negative ``'merge'`` *starts* a full merge (all segments gathered into
one new level), positive ones *continue* it. Starting again while one is under way (what the
store once did after every pruning run) gathers the segments into yet another new level each
time: the level count climbs by two a run, and once it passes FTS5's limit of 2,000 the index
record is unreadable and every write fails with "database disk image is malformed" (it did so
in a soak at day 49). A full merge is started only when the newer segments (new articles and
tombstones) reach a quarter of the largest and 8 MiB: about two levels a day at most. The few
levels that still accumulate (SQLite 3.40 never gives one back) are reset by rebuilding the
index from the articles in the rare case they pass ``LEVEL_LIMIT``.

The level count and merge state are read from FTS5's structure record (``articles_fts_data``
row 10, its on-disk format as ``fts5_index.c`` describes it); a layout this module does not
recognise leaves the index to FTS5's own merges.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

__all__ = ["IndexShape", "index_shape", "merge_index"]

log = logging.getLogger(__name__)

LEVEL_LIMIT = 1000
"""Levels at which the index is rebuilt rather than merged again (FTS5 fails past 2,000)."""
START_RATIO = 0.25
"""A full merge starts when the segments newer than the largest hold this share of its pages…"""
MIN_START_PAGES = 2048
"""…and at least this many (8 MiB): a small index would otherwise be merged whole at every
pruning run, two levels each time; dead words in it stay below this instead."""

_STRUCTURE_ROWID = 10
_V2_MARK = b"\xff\x00\x00\x01"  # SQLite >= 3.44: five more numbers per segment


@dataclass(frozen=True, slots=True)
class IndexShape:
    levels: int
    segments: int
    merging: bool
    """A merge is under way (some level's segments are being merged into the next)."""
    largest: int
    """Leaf pages of the largest segment."""
    rest: int
    """Leaf pages of all the others."""


def merge_index(pages: int, db: sqlite3.Connection) -> str:
    """One step of at most ``pages`` leaf pages; returns what it did (for logs and tests)."""
    shape = index_shape(db)
    if shape is None:
        return "unknown"
    if shape.merging:
        _merge(db, pages)
        return "continued"
    if shape.segments < 2 or shape.rest < max(START_RATIO * shape.largest, MIN_START_PAGES):
        return "idle"
    if shape.levels >= LEVEL_LIMIT:
        # One statement as long as indexing every stored article again: needed once in years.
        log.warning("search index: %d levels, rebuilding it from the articles", shape.levels)
        db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
        return "rebuilt"
    _merge(db, -pages)
    return "started"


def _merge(db: sqlite3.Connection, pages: int) -> None:
    db.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('merge', ?)", (pages,))


def index_shape(db: sqlite3.Connection) -> IndexShape | None:
    """The index's levels and segments, from FTS5's structure record; None if unreadable."""
    row = db.execute(
        "SELECT block FROM articles_fts_data WHERE id = ?", (_STRUCTURE_ROWID,)
    ).fetchone()
    if row is None or not isinstance(row[0], bytes):
        return None
    try:
        return _decode(row[0])
    except IndexError:
        return None


def _decode(blob: bytes) -> IndexShape | None:
    at = 4  # the configuration cookie
    extra = 0
    if blob[at : at + 4] == _V2_MARK:
        at += 4
        extra = 5
    levels, at = _varint(blob, at)
    segments, at = _varint(blob, at)
    _, at = _varint(blob, at)  # the write counter
    merging = False
    sizes: list[int] = []
    for _ in range(levels):
        in_merge, at = _varint(blob, at)
        count, at = _varint(blob, at)
        merging = merging or in_merge > 0
        for _ in range(count):
            _, at = _varint(blob, at)  # segment id
            first, at = _varint(blob, at)
            last, at = _varint(blob, at)
            for _ in range(extra):
                _, at = _varint(blob, at)
            sizes.append(last - first + 1)
    if len(sizes) != segments or at != len(blob):
        return None
    largest = max(sizes, default=0)
    return IndexShape(
        levels=levels, segments=segments, merging=merging,
        largest=largest, rest=sum(sizes) - largest,
    )  # fmt: skip


def _varint(blob: bytes, at: int) -> tuple[int, int]:
    """SQLite's varint: seven bits a byte, high bit set to go on; the ninth byte gives eight."""
    value = 0
    for k in range(9):
        byte = blob[at]
        at += 1
        if k == 8:
            return (value << 8) | byte, at
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, at
    return value, at
