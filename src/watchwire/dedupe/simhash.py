"""Near duplicates: 64-bit SimHash over word shingles, and the band keys that index it.

A fingerprint is built from the normalised words (``hashing.tokens``): each word
gets a stable 64-bit hash (xxh3), each run of ``SHINGLE_WORDS`` words combines its words'
hashes in numpy, and bit *i* of the fingerprint is set when more than half of the shingle
hashes have bit *i* set. Similar texts share most shingles, so their fingerprints differ in
few bits; unrelated texts differ in about 32.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import xxhash

from .constants import (
    BLOCK_WIDTHS,
    BLOCKS_PER_KEY,
    FINGERPRINT_BITS,
    NEAR_DUPLICATE_DISTANCE,
    SHINGLE_WORDS,
)
from .hashing import tokens

__all__ = [
    "BAND_LAYOUT",
    "BandLayout",
    "band_keys",
    "from_signed",
    "hamming",
    "is_near_duplicate",
    "simhash",
    "simhash_tokens",
    "to_signed",
]

_MASK64 = (1 << FINGERPRINT_BITS) - 1
# Odd 64-bit constants (splitmix64, xxh64) for mixing word hashes into shingle hashes.
_MIX = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xBF58476D1CE4E5B9),
    np.uint64(0x94D049BB133111EB),
    np.uint64(0xC2B2AE3D27D4EB4F),
    np.uint64(0x165667B19E3779F9),
    np.uint64(0x27D4EB2F165667C5),
)
_BIT_WEIGHTS = np.uint64(1) << np.arange(FINGERPRINT_BITS, dtype=np.uint64)
_hash64 = xxhash.xxh3_64_intdigest


def _finalize(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    # splitmix64's finaliser: every input bit reaches every output bit.
    h = h ^ (h >> np.uint64(30))
    h = h * _MIX[1]
    h = h ^ (h >> np.uint64(27))
    h = h * _MIX[2]
    return h ^ (h >> np.uint64(31))


def _shingle_hashes(word_hashes: npt.NDArray[np.uint64], size: int) -> npt.NDArray[np.uint64]:
    n = len(word_hashes) - size + 1
    h = word_hashes[:n] * _MIX[0]
    for i in range(1, size):
        # Position-dependent multipliers keep "a b" and "b a" apart.
        h = (h ^ word_hashes[i : i + n]) * _MIX[(i + 2) % len(_MIX)]
    return _finalize(h)


def simhash_tokens(words: Sequence[bytes], shingle: int = SHINGLE_WORDS) -> int:
    """SimHash of already-normalised words (``hashing.tokens``)."""
    if not words:
        return 0
    word_hashes = np.fromiter(map(_hash64, words), dtype=np.uint64, count=len(words))
    hashes = _shingle_hashes(word_hashes, min(shingle, len(words)))
    bits = np.unpackbits(hashes.view(np.uint8), bitorder="little").reshape(-1, FINGERPRINT_BITS)
    counts = bits.sum(axis=0, dtype=np.int64)
    return int(_BIT_WEIGHTS[counts * 2 > len(hashes)].sum(dtype=np.uint64))


def simhash(text: str) -> int:
    """64-bit SimHash of ``text``'s normalised word shingles, unsigned (0 <= x < 2**64)."""
    return simhash_tokens(tokens(text))


def to_signed(x: int) -> int:
    """An unsigned 64-bit fingerprint as the signed value SQLite INTEGER can hold."""
    return x - (1 << 64) if x >= 1 << 63 else x


def from_signed(x: int) -> int:
    """The inverse of ``to_signed``."""
    return x & _MASK64


def hamming(a: int, b: int) -> int:
    """Number of differing bits (either signedness; compared as 64-bit)."""
    return ((a ^ b) & _MASK64).bit_count()


def is_near_duplicate(a: int, b: int, distance: int = NEAR_DUPLICATE_DISTANCE) -> bool:
    """Whether fingerprints ``a`` and ``b`` are at most ``distance`` bits apart."""
    return hamming(a, b) <= distance


@dataclass(frozen=True, slots=True)
class BandLayout:
    """Manku-style permuted tables: the fingerprint cut into blocks, one table per choice of
    ``blocks_per_key`` blocks, keyed by those blocks concatenated.

    Two fingerprints at most ``guaranteed_distance`` (blocks - blocks_per_key) bits apart
    differ in at most that many blocks, so the remaining blocks are equal and form one
    table's key: the lookup cannot miss them. Pairs further apart are found when their
    differing bits happen to leave some table's blocks clean.
    """

    block_widths: tuple[int, ...]
    blocks_per_key: int
    tables: tuple[tuple[tuple[int, int], ...], ...] = field(init=False)
    """Per table, its blocks as (shift, width)."""

    def __post_init__(self) -> None:
        if sum(self.block_widths) != FINGERPRINT_BITS:
            raise ValueError(f"block widths must add up to {FINGERPRINT_BITS}")
        shifts = itertools.accumulate((0, *self.block_widths[:-1]))
        blocks = tuple(zip(shifts, self.block_widths, strict=True))
        object.__setattr__(
            self, "tables", tuple(itertools.combinations(blocks, self.blocks_per_key))
        )

    @property
    def guaranteed_distance(self) -> int:
        return len(self.block_widths) - self.blocks_per_key

    def keys(self, fp: int) -> tuple[int, ...]:
        fp &= _MASK64
        out = []
        for table in self.tables:
            key = 0
            for shift, width in table:
                key = (key << width) | ((fp >> shift) & ((1 << width) - 1))
            out.append(key)
        return tuple(out)


BAND_LAYOUT = BandLayout(BLOCK_WIDTHS, BLOCKS_PER_KEY)


def _disjoint_tables(layout: BandLayout) -> tuple[int, ...]:
    """Indexes of band tables whose blocks do not overlap, covering every block once."""
    chosen: list[int] = []
    used: set[tuple[int, int]] = set()
    for i, table in enumerate(layout.tables):
        if not used & set(table):
            chosen.append(i)
            used |= set(table)
    return tuple(chosen)


MEMORY_BANDS: tuple[int, ...] = _disjoint_tables(BAND_LAYOUT)
"""The band tables kept for a pruned article: disjoint ones (3 of the 15), so that two
fingerprints at most ``len(MEMORY_BANDS) - 1`` (2) bits apart always share a key among them
(further apart, by chance), at a fifth of the bytes."""


def memory_keys(fp: int) -> tuple[int, ...]:
    """A pruned article's band keys, each tagged with its table so one index holds them all."""
    keys = BAND_LAYOUT.keys(fp)
    return tuple((band << 32) | keys[band] for band in MEMORY_BANDS)


def band_keys(fp: int) -> tuple[int, ...]:
    """The ``BANDS`` lookup keys of fingerprint ``fp`` (see ``BandLayout``).

    Store one ``(band=i, key=keys[i])`` row per key; look candidates up by all of a
    fingerprint's ``(i, keys[i])`` pairs. Keys are non-negative and below 2**32.
    """
    return BAND_LAYOUT.keys(fp)
