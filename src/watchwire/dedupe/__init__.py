"""Dedupe: canonical URLs, exact content hashes and near-duplicate fingerprints.

Pure and fast; the store calls these inside its transaction to decide whether an incoming
article is a new article, a copy of a stored one (same canonical URL or same content hash) or
a near-copy that joins a stored one's story (SimHash within ``NEAR_DUPLICATE_DISTANCE`` bits,
candidates found through ``band_keys``).
"""

from __future__ import annotations

from .constants import (
    BAND_BITS,
    BANDS,
    MIN_WORDS_FOR_NEAR_DUP,
    NEAR_DUPLICATE_DISTANCE,
    SHINGLE_WORDS,
    TRACKING_PARAMS,
)
from .fingerprint import TextFingerprint, fingerprint
from .hashing import content_hash, normalize_text, words
from .simhash import (
    band_keys,
    from_signed,
    hamming,
    is_near_duplicate,
    simhash,
    simhash_words,
    to_signed,
)
from .urls import canonicalize_url, same_site

__all__ = [
    "BANDS",
    "BAND_BITS",
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
    "normalize_text",
    "same_site",
    "simhash",
    "simhash_words",
    "to_signed",
    "words",
]
