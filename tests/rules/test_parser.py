"""The query parser: the grammar, precedence, and errors that point at the culprit."""

from __future__ import annotations

import pytest

from watchwire.exceptions import QuerySyntaxError
from watchwire.rules import And, Fielded, Near, Not, Or, Phrase, TermRef, Word, parse_query
from watchwire.rules.nodes import describe


def w(text: str, prefix: bool = False) -> Word:
    return Word(text, prefix)


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("Belarus", w("belarus")),
        ("Belarus sanctions", And((w("belarus"), w("sanctions")))),
        ("Belarus AND sanctions", And((w("belarus"), w("sanctions")))),
        ("a OR b", Or((w("a"), w("b")))),
        ("a and b", And((w("a"), w("and"), w("b")))),  # operators are upper case
        ("NOT a", Not(w("a"))),
        ("-a", Not(w("a"))),
        ("sanction*", w("sanction", True)),
        ("Білорус*", w("білорус", True)),
        ('"potash exports"', Phrase((w("potash"), w("exports")))),
        ('"potash export*"', Phrase((w("potash"), w("export", True)))),
        ('"potash export"*', Phrase((w("potash"), w("export", True)))),
        ('"Belarus"', w("belarus")),
        ("Belarus-based", Phrase((w("belarus"), w("based")))),
        ("Lukashenko's", Phrase((w("lukashenko"), w("s")), joined=True)),
        ("a NEAR b", Near(w("a"), w("b"), 10)),
        ("a NEAR/3 b", Near(w("a"), w("b"), 3)),
        ("title:Lukashenko", Fielded("title", w("lukashenko"))),
        ("TITLE:x", Fielded("title", w("x"))),
        ("body:(a OR b)", Fielded("body", Or((w("a"), w("b"))))),
        ("@belarus", TermRef("belarus")),
        ("(a)", w("a")),
    ],
)
def test_parse(query: str, tree: object) -> None:
    """Each form of the language parses to its node."""
    assert parse_query(query) == tree


@pytest.mark.parametrize(
    ("query", "grouped"),
    [
        # NOT > NEAR > AND > OR
        ("a OR b AND c", "a OR b AND c"),
        ("a OR b c", "a OR b AND c"),
        ("a AND b OR c", "a AND b OR c"),
        ("(a OR b) c", "(a OR b) AND c"),
        ("NOT a b", "NOT a AND b"),
        ("-a OR b", "NOT a OR b"),
        ("a NEAR b c", "a NEAR b AND c"),
        ("a b NEAR c", "a AND b NEAR c"),
        ("a NEAR b OR c", "a NEAR b OR c"),
        ("a NEAR b NEAR c", "(a NEAR b) NEAR c"),
        ("(a OR b) NEAR/5 c", "(a OR b) NEAR/5 c"),
        ("NOT NOT a", "NOT (NOT a)"),
        ("a -b -c", "a AND NOT b AND NOT c"),
    ],
)
def test_precedence(query: str, grouped: str) -> None:
    """NOT binds tightest, then NEAR, then AND (also implicit), then OR."""
    assert describe(parse_query(query)) == grouped
    assert parse_query(grouped) == parse_query(query)


@pytest.mark.parametrize(
    ("query", "message", "column"),
    [
        ("(Belarus AND x))", "unbalanced ')'", 16),
        ("Belarus AND (sanctions OR x", "unbalanced '('", 13),
        ("((a)", "unbalanced '('", 1),
        (")", "unbalanced ')'", 1),
        ("a AND", "expected a term after 'AND', found end of query", 6),
        ("a OR OR b", "expected a term after 'OR', found 'OR'", 6),
        ("AND a", "'AND' needs a term before it", 1),
        ("a NEAR", "expected a term after 'NEAR', found end of query", 7),
        ("NOT", "expected a term after 'NOT', found end of query", 4),
        ("", "empty query", 1),
        ("()", "empty parentheses", 1),
        ('"potash', "unterminated phrase", 1),
        ('a ""', "empty phrase", 3),
        ("sanc*tions", "'*' may only end a word", 5),
        ("a *", "'*' alone: expected a word", 3),
        ("a - b", "'-' must be followed by a term", 3),
        ("a NEAR/x b", "expected a number up to 100000 after 'NEAR/'", 8),
        ("a NEAR/ b", "expected a number up to 100000 after 'NEAR/'", 8),
        ("author:x", "unknown field 'author' (title, lead or body)", 1),
        ("title:-x", "expected a term after 'title:'", 7),
        ("title:(lead:x)", "field qualifiers cannot be nested", 7),
        ("NOT a NEAR b", "NEAR cannot take a NOT", 1),
        ("a NEAR (b c)", "NEAR takes words, phrases, term sets or OR groups, not AND", 8),
        ("a @", "expected a term set name after '@'", 3),
        ("a ,", "',' has no letters or digits: expected a word", 3),
    ],
)
def test_errors(query: str, message: str, column: int) -> None:
    """Syntax errors say what is wrong and point at the column (1-based) of the culprit."""
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert info.value.query_column == column
    assert str(info.value) == f"{message} at column {column}"
    assert info.value.caret().splitlines()[1] == " " * (column - 1) + "^"


def test_positions_do_not_affect_equality() -> None:
    """Nodes compare by structure; their positions in the query are for error reports."""
    assert parse_query("  a   b") == parse_query("a b")
    assert parse_query("x (a)").children[1].start == 2  # type: ignore[union-attr]
