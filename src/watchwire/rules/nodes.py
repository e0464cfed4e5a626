"""The syntax tree of a rule query: frozen nodes, and a printer back to query syntax.

Node positions (``start``/``end``, offsets in the query) do not take part in equality: two
queries that differ only in spacing have equal trees.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Final

__all__ = [
    "DEFAULT_NEAR",
    "FIELDS",
    "MAX_NEAR",
    "And",
    "Fielded",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "TermRef",
    "Word",
    "describe",
]

FIELDS: Final = ("title", "lead", "body")
DEFAULT_NEAR: Final = 10
MAX_NEAR: Final = 100_000


@dataclass(frozen=True, slots=True)
class Word:
    """One normalised word; ``prefix``: any word starting with it."""

    text: str
    prefix: bool = False
    start: int = dataclasses.field(default=0, compare=False)
    end: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Phrase:
    """Consecutive words. ``joined``: written as one word with an apostrophe (``О'Брайен``)."""

    words: tuple[Word, ...]
    joined: bool = False
    start: int = dataclasses.field(default=0, compare=False)
    end: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class TermRef:
    """``@name``: any spelling of a term set."""

    name: str
    start: int = dataclasses.field(default=0, compare=False)
    end: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]
    start: int = dataclasses.field(default=0, compare=False)
    end: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]
    start: int = dataclasses.field(default=0, compare=False)
    end: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    start: int = dataclasses.field(default=0, compare=False)
    end: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Near:
    """Both sides in one field with at most ``distance`` words between them."""

    left: Node
    right: Node
    distance: int = DEFAULT_NEAR
    start: int = dataclasses.field(default=0, compare=False)
    end: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Fielded:
    """``title:x``: ``x`` must hold in that field."""

    field: str
    child: Node
    start: int = dataclasses.field(default=0, compare=False)
    end: int = dataclasses.field(default=0, compare=False)


Node = Word | Phrase | TermRef | And | Or | Not | Near | Fielded


def describe(node: Node) -> str:
    """The node in query syntax (normalised words), for reports."""
    if isinstance(node, Word):
        return node.text + "*" * node.prefix
    if isinstance(node, Phrase):
        return '"' + " ".join(describe(w) for w in node.words) + '"'
    if isinstance(node, TermRef):
        return "@" + node.name
    if isinstance(node, And):
        return " AND ".join(_paren(c, And) for c in node.children)
    if isinstance(node, Or):
        return " OR ".join(_paren(c, Or) for c in node.children)
    if isinstance(node, Not):
        return "NOT " + _paren(node.child, Not)
    if isinstance(node, Near):
        op = "NEAR" if node.distance == DEFAULT_NEAR else f"NEAR/{node.distance}"
        return f"{_paren(node.left, Near)} {op} {_paren(node.right, Near)}"
    return f"{node.field}:{_paren(node.child, Not)}"


def _paren(node: Node, parent: type) -> str:
    rank = {Or: 0, And: 1, Near: 2, Not: 3}
    inner = rank.get(type(node), 9)
    text = describe(node)
    return f"({text})" if inner <= rank[parent] and inner != 9 else text
