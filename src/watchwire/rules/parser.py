"""The rule query language: lexer and parser (the tree's nodes are in ``nodes``).

Grammar, loosest binding first (so precedence is NOT > NEAR > AND > OR)::

    query   := or EOF
    or      := and ("OR" and)*
    and     := near (["AND"] near)*          juxtaposition is AND
    near    := unary ("NEAR" ["/" n] unary)*  NEAR alone is NEAR/10
    unary   := ("NOT" | "-") unary | primary
    primary := field ":" primary | "(" or ")" | word ["*"] | '"' phrase '"' ["*"] | "@" name

Operators are upper case; ``and``/``or`` in lower case are words. A bare word that holds
several words (``Belarus-based``, ``Lukashenko's``) is a phrase of them. Errors are
:class:`~watchwire.exceptions.QuerySyntaxError` with the 1-based column of the culprit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from watchwire.exceptions import QuerySyntaxError
from watchwire.rules.nodes import (
    DEFAULT_NEAR,
    FIELDS,
    MAX_NEAR,
    And,
    Fielded,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    TermRef,
    Word,
)
from watchwire.rules.tokens import WORD, words

__all__ = ["parse_entry", "parse_query"]

_APOSTROPHES: Final = "'’ʼ‘`′ʹ"


# --- lexer ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Lex:
    kind: str
    """``( ) AND OR NOT - NEAR WORD PHRASE TERM FIELD EOF``"""
    value: str
    start: int
    end: int
    number: int = 0


_FIELD = re.compile(r"([A-Za-z]+):")
_NEAR = re.compile(r"NEAR(?:/(\d*))?")
_BARE = re.compile(r'[^\s()"]+')


def _lex(query: str) -> list[_Lex]:
    out: list[_Lex] = []
    i, n = 0, len(query)

    def fail(message: str, at: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, query=query, column=at + 1)

    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c in "()":
            out.append(_Lex(c, c, i, i + 1))
            i += 1
        elif c == '"':
            close = query.find('"', i + 1)
            if close < 0:
                raise fail("unterminated phrase", i)
            end = close + 1
            star = end < n and query[end] == "*"
            end += star
            out.append(_Lex("PHRASE", query[i + 1 : close] + "*" * star, i, end))
            i = end
        elif c == "-":
            if i + 1 >= n or query[i + 1].isspace() or query[i + 1] == ")":
                raise fail("'-' must be followed by a term", i)
            out.append(_Lex("-", c, i, i + 1))
            i += 1
        elif c == "@":
            m = _BARE.match(query, i + 1)
            if not m:
                raise fail("expected a term set name after '@'", i)
            out.append(_Lex("TERM", m[0], i, m.end()))
            i = m.end()
        else:
            m = _BARE.match(query, i)
            assert m is not None
            bare = m[0]
            if fm := _FIELD.match(bare):
                name = fm[1].lower()
                if name not in FIELDS:
                    raise fail(f"unknown field '{fm[1]}' (title, lead or body)", i)
                out.append(_Lex("FIELD", name, i, i + fm.end()))
                i += fm.end()
            elif bare in ("AND", "OR", "NOT"):
                out.append(_Lex(bare, bare, i, m.end()))
                i = m.end()
            elif nm := _NEAR.fullmatch(bare):
                if nm[1] == "" or (nm[1] and int(nm[1]) > MAX_NEAR):
                    raise fail(f"expected a number up to {MAX_NEAR} after 'NEAR/'", i + 5)
                dist = int(nm[1]) if nm[1] else DEFAULT_NEAR
                out.append(_Lex("NEAR", bare, i, m.end(), dist))
                i = m.end()
            elif bare.startswith("NEAR/"):
                raise fail(f"expected a number up to {MAX_NEAR} after 'NEAR/'", i + 5)
            else:
                out.append(_Lex("WORD", bare, i, m.end()))
                i = m.end()
    out.append(_Lex("EOF", "", n, n))
    return out


# --- parser -----------------------------------------------------------------------------------

_OPERAND_START: Final = frozenset({"WORD", "PHRASE", "TERM", "FIELD", "(", "NOT", "-"})


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.toks = _lex(query)
        self.i = 0

    def fail(self, message: str, at: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, query=self.query, column=at + 1)

    @property
    def peek(self) -> _Lex:
        return self.toks[self.i]

    def take(self) -> _Lex:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def need_operand(self, after: _Lex) -> None:
        if self.peek.kind not in _OPERAND_START:
            what = "end of query" if self.peek.kind == "EOF" else f"'{self.peek.value}'"
            raise self.fail(f"expected a term after '{after.value}', found {what}", self.peek.start)

    def parse(self) -> Node:
        if self.peek.kind == "EOF":
            raise self.fail("empty query", 0)
        node = self.parse_or()
        tok = self.peek
        if tok.kind == ")":
            raise self.fail("unbalanced ')'", tok.start)
        assert tok.kind == "EOF", tok
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.peek.kind == "OR":
            self.need_operand(self.take())
            items.append(self.parse_and())
        if len(items) == 1:
            return items[0]
        return Or(tuple(items), start=items[0].start, end=items[-1].end)

    def parse_and(self) -> Node:
        items = [self.parse_near()]
        while True:
            if self.peek.kind == "AND":
                self.need_operand(self.take())
            elif self.peek.kind not in _OPERAND_START:
                break
            items.append(self.parse_near())
        if len(items) == 1:
            return items[0]
        return And(tuple(items), start=items[0].start, end=items[-1].end)

    def parse_near(self) -> Node:
        left = self.parse_unary()
        while self.peek.kind == "NEAR":
            op = self.take()
            self.need_operand(op)
            right = self.parse_unary()
            for side in (left, right):
                self.check_near_operand(side)
            left = Near(left, right, op.number, start=left.start, end=right.end)
        return left

    def check_near_operand(self, node: Node) -> None:
        if isinstance(node, Not):
            raise self.fail("NEAR cannot take a NOT", node.start)
        if isinstance(node, And):
            raise self.fail(
                "NEAR takes words, phrases, term sets or OR groups, not AND", node.start
            )
        if isinstance(node, Or):
            for child in node.children:
                self.check_near_operand(child)
        elif isinstance(node, Fielded):
            self.check_near_operand(node.child)

    def parse_unary(self) -> Node:
        if self.peek.kind in ("NOT", "-"):
            op = self.take()
            self.need_operand(op)
            child = self.parse_unary()
            return Not(child, start=op.start, end=child.end)
        return self.parse_primary()

    def parse_primary(self) -> Node:
        tok = self.take()
        if tok.kind == "FIELD":
            if self.peek.kind not in ("WORD", "PHRASE", "TERM", "("):
                raise self.fail(f"expected a term after '{tok.value}:'", self.peek.start)
            child = self.parse_primary()
            if _has_field(child):
                raise self.fail("field qualifiers cannot be nested", child.start)
            return Fielded(tok.value, child, start=tok.start, end=child.end)
        if tok.kind == "(":
            if self.peek.kind == ")":
                raise self.fail("empty parentheses", tok.start)
            node = self.parse_or()
            if self.peek.kind != ")":
                raise self.fail("unbalanced '('", tok.start)
            close = self.take()
            return _moved(node, tok.start, close.end)
        if tok.kind == "WORD":
            return _word(self.query, tok.value, tok.start, tok.end)
        if tok.kind == "PHRASE":
            return _phrase(self.query, tok)
        if tok.kind == "TERM":
            return TermRef(tok.value, start=tok.start, end=tok.end)
        if tok.kind == ")":
            raise self.fail("unbalanced ')'", tok.start)
        if tok.kind == "EOF":
            raise self.fail("expected a term, found end of query", tok.start)
        raise self.fail(f"'{tok.value}' needs a term before it", tok.start)


def _has_field(node: Node) -> bool:
    if isinstance(node, Fielded):
        return True
    if isinstance(node, And | Or):
        return any(_has_field(c) for c in node.children)
    if isinstance(node, Not):
        return _has_field(node.child)
    if isinstance(node, Near):
        return _has_field(node.left) or _has_field(node.right)
    return False


def _moved(node: Node, start: int, end: int) -> Node:
    """``node`` with its position widened to its parentheses (for error columns)."""
    cls = type(node)
    values = {f: getattr(node, f) for f in cls.__dataclass_fields__}
    values.update(start=start, end=end)
    return cls(**values)


def _word(query: str, raw: str, start: int, end: int) -> Word | Phrase:
    star = raw.endswith("*")
    body = raw[:-1] if star else raw
    if "*" in body:
        raise QuerySyntaxError(
            "'*' may only end a word", query=query, column=start + body.index("*") + 1
        )
    found = words(body)
    if not found:
        what = "'*' alone" if not body else f"'{raw}' has no letters or digits"
        raise QuerySyntaxError(f"{what}: expected a word", query=query, column=start + 1)
    items = tuple(
        Word(w, star and k == len(found) - 1, start=start, end=end) for k, w in enumerate(found)
    )
    if len(items) == 1:
        return items[0]
    joined = any(c in _APOSTROPHES for c in body)
    return Phrase(items, joined, start=start, end=end)


def _phrase(query: str, tok: _Lex) -> Word | Phrase:
    text = tok.value
    star = text.endswith("*") and query[tok.end - 1] == "*" and query[tok.end - 2] == '"'
    if star:
        text = text[:-1]
    items: list[Word] = []
    joined = False
    for m in re.finditer(r"\S+", text):
        piece = m[0]
        at = tok.start + 1 + m.start()
        if piece == "*" or not WORD.search(piece):
            continue
        node = _word(query, piece, at, at + len(piece))
        if isinstance(node, Phrase):
            items.extend(node.words)
            joined = joined or node.joined
        else:
            items.append(node)
    if not items:
        raise QuerySyntaxError("empty phrase", query=query, column=tok.start + 1)
    if star:
        last = items[-1]
        items[-1] = Word(last.text, True, start=last.start, end=last.end)
    if len(items) == 1:
        return Word(items[0].text, items[0].prefix, start=tok.start, end=tok.end)
    return Phrase(tuple(items), joined, start=tok.start, end=tok.end)


def parse_query(text: str) -> Node:
    """Parse a rule query into its syntax tree (``@names`` are not resolved here)."""
    return _Parser(text).parse()


def parse_entry(text: str) -> Word | Phrase:
    """Parse one spelling of a term set: a word, a prefix ``word*`` or several words."""
    stripped = text.strip()
    if stripped.startswith('"') and stripped.endswith(('"', '"*')):
        node = parse_query(stripped)
    else:
        try:
            node = parse_query('"' + stripped.replace('"', " ") + '"')
        except QuerySyntaxError as exc:
            raise QuerySyntaxError(
                exc.message.rsplit(" at column ", 1)[0],
                query=text,
                column=max(1, exc.query_column - 1),
            ) from None
    if not isinstance(node, Word | Phrase):
        raise QuerySyntaxError("expected a word, prefix or phrase", query=text, column=1)
    return node
