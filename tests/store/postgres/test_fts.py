"""PostgreSQL full-text search: a rule's ``tsquery`` selects every article the engine matches.

The engine (``compile_rules(...).match``) is the oracle; the vectors and queries run on a real
PostgreSQL 15 (``postgres_server``), through a GIN index as the store will use them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.postgres import database
from watchwire.config import RuleConfig
from watchwire.models import Article
from watchwire.rules import compile_rules, search_query
from watchwire.rules.nodes import FIELDS
from watchwire.store.postgres.fts import (
    MAX_LEXEME,
    MAX_POSITION,
    MAX_POSITIONS,
    MAX_QUERY_LEXEMES,
    MAX_VECTOR,
    NO_ARTICLE,
    search_vector,
    to_tsquery,
)

from .corpus import FIELD_SETS, TERMS, WITHIN, article, corpus, exact_queries_st, queries_st

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
CORPUS = corpus(seed=20, size=60)

Conn = psycopg.Connection[tuple[object, ...]]


def _load(conn: Conn, docs: Sequence[Article]) -> None:
    conn.execute("CREATE TABLE docs (id int PRIMARY KEY, search tsvector)")
    conn.execute("CREATE INDEX docs_search ON docs USING gin (search)")
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO docs VALUES (%s, %s::tsvector)",
            [(i, search_vector(a.title, a.lead, a.text)) for i, a in enumerate(docs)],
        )
    conn.execute("ANALYZE docs")


@pytest.fixture(scope="module")
def db(postgres_server: str) -> Iterator[Conn]:
    """The corpus in a ``docs(id, search)`` table with a GIN index."""
    with database(postgres_server) as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        _load(conn, CORPUS)
        yield conn


def candidates(conn: Conn, tsquery: str | None, *, index: bool = True) -> set[int]:
    """The documents the query selects (through the GIN index, or by a scan)."""
    if tsquery is None:
        return set(range(len(CORPUS)))
    with conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = " + ("off" if index else "on"))
        conn.execute("SET LOCAL enable_bitmapscan = " + ("on" if index else "off"))
        rows = conn.execute("SELECT id FROM docs WHERE search @@ %s::tsquery", (tsquery,))
        return {int(r[0]) for r in rows}


def engine(rule: RuleConfig, docs: Sequence[Article] = CORPUS) -> set[int]:
    rules = compile_rules([rule], TERMS)
    return {i for i, a in enumerate(docs) if rules.match(a)}


def translate(rule: RuleConfig) -> str | None:
    return to_tsquery(search_query(rule.query, TERMS, fields=rule.fields))


def rule(query: str, within: str = "article", fields: Sequence[str] = FIELDS) -> RuleConfig:
    return RuleConfig(name="q", query=query, within=within, fields=tuple(fields))  # type: ignore[arg-type]


# --- the properties -------------------------------------------------------------------------------


@SETTINGS
@given(queries_st, st.sampled_from(WITHIN), st.sampled_from(FIELD_SETS))
def test_tsquery_selects_every_match(db: Conn, query: str, within: str, fields: tuple[str]) -> None:
    """Whatever the query, window and fields, every article the engine matches is selected."""
    r = rule(query, within, fields)
    tsquery = translate(r)
    found = candidates(db, tsquery)
    assert engine(r) <= found, tsquery
    assert found == candidates(db, tsquery, index=False), "the index and a scan disagree"


@SETTINGS
@given(exact_queries_st, st.sampled_from(FIELD_SETS))
def test_tsquery_is_exact_without_near_or_windows(db: Conn, query: str, fields: tuple[str]) -> None:
    """Words, prefixes, phrases, fields, AND, OR and NOT of words select the matches, no more."""
    r = rule(query, "article", fields)
    assert candidates(db, translate(r)) == engine(r)


@pytest.mark.parametrize(
    "query",
    [
        "@belarus AND @sanctions",
        "@belarus NEAR/3 @sanctions",
        "Lukashenko's",
        "Lukashenko’s potash",
        "Belarus-based",
        "мʼясо",
        "м'ясо",
        "О'Брайен",
        "@meat OR @obrien",
        "café naive",
        "cafe\u0301",
        "straße",
        "STRASSE",
        "finance belarus",
        "білорусь",
        "title:білорусь",
        "lead:strasse",
        '"lukashenko s" potash',
        "covid-19",
    ],
)
def test_awkward_words_are_found(db: Conn, query: str) -> None:
    """Apostrophes, hyphens, diacritics, case folding and NFKC forms: matched and selected."""
    r = rule(query)
    matched = engine(r)
    assert matched, "the corpus has these: the test is not vacuous"
    found = candidates(db, translate(r))
    assert matched <= found
    if "NEAR" not in query:  # NEAR is only narrowed to AND
        assert matched == found


def test_results_do_not_depend_on_the_database_locale(postgres_server: str, db: Conn) -> None:
    """The words are watchwire's, not PostgreSQL's parser's: C and C.UTF-8 databases agree."""
    queries = ["Lukashenko’s", "білорусь", "Belarus-based", "мʼясо", "café", "STRASSE"]
    with (
        database(postgres_server, locale="C.utf8") as dsn,
        psycopg.connect(dsn, autocommit=True) as utf8,
    ):
        assert utf8.execute("SHOW lc_ctype").fetchone() == ("C.utf8",)
        _load(utf8, CORPUS)
        for query in queries:
            tsquery = translate(rule(query))
            assert candidates(utf8, tsquery) == candidates(db, tsquery), query


# --- the translation, form by form ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "fields", "expected"),
    [
        ("Belarus", FIELDS, "'belarus'"),
        ("sanction*", FIELDS, "'sanction':*"),
        (
            '"potash exports"',
            FIELDS,
            "('potash' <-> 'exports' | 'potash' & 'exports' & ('~potash' | '~exports'))",
        ),
        ("a b", FIELDS, "('a' & 'b')"),
        ("a OR b", FIELDS, "('a' | 'b')"),
        ("a -b", FIELDS, "('a' & !'b')"),
        ("NOT a", FIELDS, "!'a'"),
        ('a -"b c"', FIELDS, "'a'"),
        ('a OR -"b c"', FIELDS, None),
        ("a NEAR/3 b*", FIELDS, "('a' & 'b':*)"),
        ("NOT (a NEAR b)", FIELDS, None),
        ("title:a", FIELDS, "'a':A"),
        ("a", ("title", "body"), "'a':AC"),
        ("a*", ("lead",), "'a':*B"),
        ("title:a", ("body",), NO_ARTICLE),
        ("title:a OR b", ("body",), "'b':C"),
        ("-title:a b", ("body",), "'b':C"),
        ("@sanctions", FIELDS, "('sanction':* | 'санкці':* | 'санкци':*)"),
        (
            "Lukashenko's",
            ("title",),
            "('lukashenko':A <-> 's':A | 'lukashenko':A & 's':A & ('~lukashenko' | '~s'))",
        ),
    ],
)
def test_tsquery_forms(query: str, fields: tuple[str, ...], expected: str | None) -> None:
    """The translation, form by form."""
    assert to_tsquery(search_query(query, TERMS, fields=fields)) == expected


def test_vector_numbers_words_through_the_fields_with_a_gap() -> None:
    """The engine's words, weighted by field; a position left out between fields."""
    assert search_vector("Belarus-based", "мʼясо ﬁ", "Straße a a") == (
        "'belarus':1A 'based':2A 'м':4B 'ясо':5B 'fi':6B 'strasse':8C 'a':9C,10C"
    )
    assert search_vector("", "", "") == ""


# --- PostgreSQL's limits --------------------------------------------------------------------------


def selects(conn: Conn, art: Article, query: str, fields: Sequence[str] = FIELDS) -> bool:
    """Whether the rule matches ``art`` (checked first), and whether its tsquery selects it."""
    r = rule(query, fields=fields)
    assert engine(r, [art]) == {0}, "the engine must match for the test to mean anything"
    vector = search_vector(art.title, art.lead, art.text)
    tsquery = translate(r)
    if vector is None or tsquery is None:
        return True
    got = conn.execute("SELECT %s::tsvector @@ %s::tsquery", (vector, tsquery)).fetchone()
    return got == (True,)


def test_a_phrase_past_the_last_position_is_selected(db: Conn) -> None:
    """Past position 16,383 a phrase falls back to its words and the marker."""
    art = article("x " * (MAX_POSITION + 10) + "potash exports")
    assert selects(db, art, '"potash exports"')
    assert selects(db, art, 'body:"potash exp*"')


def test_a_phrase_past_a_words_256th_position_is_selected(db: Conn) -> None:
    """A word kept at 256 positions: a phrase at its 300th occurrence is still selected."""
    art = article("the cat " * (MAX_POSITIONS + 44) + "the dog")
    assert selects(db, art, '"the dog"')
    assert selects(db, art, '"th* dog"')


def test_not_of_a_phrase_is_dropped(db: Conn) -> None:
    """A phrase's tsquery may select more than the phrase, so its NOT would select less."""
    art = article("the cat " * (MAX_POSITIONS + 44) + "dog the")  # "the" and "dog", never "the dog"
    assert selects(db, art, 'cat -"the dog"')


def test_weights_survive_dropped_positions(db: Conn) -> None:
    """A word's later fields are found by weight though its positions were cut short."""
    crowded = article("x", title="x " * (MAX_POSITIONS + 50), lead="x")
    assert selects(db, crowded, "lead:x")
    assert selects(db, crowded, "body:x")
    late = article("b " * (MAX_POSITION + 5) + "a", title="a")
    assert selects(db, late, "body:a")
    assert selects(db, late, "a", fields=("body",))


def test_a_word_longer_than_a_lexeme_is_found_as_its_prefix(db: Conn) -> None:
    """A word over 2046 bytes is cut in the vector and matched as a prefix in the query."""
    long = "я" * (MAX_LEXEME // 2 + 10)
    art = article(f"{long}x {long} тут")
    assert selects(db, art, long)
    assert selects(db, art, f'"{long} тут"')
    assert selects(db, art, f"тут -{long}ab")  # NOT of a cut word is dropped, not applied


def test_a_vector_at_the_size_limit_is_accepted(db: Conn) -> None:
    """The size kept under 1 MiB is PostgreSQL's own count: up to it accepted, past it None."""
    words = [f"{i:04d}" + "a" * 996 for i in range(1044)]  # 1004 bytes each in the vector
    filler = "b" * (MAX_VECTOR - 1044 * 1004 - 5)  # 394: 398 bytes, 1 short of the limit
    vector = search_vector("", "", " ".join([*words, filler]))
    assert vector is not None
    assert db.execute("SELECT length(%s::tsvector)", (vector,)).fetchone() == (1045,)
    assert search_vector("", "", " ".join([*words, filler + "bbbb"])) is None


def test_an_unindexable_article_is_left_to_the_store() -> None:
    """Past 1 MiB there is no vector: the store must treat the article as a candidate."""
    words = [f"{i:05d}" + "z" * 995 for i in range(1100)]
    assert search_vector("", "", " ".join(words)) is None


def test_a_huge_term_set_is_no_filter_rather_than_an_error(db: Conn) -> None:
    """Thousands of spellings translate while PostgreSQL takes them; past that, no filter."""
    many = {"big": [f'"w{i} x{i}"' for i in range(MAX_QUERY_LEXEMES // 8)]}
    tsquery = to_tsquery(search_query("@big", many))
    assert tsquery is not None
    assert db.execute("SELECT numnode(%s::tsquery) > 0", (tsquery,)).fetchone() == (True,)
    too_many = {"big": [f'"w{i} x{i}"' for i in range(MAX_QUERY_LEXEMES)]}
    assert to_tsquery(search_query("@big", too_many)) is None
