"""A rule's query as a store's search needs it: the parsed tree, the fields, the term sets.

Searching stored articles is two steps: the store's full-text index narrows the articles to
candidates, then the rules engine decides. ``SearchQuery`` is what crosses into the store for the
first step — in the rule language's own terms, so that each backend translates it into its
index's syntax (SQLite FTS5, PostgreSQL tsquery) and no other room ever sees that syntax. A
translation must select a superset of what the engine matches.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from watchwire.rules.nodes import FIELDS, And, Fielded, Near, Node, Not, Or, Phrase, TermRef, Word
from watchwire.rules.parser import parse_entry, parse_query

__all__ = ["SearchQuery", "search_query"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchQuery:
    """What to look for among stored articles."""

    query: Node
    fields: tuple[str, ...] = FIELDS
    """The fields the rule reads (``fields:``): candidates need a hit in one of them."""
    terms: Mapping[str, tuple[Word | Phrase, ...]]
    """The spellings of every ``@name`` the query refers to, parsed."""


def search_query(
    query: Node | str,
    terms: Mapping[str, Sequence[str]],
    *,
    fields: Sequence[str] = FIELDS,
) -> SearchQuery:
    """The ``SearchQuery`` of a query (parsed or as written) and the config's term sets."""
    node = parse_query(query) if isinstance(query, str) else query
    used = {ref.name for ref in _term_refs(node)}
    return SearchQuery(
        query=node,
        fields=tuple(fields),
        terms={
            name: tuple(parse_entry(e) for e in terms.get(name, ()) if e.strip())
            for name in sorted(used)
        },
    )


def _term_refs(node: Node) -> Iterator[TermRef]:
    if isinstance(node, TermRef):
        yield node
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from _term_refs(child)
    elif isinstance(node, Not | Fielded):
        yield from _term_refs(node.child)
    elif isinstance(node, Near):
        yield from _term_refs(node.left)
        yield from _term_refs(node.right)
