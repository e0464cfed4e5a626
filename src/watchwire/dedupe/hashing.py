"""Exact duplicates: a content hash of normalised body text.

Normalisation keeps only the words: casefold, NFKC, and every run of non-word characters
(punctuation, quotes, dashes, whitespace, line breaks) becomes one space. Re-wrapped
paragraphs, curly versus straight quotes or a changed dash give the same hash; a changed word
does not.
"""

from __future__ import annotations

import re
import unicodedata

import xxhash

__all__ = ["content_hash", "normalize_text", "words"]

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The normalised words of ``text`` (casefolded, NFKC, ``\\w+`` runs)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text.casefold()))


def normalize_text(text: str) -> str:
    """``text`` as its normalised words joined by single spaces."""
    return " ".join(words(text))


def content_hash(text: str) -> str:
    """Hex xxh3-128 of ``normalize_text(text)``: equal for trivially reformatted copies."""
    return xxhash.xxh3_128_hexdigest(normalize_text(text).encode("utf-8"))
