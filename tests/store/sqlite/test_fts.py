"""SQLite FTS5: the same documents match in the shared subset, and ``to_fts5`` is a superset."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rules.helpers import TERMS, article
from tests.rules.reference import VOCAB, fts_queries_st, queries_st, render, render_fts5
from watchwire.config import RuleConfig
from watchwire.models import Article
from watchwire.rules import Node, compile_rules, search_query
from watchwire.store.sqlite.fts import to_fts5


def fts_of(rule: RuleConfig | str, terms: dict[str, list[str]] | None = None) -> str | None:
    """The FTS5 prefilter of a rule (its query and fields) or of a bare query."""
    if isinstance(rule, str):
        return to_fts5(search_query(rule, terms or {}))
    return to_fts5(search_query(rule.query, terms or {}, fields=rule.fields))


SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _corpus() -> list[Article]:
    rnd = random.Random(6)
    docs = []
    extra = ["x", "yy", "Belarus", "sanctions", "Білорусі", "санкції", "potash", "мʼясо"]
    for _ in range(40):

        def text(n: int) -> str:
            return " ".join(rnd.choice([*VOCAB, *extra]) for _ in range(rnd.randint(0, n)))

        body = "\n\n".join(text(12) for _ in range(rnd.randint(1, 3)))
        docs.append(article(body, title=text(4), lead=text(6)))
    docs.append(article("Lukashenko's potash", title="Belarus-based"))
    docs.append(article("Вʼячеслав і мʼясо", title="О'Брайен"))
    return docs


CORPUS = _corpus()
# FTS5 keeps the modifier apostrophe (U+02BC) inside a token where the engine splits words, so
# word counts differ there: documents with one are left out of the equality test (the
# superset tests keep them).
SHARED = {i for i, a in enumerate(CORPUS) if "ʼ" not in a.title + a.lead + a.text}


@pytest.fixture(scope="module")
def db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5(title, lead, body,"
        " tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.executemany(
        "INSERT INTO articles_fts(rowid, title, lead, body) VALUES (?, ?, ?, ?)",
        [(i, a.title, a.lead, a.text) for i, a in enumerate(CORPUS)],
    )
    yield conn
    conn.close()


def fts(db: sqlite3.Connection, expr: str) -> set[int]:
    rows = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", (expr,))
    return {r[0] for r in rows}


def engine(rule: RuleConfig, terms: dict[str, list[str]] | None = None) -> set[int]:
    rs = compile_rules([rule], terms or {})
    return {i for i, a in enumerate(CORPUS) if rs.match(a)}


@SETTINGS
@given(fts_queries_st)
def test_same_documents_as_fts5(db: sqlite3.Connection, query: Node) -> None:
    """On the shared subset (AND/OR/NOT, phrases, prefixes, NEAR) FTS5 and the engine agree."""
    ours = engine(RuleConfig(name="q", query=render(query)))
    assert ours & SHARED == fts(db, render_fts5(query)) & SHARED


@SETTINGS
@given(
    queries_st,
    st.sampled_from(["article", "sentence", "paragraph", "3 words"]),
    st.sampled_from([("title", "lead", "body"), ("body",), ("title", "lead")]),
)
def test_to_fts5_is_a_superset(
    db: sqlite3.Connection, query: Node, within: str, fields: tuple[str, ...]
) -> None:
    """Every document the rule matches is also selected by its FTS5 prefilter."""
    rule = RuleConfig(name="q", query=render(query), within=within, fields=fields)  # type: ignore[arg-type]
    expr = fts_of(rule)
    matched = engine(rule)
    if expr is None:
        return
    assert matched <= fts(db, expr)


@pytest.mark.parametrize(
    "query",
    [
        "@belarus AND @sanctions",
        "@belarus NEAR/3 @sanctions",
        "title:Belarus -x",
        "Lukashenko's",
        "Belarus-based",
        "мʼясо",
        "м'ясо",
        "В'ячеслав",
        "О'Брайен",
        "body:(potash OR санкці*) lead:x",
        '"Belarus based" NEAR/1 potash',
    ],
)
def test_to_fts5_superset_examples(db: sqlite3.Connection, query: str) -> None:
    """Term sets, qualifiers, apostrophes and hyphens keep the prefilter a superset."""
    rule = RuleConfig(name="q", query=query)
    expr = fts_of(rule, TERMS)
    assert expr is not None
    matched = engine(rule, TERMS)
    assert matched <= fts(db, expr)
    if query in ("мʼясо", "В'ячеслав", "О'Брайен", "Lukashenko's", "Belarus-based"):
        assert matched, query  # the corpus has them: the test is not vacuous


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Belarus", '"belarus"'),
        ("sanction*", '"sanction"*'),
        ('"potash exports"', '"potash" + "exports"'),
        ("a b", '("a" AND "b")'),
        ("a OR b", '("a" OR "b")'),
        ("a -b", '"a"'),
        ("NOT a", None),
        ("a OR -b", None),
        ("a NEAR/3 b", 'NEAR("a" "b", 3)'),
        ("(a OR b) NEAR c", '(("a" OR "b") AND "c")'),
        ("title:a", 'title : ("a")'),
        ("Lukashenko's", '("lukashenko" + "s" OR "lukashenko"*)'),
        ('say "x"', '("say" AND "x")'),
    ],
)
def test_to_fts5_expressions(query: str, expected: str | None) -> None:
    """The translation, form by form."""
    assert fts_of(query) == expected


def test_to_fts5_rule_fields_become_a_column_filter() -> None:
    """A rule's ``fields`` restrict the FTS5 columns."""
    rule = RuleConfig(name="r", query="a", fields=("title", "body"))
    assert fts_of(rule) == '{title body} : ("a")'
