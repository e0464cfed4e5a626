"""Words, shared by rule queries and articles: one definition of what a word is.

A word is a run of letters and digits of any script (plus combining marks, so a decomposed
``й`` stays one letter). Everything else separates words, including apostrophes and hyphens
of every kind: ``Belarus-based`` is the two words ``belarus based`` and ``Lukashenko's`` is
``lukashenko s``, so a rule for ``Belarus`` finds both. Words are compared after Unicode case
folding and NFKC normalisation, so ``BELARUS``, ``belarus`` and ``Ｂｅｌａｒｕｓ`` are one word.

Offsets are always into the text as given. Most text folds to the same length and is already
NFKC, and then the whole text is folded once and scanned by one compiled regex (the fast path);
otherwise each word is normalised on its own (the slow path).
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

__all__ = [
    "WORD",
    "Analysis",
    "Token",
    "analyse",
    "count_words",
    "normalize",
    "paragraph_breaks",
    "sentence_breaks",
    "token_offsets",
    "tokenize",
    "words",
]

# Letters and digits of any script (``[^\W_]``) and the common blocks of combining marks.
_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# Modifier-letter apostrophes (Ukrainian ``мʼясо`` uses U+02BC) are letters to Unicode, but
# separate words here exactly as ``'`` and ``’`` do.
_APOSTROPHE_LETTERS = "\u02b9-\u02bd"
WORD = re.compile(rf"(?:[^\W_{_APOSTROPHE_LETTERS}]|[{_MARKS}])+")
"""One word, as the engine sees it."""
_PLAIN_WORD = re.compile(rf"[^\W_{_APOSTROPHE_LETTERS}]+")
_APOSTROPHE = re.compile(f"[{_APOSTROPHE_LETTERS}]")
_APOSTROPHE_CHARS = "\u02b9\u02ba\u02bb\u02bc\u02bd"
"""The same for text without combining marks: one character class, three times faster."""
_MARK = re.compile(f"[{_MARKS}]")
_PUNCTUATION = ",.-’\"“”():'—–?!$%/‘@−;«»<>[]*&…#£=+|„`\\{}~^_"
"""Separators common in news text, most frequent first."""


class Token(NamedTuple):
    """A normalised word and where it stands in the original text."""

    word: str
    start: int
    end: int


def normalize(text: str) -> str:
    """Case-fold and NFKC-normalise ``text`` (the comparison form of a word).

    NFKC on both sides of the folding, as Unicode's NFKC_Casefold: ``𝔍`` is ``J`` only
    after NFKC, and ``j`` only after folding that.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


class Analysis(NamedTuple):
    """The words of a text, and how to find their offsets later."""

    words: list[str]
    folded: str | None
    """The case-folded text when its offsets are the original's (most text), else None."""
    plain: bool
    """The words are the plain-regex words of the text (the fast path was taken)."""


def analyse(text: str) -> Analysis:
    """The normalised words of ``text``, the cheap way when the text allows it.

    Fast path: fold the whole text once, space out its punctuation and cut it with
    ``str.split()`` (all in C). Case folding never shrinks a character, so when the length is
    unchanged each character mapped to one and offsets carry over (``folded``); when it grew
    (``ß`` → ``ss``), word boundaries still do, and offsets come from the original text.
    Text with combining marks (a decomposed ``й``, stress marks) or words that are not NFKC
    (``ﬁ``, full-width letters) takes the slow path: each word normalised on its own.
    """
    folded = text.casefold()
    if any(c in folded for c in _APOSTROPHE_CHARS):
        if len(folded) != len(text):  # ``ŉ`` folds to ``ʼn``: a new word boundary
            return Analysis(_slow_words(text), None, False)
        folded = _APOSTROPHE.sub("'", folded)
    # Every character that is not a letter or a digit separates words (no combining mark,
    # no modifier apostrophe is left): spaced out, the text splits into its words, in C.
    spaced = folded
    for c in _PUNCTUATION:  # the usual ones, without looking
        if c in spaced:
            spaced = spaced.replace(c, " ")
    found = spaced.split()
    joined = "".join(found)
    if not joined.isalnum():  # rarer ones
        odd = [c for c in set(joined) if not c.isalnum()]
        if any(_MARK.match(c) for c in odd):
            return Analysis(_slow_words(text), None, False)
        for c in odd:
            spaced = spaced.replace(c, " ")
        found = spaced.split()
    # Most text is NFKC throughout; if not (``…``, no-break spaces), its words may still be.
    if not unicodedata.is_normalized("NFKC", folded) and not unicodedata.is_normalized(
        "NFKC", " ".join(found)
    ):
        return Analysis(_slow_words(text), None, False)
    return Analysis(found, folded if len(folded) == len(text) else None, True)


def _slow_words(text: str) -> list[str]:
    out: list[str] = []
    for raw in WORD.findall(text):
        out.extend(WORD.findall(normalize(raw)))
    return out


def words(text: str) -> list[str]:
    """The normalised words of ``text``, without offsets (the cheap form)."""
    return analyse(text).words


def token_offsets(text: str, analysis: Analysis) -> list[tuple[int, int]]:
    """``(start, end)`` in ``text`` of each word of ``analysis`` (which must be of ``text``)."""
    folded = analysis.folded
    if folded is not None:
        # Each word is the next occurrence of itself: only separators lie between words, and
        # they hold no letters. A find per word beats a regex match object per word.
        out: list[tuple[int, int]] = []
        find, at = folded.find, 0
        for word in analysis.words:
            at = find(word, at)
            end = at + len(word)
            out.append((at, end))
            at = end
        return out
    if analysis.plain:
        return [m.span() for m in _PLAIN_WORD.finditer(text)]
    out = []
    for m in WORD.finditer(text):
        span = m.span()
        out.extend(span for _ in WORD.findall(normalize(m[0])))
    return out


def count_words(folded: str, start: int, end: int) -> int:
    """The number of words in ``folded[start:end]`` (``folded`` from a fast-path analysis)."""
    return len(_PLAIN_WORD.findall(folded, start, end))


def tokenize(text: str) -> list[Token]:
    """The normalised words of ``text`` with their offsets in ``text``.

    A character that normalises into several words (rare: ``½``) yields them all, each
    spanning the original word.
    """
    analysis = analyse(text)
    offsets = token_offsets(text, analysis)
    return [Token(w, s, e) for w, (s, e) in zip(analysis.words, offsets, strict=True)]


# --- windows ----------------------------------------------------------------------------------

_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# ``[.!?…]+["'»”’)\]]*\s+|\n\s*``, written to start with one character class: the regex
# engine then skips to candidates in C, three times faster.
_SENTENCE_END = re.compile(r"[.!?…\n](?:(?<=\n)\s*|[.!?…]*[\"'»”’)\]]*\s+)")
# Words after which a full stop does not end a sentence (English, Ukrainian, Russian).
_ABBREVIATIONS = frozenset(
    (  # noqa: SIM905 -- a word list reads better as text than as ninety lines
        "mr mrs ms dr st jr sr prof gen gov sen rep rev col lt sgt capt cmdr adm inc ltd co "
        "corp no nos vs etc approx dept est fig jan feb mar apr jun jul aug sep sept oct nov "
        "dec ім ст вул м р рр див тис млн млрд грн обл с смт буд проф ген акад им ул г гг тыс "
        "руб"
    ).split()
)


def paragraph_breaks(text: str) -> list[int]:
    """Offsets where a new paragraph of ``text`` starts (blank lines separate them)."""
    return [m.end() for m in _PARAGRAPH.finditer(text)]


def sentence_breaks(text: str) -> list[int]:
    """Offsets where a new sentence of ``text`` starts.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` followed by space and a capital letter,
    digit or opening quote, unless the word before the stop is a single letter (an initial)
    or a common abbreviation; a line break always ends one.
    """
    out: list[int] = []
    size = len(text)
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        if end >= size:
            break
        start = m.start()
        stop = text[start]
        if stop != "\n":
            nxt = text[end]
            if not (nxt.isupper() or nxt.isdigit() or nxt in "\"'«“„(["):
                continue
            if stop == ".":
                last = text[max(text.rfind(" ", 0, start), text.rfind(".", 0, start)) + 1 : start]
                if len(last) == 1 or (len(last) < 6 and last.casefold() in _ABBREVIATIONS):
                    continue
        out.append(end)
    return out
