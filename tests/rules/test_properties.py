"""Property tests: the engine agrees with a naive reference evaluator on random queries."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from watchwire.rules import Node, parse_query

from .helpers import article, matches
from .reference import VOCAB, queries_st, reference_match, render, texts_st

SETTINGS = settings(max_examples=120, deadline=None)


@SETTINGS
@given(queries_st)
def test_render_parse_roundtrip(query: Node) -> None:
    """Rendering a tree and parsing it back gives the same tree."""
    assert parse_query(render(query)) == query


@SETTINGS
@given(queries_st, texts_st)
def test_article_matches_agree_with_reference(query: Node, text: str) -> None:
    """Whole-article matching equals the reference evaluator's verdict."""
    assert matches(render(query), text) is reference_match(query, text)


@SETTINGS
@given(queries_st, texts_st, st.integers(1, 6))
def test_word_windows_agree_with_reference(query: Node, text: str, n: int) -> None:
    """``within: N words`` equals trying every window of N consecutive words."""
    got = matches(render(query), text, within=f"{n} words")
    assert got is reference_match(query, text, window=n)


@SETTINGS
@given(queries_st, st.lists(texts_st, min_size=1, max_size=3))
def test_paragraph_windows_agree_with_reference(query: Node, paragraphs: list[str]) -> None:
    """``within: paragraph`` holds when the query holds in one paragraph (NOT: anywhere)."""
    body = "\n\n".join(p or "x" for p in paragraphs)
    whole = reference_match(query, body)
    if not whole:  # a query that fails on the article fails in every paragraph
        assert not matches(render(query), article(body), within="paragraph")
        return
    expected = any(
        reference_match(_with_negations_from(query, body), p or "x") for p in body.split("\n\n")
    )
    assert matches(render(query), article(body), within="paragraph") is expected


def _with_negations_from(query: Node, body: str) -> Node:
    """``query`` with each NOT replaced by its verdict on the whole body."""
    from watchwire.rules import And, Near, Not, Or, Phrase, Word

    true, false = Not(Word("zzzz")), Word("zzzz")
    if isinstance(query, Not):
        return true if not reference_match(query.child, body) else false
    if isinstance(query, And):
        return And(tuple(_with_negations_from(c, body) for c in query.children))
    if isinstance(query, Or):
        return Or(tuple(_with_negations_from(c, body) for c in query.children))
    if isinstance(query, Near):
        return query
    assert isinstance(query, Word | Phrase)
    return query


@SETTINGS
@given(queries_st, texts_st)
def test_spans_are_words_of_the_text(query: Node, text: str) -> None:
    """Every span of a match is a run of whole words of the body, sliced exactly."""
    from .helpers import match_one

    m = match_one(render(query), text)
    if m is None:
        return
    for span in m.spans:
        assert text[span.start : span.end] == span.text
        assert span.start == 0 or text[span.start - 1] == " "
        assert span.end == len(text) or text[span.end] == " "


@SETTINGS
@given(st.lists(queries_st, min_size=1, max_size=8), st.lists(texts_st, min_size=1, max_size=6))
def test_word_frequencies_never_change_results(queries: list[Node], texts: list[str]) -> None:
    """Anchoring on measured word frequencies changes speed, never matches."""
    from watchwire.rules import WordFrequencies, compile_rules

    from .helpers import rule

    rules = [rule(render(q), name=f"r{i}") for i, q in enumerate(queries)]
    freq = WordFrequencies.from_articles(article(t) for t in texts[::2])
    plain, tuned = compile_rules(rules, {}), compile_rules(rules, {}, frequencies=freq)
    for t in texts:
        assert plain.match(article(t)) == tuned.match(article(t))


@SETTINGS
@given(st.lists(queries_st, min_size=1, max_size=6), texts_st)
def test_deferred_spans_equal_eager_spans(queries: list[Node], text: str) -> None:
    """Spans and snippets built on demand after matching are those ``explain`` builds at once."""
    from watchwire.rules import compile_rules

    from .helpers import rule

    rules = [rule(render(q), name=f"r{i}") for i, q in enumerate(queries)]
    rs = compile_rules(rules, {})
    got = rs.match(article(text))[::-1]
    eager = {r.rule: r for r in compile_rules(rules, {}).explain(article(text)) if r.matched}
    assert {m.rule for m in got} == set(eager)
    for m in got:
        assert (m.spans, m.snippet) == (eager[m.rule].spans, eager[m.rule].snippet)


sentences_st = st.lists(
    st.lists(st.sampled_from(VOCAB), min_size=1, max_size=6), min_size=1, max_size=5
)


# Words searched one by one (LOCATE_LIMIT) → windows searched one by one (LOCAL_WINDOWS).
_LOCAL_WINDOWS = {0: 4, 1: 1000, 32: 0}


def _sentence(words: list[str]) -> str:
    """Capitalised, and not ended by a single letter (an initial): its stop ends it."""
    return " ".join([words[0].capitalize(), *words[1:], *(["zz"] if len(words[-1]) == 1 else [])])


@SETTINGS
@given(queries_st, sentences_st, st.booleans(), st.sampled_from([0, 1, 32]))
def test_sentence_windows_agree_with_reference(
    query: Node, sentences: list[list[str]], paragraphs: bool, limit: int
) -> None:
    """``within: sentence`` holds when the query holds in one sentence (NOT: anywhere).

    Whatever the number of words the document may search for one by one (``limit``), and
    whether words are looked for in the text of a few windows or all over.
    """
    from unittest.mock import patch

    from watchwire.rules import document, engine

    texts = [_sentence(s) for s in sentences]
    body = ("\n\n" if paragraphs else ". ").join(texts) + "."
    with (
        patch.object(document, "LOCATE_LIMIT", limit),
        patch.object(engine, "LOCAL_WINDOWS", _LOCAL_WINDOWS[limit]),
    ):
        got = matches(render(query), article(body), within="sentence")
    if not reference_match(query, body):
        assert not got
        return
    expected = any(reference_match(_with_negations_from(query, body), t) for t in texts)
    assert got is expected


@SETTINGS
@given(
    queries_st,
    sentences_st,
    st.sampled_from(["sentence", "paragraph", "3 words", "article"]),
    st.sampled_from([0, 1, 32]),
)
def test_match_agrees_with_explain(
    query: Node, sentences: list[list[str]], within: str, limit: int
) -> None:
    """The boolean path of ``match`` and the occurrence path of ``explain`` agree, any field."""
    from unittest.mock import patch

    from watchwire.rules import compile_rules, document, engine

    from .helpers import rule

    texts = [_sentence(s) + "." for s in sentences]
    a = article("\n\n".join(texts[2:]), title=texts[0], lead=" ".join(texts[1:2]))
    with (
        patch.object(document, "LOCATE_LIMIT", limit),
        patch.object(engine, "LOCAL_WINDOWS", _LOCAL_WINDOWS[limit]),
    ):
        for fields in (("title", "lead", "body"), ("lead",), ("title", "body")):
            rs = compile_rules([rule(render(query), within=within, fields=fields)], {})
            (report,) = rs.explain(a)
            assert bool(rs.match(a)) is report.matched
