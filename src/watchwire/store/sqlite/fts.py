"""Search queries as SQLite FTS5 prefilters: the embedded store's business, nobody else's.

``to_fts5`` returns a MATCH expression for ``articles_fts(title, lead, body)`` (tokenizer
``unicode61 remove_diacritics 2``) that every article the engine would match also matches: a
superset, never a substitute — the engine decides. To stay a superset:

- ``NOT`` parts are dropped (FTS5 folds diacritics, so its ``NOT x`` would exclude more);
- ``NEAR`` of anything but words and phrases becomes ``AND``;
- a word written with an apostrophe (``О'Брайен``) also matches as a prefix of its first part,
  because FTS5 keeps the modifier apostrophe ``ʼ`` (U+02BC) inside a token where we split;
- the rule's ``fields`` and ``title:``-style qualifiers become column filters.

Known gaps, all rare in news text: the engine's NFKC folding (ligatures, full-width letters)
and ``ß``→``ss`` case folding have no FTS5 counterpart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from watchwire.rules import SearchQuery
from watchwire.rules.nodes import FIELDS, And, Fielded, Near, Node, Not, Or, Phrase, TermRef, Word

__all__ = ["to_fts5"]

_Terms = Mapping[str, tuple[Word | Phrase, ...]]


def to_fts5(search: SearchQuery) -> str | None:
    """An FTS5 MATCH expression selecting a superset of the query's matches.

    None when nothing useful can be said (a query of only ``NOT``), or when a rule's fields
    exclude every column a qualifier names: then scan instead.
    """
    expr = _expr(search.query, search.terms)
    if expr is None:
        return None
    if set(search.fields) != set(FIELDS):
        return "{" + " ".join(f for f in FIELDS if f in search.fields) + "} : (" + expr + ")"
    return expr


def _quote(word: Word) -> str:
    return '"' + word.text.replace('"', '""') + '"' + ("*" if word.prefix else "")


def _phrase(node: Word | Phrase) -> str:
    if isinstance(node, Word):
        return _quote(node)
    return " + ".join(_quote(w) for w in node.words)


def _expr(node: Node, terms: _Terms) -> str | None:
    if isinstance(node, Word):
        return _quote(node)
    if isinstance(node, Phrase):
        if node.joined:
            return f"({_phrase(node)} OR {_quote(Word(node.words[0].text, True))})"
        return _phrase(node)
    if isinstance(node, TermRef):
        entries = terms.get(node.name, ())
        if not entries:
            return None
        return _or([_expr(e, terms) for e in entries])
    if isinstance(node, And):
        parts = [p for p in (_expr(c, terms) for c in node.children) if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"
    if isinstance(node, Or):
        return _or([_expr(c, terms) for c in node.children])
    if isinstance(node, Not):
        return None
    if isinstance(node, Near):
        left, right = node.left, node.right
        simple = (Word, Phrase)
        if (
            isinstance(left, simple)
            and isinstance(right, simple)
            and not getattr(left, "joined", False)
            and not getattr(right, "joined", False)
        ):
            return f"NEAR({_phrase(left)} {_phrase(right)}, {node.distance})"
        parts = [p for p in (_expr(left, terms), _expr(right, terms)) if p is not None]
        return "(" + " AND ".join(parts) + ")" if parts else None
    assert isinstance(node, Fielded)
    inner = _expr(node.child, terms)
    return None if inner is None else f"{node.field} : ({inner})"


def _or(parts: Sequence[str | None]) -> str | None:
    if any(p is None for p in parts):
        return None
    texts = [p for p in parts if p is not None]
    return texts[0] if len(texts) == 1 else "(" + " OR ".join(texts) + ")"
