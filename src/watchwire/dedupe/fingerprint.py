"""Everything dedupe knows about a text, from one pass of normalisation."""

from __future__ import annotations

from dataclasses import dataclass

import xxhash

from .constants import MIN_WORDS_FOR_NEAR_DUP
from .hashing import tokens
from .simhash import band_keys, simhash_tokens

__all__ = ["TextFingerprint", "fingerprint"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TextFingerprint:
    """Content hash, SimHash and word count of one body text."""

    content_hash: str
    """Equals ``content_hash(text)``."""
    simhash: int
    """Equals ``simhash(text)``; unsigned."""
    word_count: int

    @property
    def near_dup_eligible(self) -> bool:
        """Long enough (``MIN_WORDS_FOR_NEAR_DUP``) for near-duplicate matching."""
        return self.word_count >= MIN_WORDS_FOR_NEAR_DUP

    @property
    def band_keys(self) -> tuple[int, ...]:
        return band_keys(self.simhash)


def fingerprint(text: str) -> TextFingerprint:
    """``content_hash``, ``simhash`` and the word count of ``text``, normalising it once."""
    words = tokens(text)
    return TextFingerprint(
        content_hash=xxhash.xxh3_128_hexdigest(b" ".join(words)),
        simhash=simhash_tokens(words),
        word_count=len(words),
    )
