"""Near duplicates: 64-bit SimHash over word shingles, and the band keys that index it.

A fingerprint is built from the normalised words (``hashing.words``): each word gets a stable
64-bit hash (xxh3), each run of ``SHINGLE_WORDS`` words combines its words' hashes in numpy,
and bit *i* of the fingerprint is set when more than half of the shingle hashes have bit *i*
set. Similar texts share most shingles, so their fingerprints differ in few bits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import xxhash

from .constants import BAND_BITS, NEAR_DUPLICATE_DISTANCE, SHINGLE_WORDS
from .hashing import words

__all__ = [
    "band_keys",
    "from_signed",
    "hamming",
    "is_near_duplicate",
    "simhash",
    "simhash_words",
    "to_signed",
]

_MASK64 = (1 << 64) - 1
_BAND_MASK = (1 << BAND_BITS) - 1
_BAND_SHIFTS = tuple(range(0, 64, BAND_BITS))
# Odd 64-bit constants (from splitmix64 / xxh64) for mixing word hashes into shingle hashes.
_MIX = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xBF58476D1CE4E5B9),
    np.uint64(0x94D049BB133111EB),
    np.uint64(0xC2B2AE3D27D4EB4F),
    np.uint64(0x165667B19E3779F9),
    np.uint64(0x27D4EB2F165667C5),
    np.uint64(0x85EBCA77C2B2AE63),
    np.uint64(0xFF51AFD7ED558CCD),
)
_BIT_WEIGHTS = np.uint64(1) << np.arange(64, dtype=np.uint64)
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
        # Position-dependent multipliers keep "a b c" and "c b a" apart.
        h = (h ^ word_hashes[i : i + n]) * _MIX[i % len(_MIX)]
    return _finalize(h)


def simhash_words(tokens: Sequence[str], shingle: int = SHINGLE_WORDS) -> int:
    """SimHash of already-normalised words (see ``hashing.words``)."""
    if not tokens:
        return 0
    word_hashes = np.fromiter(
        (_hash64(t.encode()) for t in tokens), dtype=np.uint64, count=len(tokens)
    )
    size = min(shingle, len(word_hashes))
    hashes = _shingle_hashes(word_hashes, size)
    bits = np.unpackbits(hashes.view(np.uint8), bitorder="little").reshape(-1, 64)
    counts = bits.sum(axis=0, dtype=np.int64)
    set_bits = counts * 2 > len(hashes)
    return int(_BIT_WEIGHTS[set_bits].sum(dtype=np.uint64))


def simhash(text: str) -> int:
    """64-bit SimHash of ``text``'s normalised word shingles, unsigned (0 <= x < 2**64)."""
    return simhash_words(words(text))


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


def band_keys(fp: int) -> tuple[int, ...]:
    """The ``BANDS`` keys of fingerprint ``fp``: key *i* is its *i*-th ``BAND_BITS``-bit block.

    Store one ``(band=i, key)`` row per key and look candidates up by all of a fingerprint's
    ``(i, key)`` pairs: any pair fewer than ``BANDS`` bits apart shares a key in some band.
    """
    fp &= _MASK64
    return tuple((fp >> s) & _BAND_MASK for s in _BAND_SHIFTS)
