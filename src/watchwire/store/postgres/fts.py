"""PostgreSQL full-text search: an article's words as a ``tsvector``, a query as a ``tsquery``.

``search_vector`` gives the value of ``articles.search``; ``to_tsquery`` turns a
``SearchQuery`` (a parsed rule query, its fields and term sets) into a ``tsquery`` that selects
every article the rules engine would match: a superset, never a substitute — the engine decides.

**Words are the engine's.** The vector holds exactly the words ``rules.tokens.words`` cuts
(case-folded, NFKC, split at apostrophes and hyphens), with their positions, written as a
``tsvector`` literal; query words are cast (``::tsquery``), not parsed. This is the ``simple``
configuration over text the engine has already cut, without PostgreSQL's parser, whose words
would differ from the engine's and depend on the cluster's locale: under ``C`` every non-ASCII
character is a letter (``Lukashenko’s`` is one word, Cyrillic is not lower-cased), and a
hyphenated word adds its whole form at an extra position, which breaks phrase adjacency.

**Fields are weights**: title ``A``, lead ``B``, body ``C`` of one vector, positions numbered
on through the article with a gap between fields, so a phrase never runs from one field into
the next, and a rule's ``fields`` or a ``title:`` qualifier is a weight restriction (``'x':A``).

**PostgreSQL's limits**, each kept on the superset side:

- a lexeme is at most 2046 bytes: a longer word is cut there, and a query word that is cut
  matches as a prefix;
- positions stop at 16,383 and a lexeme keeps at most 256 of them: a word past either is
  *approximate*: it keeps a position of each field it occurs in (weights stay exact) and gains
  a marker lexeme ``~word``, and a phrase is ``('a' <-> 'b' | 'a' & 'b' & ('~a' | '~b'))``;
- a vector holds at most 1 MiB: an article past that has none (``search`` is NULL), and the
  store must take it as a candidate for every query.

**Queries**: words, prefixes (``:*``), AND, OR and fields are exact; a phrase is ``<->`` (with
the fallback above); ``NEAR`` is the AND of its sides; ``NOT`` is exact when what it negates is
(words and prefixes), and dropped otherwise; ``within`` windows only narrow, and are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Final

from watchwire.rules import SearchQuery
from watchwire.rules.nodes import FIELDS, And, Fielded, Near, Node, Not, Or, Phrase, TermRef, Word
from watchwire.rules.tokens import words

__all__ = [
    "MAX_LEXEME",
    "MAX_POSITION",
    "MAX_POSITIONS",
    "MAX_QUERY_LEXEMES",
    "MAX_VECTOR",
    "NO_ARTICLE",
    "search_vector",
    "to_tsquery",
]

MAX_LEXEME: Final = 2046
"""Bytes in one lexeme (``word is too long`` past it)."""
MAX_POSITION: Final = 16383
"""The last position a ``tsvector`` keeps; later ones are silently set to it."""
MAX_POSITIONS: Final = 256
"""Positions one lexeme keeps; later ones are silently dropped."""
MAX_VECTOR: Final = (1 << 20) - 1
"""Bytes of lexemes and positions in one ``tsvector`` (``string is too long`` past it)."""
MAX_QUERY_LEXEMES: Final = 10_000
"""Lexemes in one translated query; past it, no filter (a ``tsquery`` holds < 32,768 nodes)."""
NO_ARTICLE: Final = "'~'"
"""A ``tsquery`` no article matches (no vector holds ``~``: markers are ``~`` and a word)."""

_WEIGHTS: Final = "ABC"  # title, lead, body
_ALL_FIELDS: Final = (1 << len(FIELDS)) - 1
_MARK: Final = "~"
_EXACT_BYTES: Final = MAX_LEXEME - 4
"""A word up to this long can never equal a cut word (which keeps more than this)."""


# --- the document side ---------------------------------------------------------------------------


def search_vector(title: str, lead: str, body: str) -> str | None:
    """The ``tsvector`` literal of an article's words; None when it would pass 1 MiB."""
    # Each occurrence is written as it is found ("12C"): the literal is then one join per
    # lexeme, three times faster than formatting afterwards (~0.6 µs a word in all).
    found: defaultdict[str, list[str]] = defaultdict(list)
    start = 1
    for weight, text in zip(_WEIGHTS, (title, lead, body), strict=True):
        cut = words(text)
        for position, word in enumerate(cut, start):
            found[word].append(f"{position}{weight}")
        start += len(cut) + 1  # a gap: no phrase across fields
    for word in [w for w in found if len(w) > MAX_LEXEME // 4]:  # (4 bytes a character at most)
        lexeme = _cut(word)
        if lexeme != word:
            merged = found[lexeme] + found.pop(word)
            found[lexeme] = sorted(merged, key=_position)
    entries = []
    markers = []
    crowded = start > MAX_POSITION  # some position may be past it
    for lexeme, tags in found.items():
        if len(tags) > MAX_POSITIONS or (crowded and _position(tags[-1]) > MAX_POSITION):
            tags[:] = _approximate(tags)
            markers.append(_cut(_MARK + lexeme))
        entries.append(f"{_quote(lexeme)}:{','.join(tags)}")
    entries += map(_quote, markers)
    if _size(found, markers) > MAX_VECTOR:
        return None
    return " ".join(entries)


def _size(found: Mapping[str, list[str]], markers: list[str]) -> int:
    """Bytes of the vector as ``tsvectorin`` counts them against ``MAX_VECTOR``."""
    positions = sum(map(len, found.values()))
    lexemes = len("".join(found).encode())
    bound = lexemes + 3 * len(found) + 2 * positions + len("".join(markers).encode())
    if bound <= MAX_VECTOR:
        return bound
    # Near the limit, exactly: each lexeme padded to an even length, a count, 2 bytes a position.
    exact = sum((len(lexeme.encode()) + 1) // 2 * 2 + 2 for lexeme in found)
    return exact + 2 * positions + len("".join(markers).encode())


def _position(tag: str) -> int:
    return int(tag[:-1])


def _approximate(tags: list[str]) -> list[str]:
    """At most ``MAX_POSITIONS`` of a word's positions, with one in each field it occurs in.

    A field whose occurrences all lie past ``MAX_POSITION`` gets a stand-in position at the
    end, so that a weight-restricted query still finds the word there; such a stand-in can
    only add phrase matches, and phrases of approximate words fall back to AND anyway.
    """
    first: dict[str, int] = {}
    for tag in tags:
        first.setdefault(tag[-1], _position(tag))
    kept: dict[int, str] = {p: w for w, p in first.items() if p <= MAX_POSITION}
    free = MAX_POSITION
    for w, p in first.items():
        if p > MAX_POSITION:
            while free in kept:
                free -= 1
            kept[free] = w
    for tag in tags:
        p = _position(tag)
        if len(kept) >= MAX_POSITIONS or p > MAX_POSITION:
            break
        kept.setdefault(p, tag[-1])
    return [f"{p}{w}" for p, w in sorted(kept.items())]


def _cut(word: str) -> str:
    """The word as a lexeme: at most ``MAX_LEXEME`` bytes, cut between characters."""
    raw = word.encode()
    if len(raw) <= MAX_LEXEME:
        return word
    return raw[:MAX_LEXEME].decode(errors="ignore")


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


# --- the query side ------------------------------------------------------------------------------

_Terms = Mapping[str, tuple[Word | Phrase, ...]]
_Part = tuple[str | bool, bool]
"""A translated node: a ``tsquery`` (or True: every article, False: none), and whether it is
exact (selects what the engine matches, no more), which a ``NOT`` needs."""


def to_tsquery(search: SearchQuery) -> str | None:
    """A ``tsquery`` selecting a superset of the articles the query matches in its fields.

    None when it cannot narrow anything (a query of only ``NOT`` parts that are dropped, or
    one too large for PostgreSQL): every article is a candidate. ``NO_ARTICLE`` when no
    article can match.
    """
    mask = 0
    for name in search.fields:
        mask |= 1 << FIELDS.index(name)
    value, _ = _expr(search.query, search.terms, mask)
    if value is True:
        return None
    if value is False:
        return NO_ARTICLE
    if value.count("'") // 2 > MAX_QUERY_LEXEMES:  # every lexeme is quoted; words hold no '
        return None
    return value


def _expr(node: Node, terms: _Terms, mask: int) -> _Part:
    if isinstance(node, Word):
        if not mask:
            return False, True
        limit = MAX_LEXEME if node.prefix else _EXACT_BYTES
        return _lexeme(node.text, node.prefix, mask), len(node.text.encode()) <= limit
    if isinstance(node, Phrase):
        return (_phrase(node, mask) if mask else False), not mask
    if isinstance(node, TermRef):
        entries = terms.get(node.name, ())
        if not entries:
            return True, False  # unknown or empty: the engine refuses the rule; nothing to go by
        return _or([_expr(e, terms, mask) for e in entries])
    if isinstance(node, And):
        return _and([_expr(c, terms, mask) for c in node.children])
    if isinstance(node, Or):
        return _or([_expr(c, terms, mask) for c in node.children])
    if isinstance(node, Not):
        value, exact = _expr(node.child, terms, mask)
        if not exact:
            return True, False  # negating a superset would select a subset: drop it
        return (not value if isinstance(value, bool) else "!" + value), True
    if isinstance(node, Near):
        value, _ = _and([_expr(node.left, terms, mask), _expr(node.right, terms, mask)])
        return value, value is False
    assert isinstance(node, Fielded)
    return _expr(node.child, terms, mask & (1 << FIELDS.index(node.field)))


def _lexeme(text: str, prefix: bool, mask: int) -> str:
    lexeme = _cut(text)
    star = "*" if prefix or lexeme != text else ""
    weights = (
        "" if mask == _ALL_FIELDS else "".join(w for i, w in enumerate(_WEIGHTS) if mask >> i & 1)
    )
    return _quote(lexeme) + (f":{star}{weights}" if star or weights else "")


def _phrase(node: Phrase, mask: int) -> str:
    lexemes = [_lexeme(w.text, w.prefix, mask) for w in node.words]
    markers = [_lexeme(_MARK + w.text, w.prefix, _ALL_FIELDS) for w in node.words]
    strict = " <-> ".join(lexemes)
    loose = " & ".join(lexemes) + " & (" + " | ".join(markers) + ")"
    return f"({strict} | {loose})"


def _and(parts: list[_Part]) -> _Part:
    exact = all(e for _, e in parts)
    if any(v is False for v, _ in parts):
        return False, True
    texts = [v for v, _ in parts if isinstance(v, str)]
    if not texts:
        return True, exact
    return (texts[0] if len(texts) == 1 else "(" + " & ".join(texts) + ")"), exact


def _or(parts: list[_Part]) -> _Part:
    exact = all(e for _, e in parts)
    if any(v is True for v, _ in parts):
        return True, exact
    texts = [v for v, _ in parts if isinstance(v, str)]
    if not texts:
        return False, True
    return (texts[0] if len(texts) == 1 else "(" + " | ".join(texts) + ")"), exact
