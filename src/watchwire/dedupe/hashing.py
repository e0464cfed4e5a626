"""Exact duplicates: a content hash of normalised body text.

Normalisation keeps only the words: casefold, NFKC, and every run of non-word characters
(punctuation, quotes, dashes, whitespace, line breaks) becomes one space, exactly as if the
text were split on ``\\w+``. Re-wrapped paragraphs, curly versus straight quotes or a changed
dash give the same hash; a changed word does not.
"""

from __future__ import annotations

import re
import unicodedata

import xxhash

__all__ = ["content_hash", "key64", "normalize_text", "normalized_bytes", "tokens"]

# Tokenising is most of dedupe's cost, so not ``re.findall(r"\w+")`` (110 µs per 5 KB).
# Non-ASCII non-word characters (quotes, dashes, « ») become spaces first: one by one with
# str.replace when the text is mostly ASCII (they are few; 20 µs), by regex otherwise
# (Cyrillic text; 70 µs). ASCII non-word bytes then become spaces through a byte table on the
# UTF-8 text, and bytes.split does the rest. ``\w`` is ``str.isalnum()`` plus ``_``.
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NON_ASCII_NON_WORD = re.compile(r"[^\w\x00-\x7f]+")
_ASCII_NON_WORD = bytes(c for c in range(128) if not (chr(c).isalnum() or c == ord("_")))
_ASCII_TO_SPACE = bytes.maketrans(_ASCII_NON_WORD, b" " * len(_ASCII_NON_WORD))


def tokens(text: str) -> list[bytes]:
    r"""The normalised words of ``text`` in UTF-8: casefolded, NFKC, ``\w+`` runs."""
    s = unicodedata.normalize("NFKC", text.casefold())
    # surrogatepass: a lone surrogate from a broken page must not stop the pipeline.
    data = s.encode("utf-8", "surrogatepass")
    if len(data) != len(s):
        if len(data) - len(s) < len(s) >> 4:
            for ch in set(_NON_ASCII.findall(s)):
                if not ch.isalnum():
                    s = s.replace(ch, " ")
        else:
            s = _NON_ASCII_NON_WORD.sub(" ", s)
        data = s.encode("utf-8", "surrogatepass")
    return data.translate(_ASCII_TO_SPACE).split()


def normalized_bytes(text: str) -> bytes:
    """UTF-8 of ``normalize_text(text)``: what ``content_hash`` digests."""
    return b" ".join(tokens(text))


def normalize_text(text: str) -> str:
    """``text`` as its words (casefolded, NFKC, ``\\w+`` runs) joined by single spaces."""
    return normalized_bytes(text).decode("utf-8", "surrogatepass")


def content_hash(text: str) -> str:
    """Hex xxh3-128 of ``normalize_text(text)``: equal for trivially reformatted copies."""
    return xxhash.xxh3_128_hexdigest(normalized_bytes(text))


def key64(text: str) -> int:
    """A signed 64-bit key of ``text`` (xxh3-64): how a pruned article's URL and content hash
    are remembered in 8 bytes each. Among 10 million keys, two collide with odds ~3 in 10^6."""
    value = xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogatepass"))
    return value - (1 << 64) if value >= 1 << 63 else value
