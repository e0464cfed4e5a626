"""One article as the rules engine reads it: words per field, computed once per article.

The cheap part (the words of each field, as one ``findall`` over case-folded text) is always
computed; positions, character offsets and sentence/paragraph windows only when a rule that
passed the prefilter needs them.

Positions are global: word ``i`` of field ``f`` is at ``f * SPACING + i``, so a position
tells its field, and phrases, NEAR and windows never cross from one field into another.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Final

from watchwire.models import Article, Span
from watchwire.rules.nodes import FIELDS
from watchwire.rules.tokens import (
    analyse,
    count_words,
    paragraph_breaks,
    sentence_breaks,
    token_offsets,
)

__all__ = ["ALL_FIELDS", "END", "SPACING", "Document", "Inst", "Run", "field_mask", "runs_of"]

SPACING: Final = 1 << 32
"""Distance between the first positions of two fields."""
END: Final = len(FIELDS) * SPACING
"""Past every position: the whole-article window is ``(0, END)``."""
ALL_FIELDS: Final = (1 << len(FIELDS)) - 1
SCAN_LIMIT: Final = 24
"""Words whose positions are looked for one by one before every word is indexed."""
LOCATE_LIMIT: Final = 32
"""Words searched for one by one before it is cheaper to find the offsets of all of them."""

Run = tuple[int, int]
"""Start and end positions (end exclusive) of consecutive words."""
Inst = Run | tuple[int, int, tuple[Run, ...]]
"""One occurrence: a run (a word or phrase), or a span with the runs it is made of (NEAR)."""

_NOWHERE: Final[list[int]] = []
_NONE: Final[list[str]] = []


def _none(prefix: str) -> None:
    return None


def _occurs(folded: str, word: str, prefix: bool, lo: int, hi: int) -> bool:
    """Whether ``folded[lo:hi]`` holds the word (or a word starting with it, ``prefix``)."""
    size, end = len(word), len(folded)
    at = folded.find(word, lo, hi)
    while at >= 0:
        if not (at and folded[at - 1].isalnum()) and (
            prefix or at + size == end or not folded[at + size].isalnum()
        ):
            return True
        at = folded.find(word, at + 1, hi)
    return False


def _first(pair: tuple[int, int]) -> int:
    return pair[0]


_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*\n")


def runs_of(inst: Inst) -> tuple[Run, ...]:
    """The word runs an occurrence is made of."""
    return inst[2] if len(inst) == 3 else ((inst[0], inst[1]),)


def field_mask(fields: Sequence[str]) -> int:
    """The bit mask of field names (title 1, lead 2, body 4)."""
    mask = 0
    for name in fields:
        mask |= 1 << FIELDS.index(name)
    return mask


class Document:
    """The words of an article's title, lead and body, with lazily computed extras."""

    __slots__ = (
        "_analyses",
        "_breaks",
        "_field_vocab",
        "_found",
        "_located",
        "_offsets",
        "_positions",
        "_ranges",
        "_scanned",
        "_word_windows",
        "article",
        "inst_cache",
        "known_prefixes",
        "leaf_cache",
        "matched",
        "named_texts",
        "not_cache",
        "prefix_lookup",
        "prefix_words",
        "present",
        "scan_limit",
        "snippet_cache",
        "span_cache",
        "spans_cache",
        "texts",
        "tokens",
        "vocab",
    )

    def __init__(self, article: Article) -> None:
        self.article = article
        body = article.text or "\n\n".join(article.paragraphs)
        self.texts: tuple[str, ...] = (article.title, article.lead, body)
        self.named_texts = dict(zip(FIELDS, self.texts, strict=True))
        self._analyses = [analyse(t) for t in self.texts]
        self.tokens: list[list[str]] = [a.words for a in self._analyses]
        vocab: set[str] = set()
        for toks in self.tokens:
            vocab.update(toks)
        self.vocab = vocab
        self.present: set[str] = vocab
        """Words, and ``prefix*`` literals that some word starts with (set by the prefilter)."""
        self.prefix_words: dict[str, list[str]] = {}
        """Prefix → the article's words that start with it (as they are asked for)."""
        self.prefix_lookup: Callable[[str], list[str] | None] = _none
        """The words of a prefix the prefilter found, None if not found (set by the prefilter)."""
        self.known_prefixes: frozenset[str] = frozenset()
        """The prefixes the prefilter looked for: absent from ``prefix_words`` means none."""
        self.leaf_cache: dict[int, list[int]] = {}
        self.inst_cache: dict[int, list[Inst]] = {}
        self.not_cache: dict[object, bool] = {}
        self.spans_cache: dict[tuple[tuple[int, int], ...], tuple[Span, ...]] = {}
        self.span_cache: dict[tuple[int, int], Span] = {}
        self.snippet_cache: dict[int, str] = {}
        self._positions: dict[str, list[int]] | None = None
        self._scanned: dict[str, list[int]] = {}
        self.scan_limit = SCAN_LIMIT
        """Words looked for one by one before indexing them all (0: index at once)."""
        self._offsets: list[list[tuple[int, int]]] | None = None
        self._ranges: dict[tuple[str, int, int], tuple[int, int]] = {}
        self._word_windows: dict[tuple[str, int, str], set[int]] = {}
        self._breaks: dict[tuple[str, int], list[int]] = {}
        self._found: dict[tuple[int, str], list[tuple[int, int]]] = {}
        self._located = 0
        self._field_vocab: list[set[str] | None] = [None] * len(self.texts)
        self.matched = 0
        """How many rules matched (set by the rule set)."""

    # --- positions ----------------------------------------------------------------------------

    @property
    def positions(self) -> dict[str, list[int]]:
        """Word → its global positions, ascending (every word: see :meth:`word_positions`)."""
        if self._positions is None:
            index: defaultdict[str, list[int]] = defaultdict(list)  # 30% faster than get()
            for f, toks in enumerate(self.tokens):
                for i, w in enumerate(toks, f * SPACING):
                    index[w].append(i)
            index.default_factory = None  # a plain dict from now on: no silent insertions
            self._positions = index
        return self._positions

    def _word(self, word: str) -> list[int]:
        """The positions of one word (not to be modified).

        A few words are looked for one by one (``list.index``, in C); after ``scan_limit``
        of them, every word is indexed at once.
        """
        index = self._positions
        if index is not None:
            return index.get(word, _NOWHERE)
        got = self._scanned.get(word)
        if got is None:
            if len(self._scanned) >= self.scan_limit:
                return self.positions.get(word, _NOWHERE)
            got = []
            for f, toks in enumerate(self.tokens):
                base, i = f * SPACING, -1
                try:
                    while True:
                        i = toks.index(word, i + 1)
                        got.append(base + i)
                except ValueError:
                    pass
            self._scanned[word] = got
        return got

    def prefix_matches(self, prefix: str) -> list[str]:
        """The article's words that start with ``prefix``."""
        matching = self.prefix_words.get(prefix)
        if matching is None:
            matching = self.prefix_lookup(prefix)
            if matching is None:
                if prefix in self.known_prefixes:
                    return _NONE
                # Not a prefix the prefilter knows: look for it by hand.
                matching = [w for w in self.vocab if w.startswith(prefix)]
            self.prefix_words[prefix] = matching
        return matching

    def contains(self, word: str, prefix: bool, mask: int) -> bool:
        """Whether the word (or a word with that prefix) occurs in the fields of ``mask``."""
        if mask == ALL_FIELDS:
            if not prefix:
                return word in self.vocab
            if word in self.known_prefixes:
                return word + "*" in self.present
            return bool(self.prefix_matches(word))
        for f in range(len(self.texts)):
            if mask >> f & 1:
                vocab = self.field_vocab(f)
                if not prefix:
                    if word in vocab:
                        return True
                elif not vocab.isdisjoint(self.prefix_matches(word)):
                    return True
        return False

    def field_vocab(self, f: int) -> set[str]:
        """The distinct words of field ``f``."""
        vocab = self._field_vocab[f]
        if vocab is None:
            vocab = self._field_vocab[f] = set(self.tokens[f])
        return vocab

    def word_positions(self, word: str, prefix: bool) -> list[int]:
        """Positions of a word, or of every word starting with ``word`` when ``prefix``.

        Not to be modified.
        """
        if not prefix:
            return self._word(word)
        matching = self.prefix_matches(word)
        if len(matching) == 1:
            return self._word(matching[0])
        out: list[int] = []
        for w in matching:
            out.extend(self._word(w))
        out.sort()
        return out

    def field_end(self, position: int) -> int:
        """The position just past the last word of ``position``'s field."""
        f = position // SPACING
        return f * SPACING + len(self.tokens[f])

    # --- offsets and windows ------------------------------------------------------------------

    def offsets(self, f: int) -> list[tuple[int, int]]:
        """Character offsets of each word of field ``f``."""
        if self._offsets is None:
            self._offsets = [
                token_offsets(text, a) for text, a in zip(self.texts, self._analyses, strict=True)
            ]
        return self._offsets[f]

    def char_span(self, start: int, end: int) -> tuple[str, int, int]:
        """Field name and character offsets of the words at positions ``start..end``."""
        f = start // SPACING
        if self._offsets is None and self._analyses[f].folded is not None:
            first = self._locate(start)
            last = first if end == start + 1 else self._locate(end - 1)
            if first is not None and last is not None:
                return FIELDS[f], first[0], last[1]
        offs = self.offsets(f)
        return FIELDS[f], offs[start - f * SPACING][0], offs[end - 1 - f * SPACING][1]

    def _found_in_text(self, f: int, word: str) -> list[tuple[int, int]] | None:
        """Character offsets of every occurrence of ``word`` in field ``f``, by searching.

        Cheaper than the offsets of every word when a few words are asked about: the whole-word
        occurrences of a word in the folded text are its tokens, in order. None for short words
        (too many false hits to step over), for text without a folded form, and once many
        words have been searched: use :meth:`offsets` then.
        """
        key = (f, word)
        found = self._found.get(key)
        if found is None:
            folded = self._analyses[f].folded
            if folded is None or len(word) < 3 or self._located >= LOCATE_LIMIT:
                return None
            self._located += 1
            found = []
            size, n = len(word), len(folded)
            at = folded.find(word)
            while at >= 0:
                end = at + size
                if not (at and folded[at - 1].isalnum()) and not (
                    end < n and folded[end].isalnum()
                ):
                    found.append((at, end))
                at = folded.find(word, at + 1)
            self._found[key] = found
        return found

    def _locate(self, position: int) -> tuple[int, int] | None:
        """Character offsets of one word, found by searching the folded text for it.

        The k-th occurrence of a word among the tokens is its k-th whole-word occurrence in
        the text. None when :meth:`_found_in_text` declines.
        """
        f = position // SPACING
        word = self.tokens[f][position - f * SPACING]
        found = self._found_in_text(f, word)
        if found is None:
            return None
        ps = self._word(word)
        rank = bisect_left(ps, position) - bisect_left(ps, f * SPACING)
        return found[rank]

    def breaks(self, kind: str, f: int) -> list[int]:
        """Character offsets where sentences or paragraphs of field ``f`` start."""
        key = (kind, f)
        got = self._breaks.get(key)
        if got is None:
            text = self.texts[f]
            got = paragraph_breaks(text) if f == 2 else []
            if kind == "sentence":
                got = sorted({*got, *sentence_breaks(text)})
            self._breaks[key] = got
        return got

    def _char_start(self, position: int) -> int:
        """The character offset where the word at ``position`` starts in its field."""
        f = position // SPACING
        located = self._locate(position) if self._offsets is None else None
        return located[0] if located is not None else self.offsets(f)[position - f * SPACING][0]

    def window_index(self, kind: str, position: int) -> tuple[int, int]:
        """Which sentence or paragraph (field, number) holds ``position``.

        The title and the lead are one paragraph each; body paragraphs are separated by
        blank lines; sentences never span paragraphs.
        """
        f = position // SPACING
        if kind == "paragraph" and f < 2:
            return (f, 0)
        return (f, bisect_right(self.breaks(kind, f), self._char_start(position)))

    def word_windows(self, kind: str, f: int, word: str) -> set[int]:
        """The numbers of the sentences or paragraphs of field ``f`` that hold ``word``."""
        key = (kind, f, word)
        got = self._word_windows.get(key)
        if got is not None:
            return got
        if kind == "paragraph" and f < 2:
            got = {0} if word in self.field_vocab(f) else set()
        else:
            found = self._found_in_text(f, word)
            if found is not None:
                starts = [s for s, _ in found]
            else:
                offs, base = self.offsets(f), f * SPACING
                ps = self._word(word)
                starts = [
                    offs[p - base][0]
                    for p in ps[bisect_left(ps, base) : bisect_left(ps, base + SPACING)]
                ]
            breaks = self.breaks(kind, f)
            got = {bisect_right(breaks, s) for s in starts}
        self._word_windows[key] = got
        return got

    def windows_holding(
        self, kind: str, word: str, prefix: bool, mask: int, windows: set[tuple[int, int]]
    ) -> set[tuple[int, int]] | None:
        """Which of ``windows`` (field, number) hold the word, found in the text of each.

        None when a field has no folded text to search (then ask :meth:`word_windows`).
        """
        out: set[tuple[int, int]] = set()
        for window in windows:
            f, n = window
            if not mask >> f & 1:
                continue
            if kind == "paragraph" and f < 2:
                if self.contains(word, prefix, 1 << f):
                    out.add(window)
                continue
            folded = self._analyses[f].folded
            if folded is None:
                return None
            breaks = self.breaks(kind, f)
            lo = breaks[n - 1] if n else 0
            hi = breaks[n] if n < len(breaks) else len(folded)
            if _occurs(folded, word, prefix, lo, hi):
                out.add(window)
        return out

    def window_range(self, kind: str, position: int) -> tuple[int, int]:
        """The positions ``(lo, hi)`` of the sentence or paragraph holding ``position``.

        Found by counting the words (in C) from the word to the window's edges, or from
        every word's offsets once they are known.
        """
        f = position // SPACING
        base = f * SPACING
        if kind == "paragraph" and f < 2:
            return (base, base + len(self.tokens[f]))
        start = self._char_start(position)
        breaks = self.breaks(kind, f)
        n = bisect_right(breaks, start)
        key = (kind, f, n)
        got = self._ranges.get(key)
        if got is None:
            lo_char = breaks[n - 1] if n else 0
            hi_char = breaks[n] if n < len(breaks) else len(self.texts[f])
            folded = self._analyses[f].folded
            if self._offsets is None and folded is not None:
                i = position - base
                lo = i - count_words(folded, lo_char, start)
                hi = i + count_words(folded, start, hi_char)
            else:
                offs = self.offsets(f)
                lo = bisect_left(offs, lo_char, key=_first)
                hi = bisect_left(offs, hi_char, key=_first)
            got = self._ranges[key] = (base + lo, base + hi)
        return got
