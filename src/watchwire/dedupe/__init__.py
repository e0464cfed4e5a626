"""Dedupe: canonical URLs, exact content hashes and near-duplicate fingerprints.

Pure and fast; the store calls these inside its transaction to decide whether an incoming
article is a new article, a copy of a stored one (same canonical URL or same content hash) or
a near-copy that joins a stored one's story (SimHash within ``NEAR_DUPLICATE_DISTANCE`` bits,
candidates found through ``band_keys``). ``fingerprint`` gives the hash, the SimHash and the
word count from one pass of normalisation.
"""

from __future__ import annotations

from .constants import (
    BANDS,
    MIN_WORDS_FOR_NEAR_DUP,
    NEAR_DUPLICATE_DISTANCE,
    SHINGLE_WORDS,
    TRACKING_PARAMS,
)
from .fingerprint import TextFingerprint, fingerprint
from .hashing import content_hash, key64, normalize_text
from .simhash import (
    band_keys,
    from_signed,
    hamming,
    is_near_duplicate,
    memory_keys,
    simhash,
    to_signed,
)
from .urls import canonicalize_url, same_site

__all__ = [
    "BANDS",
    "MIN_WORDS_FOR_NEAR_DUP",
    "NEAR_DUPLICATE_DISTANCE",
    "SHINGLE_WORDS",
    "TRACKING_PARAMS",
    "TextFingerprint",
    "band_keys",
    "canonicalize_url",
    "content_hash",
    "fingerprint",
    "from_signed",
    "hamming",
    "is_near_duplicate",
    "key64",
    "memory_keys",
    "normalize_text",
    "same_site",
    "simhash",
    "to_signed",
]
