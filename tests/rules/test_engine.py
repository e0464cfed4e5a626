"""Matching: every operator, their combinations, scripts, fields, filters, spans and snippets."""

from __future__ import annotations

import pytest

from watchwire.exceptions import QuerySyntaxError
from watchwire.models import Span
from watchwire.rules import compile_rules

from .helpers import TERMS, article, match_one, matches, rule, ruleset

TEXT = (
    "The United States offered Belarus relief from sanctions on potash exports. "
    "Lukashenko's government welcomed the Belarus-based producer's return.\n\n"
    "Санкції проти Білорусі можуть послабити. Експорт калійних добрив відновиться."
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # words, case, implicit AND
        ("Belarus", True),
        ("belarus", True),
        ("BELARUS sanctions", True),
        ("Belarus Poland", False),
        ("Belarusian", False),  # whole words only
        ("Bel", False),
        # AND / OR / NOT / -
        ("Belarus AND sanctions", True),
        ("Belarus AND Poland", False),
        ("Poland OR sanctions", True),
        ("Poland OR Lithuania", False),
        ("Belarus NOT Poland", True),
        ("Belarus -Poland", True),
        ("Belarus -sanctions", False),
        ("NOT Poland", True),
        ("NOT Belarus", False),
        ("NOT (Poland OR Lithuania)", True),
        ("NOT (Poland OR sanctions)", False),
        ("-(Poland Belarus)", True),
        ("(Poland OR Belarus) (exports OR imports)", True),
        ("(Poland OR Lithuania) exports OR Belarus", True),
        ("Poland OR Lithuania exports", False),
        # prefixes
        ("sanction*", True),
        ("export*", True),
        ("sanctions*", True),  # a word is its own prefix
        ("sanctionsx*", False),
        ("Білорус*", True),
        ("санкці*", True),
        ("санкци*", False),  # Russian spelling, Ukrainian text
        ("калій*", True),
        # phrases
        ('"potash exports"', True),
        ('"exports potash"', False),
        ('"relief from sanctions"', True),
        ('"relief sanctions"', False),
        ('"калійних добрив"', True),
        ('"калій* добр*"', True),
        ('"potash export"*', True),
        ("Belarus-based", True),
        ('"Belarus based"', True),
        ("Lukashenko's", True),
        ("Lukashenko", True),
        ('"offered Belarus relief" -"Belarus relief sanctions"', True),
        # NEAR
        ("Belarus NEAR sanctions", True),
        ("Belarus NEAR/3 sanctions", True),  # Belarus relief from sanctions: 2 words between
        ("Belarus NEAR/1 sanctions", False),
        ("sanctions NEAR/2 Belarus", True),  # either order
        ("States NEAR/1 Belarus", True),
        ("States NEAR/0 offered", True),
        ("United NEAR/0 offered", False),
        ("Belarus NEAR/5 Lukashenko", True),
        ("Lukashenko NEAR/0 potash", False),
        ("Lukashenko NEAR/1 potash", True),
        ('"potash exports" NEAR/2 Lukashenko', True),
        ("(Poland OR Belarus) NEAR/3 sanction*", True),
        ("Belarus NEAR/3 sanctions NEAR/2 exports", True),
        ("Belarus NEAR/3 sanctions NEAR/1 exports", False),
        ("Санкції NEAR/1 Білорус*", True),
        ("Білорус* NEAR/50 potash", True),  # paragraphs do not stop NEAR
        ("Білорус* NEAR/5 potash", False),
        # term sets
        ("@belarus AND @sanctions", True),
        ("@belarus NEAR/1 @sanctions", True),
        ("@potash", True),
        ("@lukashenko -@potash", False),
        ("@lukashenko NEAR/4 Belarus", True),
    ],
)
def test_operators(query: str, expected: bool) -> None:
    """Every operator, alone and combined, on an English and Ukrainian text."""
    assert matches(query, TEXT) is expected


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("Білорус*", "Мінськ і Білорусь", True),
        ("Білорус*", "санкції проти Білорусі", True),
        ("Білорус*", "разом з Білоруссю", True),
        ("Білорус*", "білоруський калій", True),
        ("Білорус*", "Беларусь", False),
        ("Беларус*", "Республика Беларусь", True),
        ("Беларус*", "белорусский", False),
        ("Беларус* санкци*", "ЕС ввёл санкции против Беларуси", True),
        ("Беларус* санкци*", "ЕС ввёл санкции против России", False),
        ("Беларус* санкц*", "Рэспубліка Беларусь і санкцыі", True),  # Belarusian
        ("Лукашэнк*", "Аляксандр Лукашэнка сказаў", True),
        ('"калійні добрива"', "калійні добрива з Білорусі", True),
        ("Вʼячеслав", "Вʼячеслав", True),
        ("В'ячеслав", "В’ячеслав сказав", True),
        ("В’ячеслав", "В'ячеслав сказав", True),
        ("Białoru*", "sankcje wobec Białorusi", True),
        ("Беларусь", "БЕЛАРУСЬ", True),
    ],
)
def test_cyrillic_and_other_scripts(query: str, text: str, expected: bool) -> None:
    """Ukrainian, Russian, Belarusian and Polish words, with prefixes and any apostrophe."""
    assert matches(query, text) is expected


# --- within --------------------------------------------------------------------------------

WINDOWED = (
    "Belarus is a country. Its exports include potash.\n\n"
    "Sanctions were discussed in Brussels. Nothing more."
)


@pytest.mark.parametrize(
    ("query", "within", "expected"),
    [
        ("Belarus sanctions", "article", True),
        ("Belarus sanctions", "paragraph", False),
        ("Belarus potash", "paragraph", True),
        ("Belarus potash", "sentence", False),
        ("Belarus country", "sentence", True),
        ("Sanctions Brussels", "sentence", True),
        ("Belarus potash", "8 words", True),
        ("Belarus potash", "7 words", False),
        ("Belarus country -Brussels", "sentence", False),  # NOT sees the whole article
        ("Belarus country -Minsk", "sentence", True),
        ("(Belarus OR Brussels) (country OR discussed)", "sentence", True),
        ("(Belarus OR Brussels) (potash OR discussed)", "sentence", True),
        ("(Belarus OR Brussels) (potash OR nothing)", "sentence", False),
        ("Belarus NEAR/3 country", "sentence", True),
        ('"is a country"', "sentence", True),
        ('"country its"', "article", True),
        ('"country its"', "sentence", False),  # a phrase across a full stop
        ('"country its"', "paragraph", True),
        ('"potash sanctions"', "article", True),
        ('"potash sanctions"', "paragraph", False),  # across a blank line
        ('"potash sanctions" OR "discussed in"', "paragraph", True),
        ('"country its" OR Minsk', "sentence", False),
        ("NOT Minsk", "sentence", True),
    ],
)
def test_within(query: str, within: str, expected: bool) -> None:
    """The positive part must hold inside one window; NOT is judged on the whole article."""
    assert matches(query, WINDOWED, within=within) is expected


def test_within_title_and_lead_are_windows_of_their_own() -> None:
    """The title and the lead never share a window with the body."""
    a = article("Sanctions again.", title="Belarus news", lead="Potash.")
    assert matches("Belarus sanctions", a, within="article")
    assert not matches("Belarus sanctions", a, within="paragraph")
    assert not matches("Belarus sanctions", a, within="50 words")
    assert matches("Belarus news", a, within="sentence")


# --- fields, sources, languages ---------------------------------------------------------------


def test_fields() -> None:
    """Qualifiers and the rule's ``fields`` restrict where terms may occur."""
    a = article("Potash body text.", title="Lukashenko speaks", lead="Lead about Minsk.")
    assert matches("title:Lukashenko", a)
    assert not matches("body:Lukashenko", a)
    assert matches("lead:Minsk title:Lukashenko", a)
    assert matches("title:(Minsk OR speaks)", a)
    assert not matches("Lukashenko", a, fields=("body",))
    assert matches("Lukashenko", a, fields=("title", "body"))
    assert not matches("title:Lukashenko", a, fields=("body",))  # qualifier ∩ fields
    assert matches("Lukashenko -Minsk", a, fields=("title", "body"))  # NOT only in the fields
    assert not matches('"speaks lead"', a)  # phrases do not run from one field into the next
    assert not matches("speaks NEAR/0 lead", a)


def test_sources_filter() -> None:
    """A rule with ``sources`` only matches articles from those; an unknown source passes."""
    rs = ruleset(rule("Belarus", sources=("unn-en",)))
    a = article("Belarus")
    assert rs.match(a, source="unn-en")
    assert not rs.match(a, source="other")
    assert rs.match(a)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", True), ("EN-us", True), ("uk", True), ("ru", False), (None, True)],
)
def test_languages_filter(language: str | None, expected: bool) -> None:
    """``languages`` compares primary subtags; an article of unknown language passes."""
    rs = ruleset(rule("Belarus", languages=("en", "uk")))
    assert bool(rs.match(article("Belarus", language=language))) is expected


# --- compile ----------------------------------------------------------------------------------


def test_ruleset_names_length_and_disabled_rules() -> None:
    """Disabled rules are checked but left out, unless asked for."""
    rules = [rule("a", name="one"), rule("b", name="two", enabled=False), rule("c", name="three")]
    rs = compile_rules(rules, {})
    assert rs.rules == ("one", "three")
    assert len(rs) == 2
    assert compile_rules(rules, {}, include_disabled=True).rules == ("one", "two", "three")
    with pytest.raises(QuerySyntaxError):
        compile_rules([rule("(", enabled=False)], {})


def test_unknown_term_set_points_at_the_at_sign() -> None:
    """An ``@name`` missing from ``terms:`` is a syntax error at the column of the ``@``."""
    with pytest.raises(QuerySyntaxError) as info:
        compile_rules([rule("Belarus AND @sanktions")], TERMS)
    assert info.value.query_column == 13
    assert "unknown term set '@sanktions'" in str(info.value)
    assert info.value.query == "Belarus AND @sanktions"


def test_matches_in_config_order() -> None:
    """Matches come in the order of the rules."""
    rs = ruleset(rule("sanctions", name="z"), rule("Belarus", name="a"), rule("x", name="m"))
    assert [m.rule for m in rs.match(article(TEXT))] == ["z", "a"]


# --- spans and snippets -----------------------------------------------------------------------


def test_spans_are_offsets_into_each_field() -> None:
    """Each span names its field and slices exactly the matched text."""
    a = article(TEXT, title="Belarus: sanctions eased", lead="")
    m = match_one("@belarus AND @sanctions", a)
    assert m is not None
    texts = {"title": a.title, "lead": a.lead, "body": a.text}
    for span in m.spans:
        assert texts[span.field][span.start : span.end] == span.text
    assert Span(field="title", start=0, end=7, text="Belarus") in m.spans
    assert {s.text for s in m.spans} >= {"Belarus", "sanctions", "Санкції", "Білорусі"}


def test_phrase_span_covers_the_phrase() -> None:
    """A phrase is one span from its first word to its last."""
    m = match_one('"potash exports"', TEXT)
    assert m is not None
    assert [s.text for s in m.spans] == ["potash exports"]


def test_near_spans_are_the_pairs_that_are_near() -> None:
    """NEAR highlights the occurrences that satisfied it, not every occurrence."""
    text = "Belarus far far far far far far far far far far far far. sanctions Belarus."
    m = match_one("Belarus NEAR/1 sanctions", text)
    assert m is not None
    assert [(s.text, s.start) for s in m.spans] == [("sanctions", 57), ("Belarus", 67)]


def test_within_spans_come_from_the_matching_window() -> None:
    """With ``within``, the spans are those inside the windows that matched."""
    m = match_one("Belarus country", WINDOWED, within="sentence")
    assert m is not None
    assert [s.text for s in m.spans] == ["Belarus", "country"]


def test_snippet_marks_matched_words() -> None:
    """The snippet shows context with matched words marked «…»."""
    m = match_one("Belarus AND sanctions", TEXT)
    assert m is not None
    assert "«Belarus» relief from «sanctions»" in m.snippet
    assert "\n" not in m.snippet


def test_snippet_of_a_long_text_is_short() -> None:
    """A snippet is an excerpt, with ellipses where text was cut."""
    filler = "word " * 200
    m = match_one("Belarus", filler + "about Belarus today " + filler)
    assert m is not None
    assert m.snippet.startswith("…") and m.snippet.endswith("…")
    assert "«Belarus»" in m.snippet
    assert len(m.snippet) < 200


def test_pure_negative_rule_matches_with_no_spans() -> None:
    """``NOT x`` matches articles without x; there is nothing to highlight."""
    m = match_one("NOT Poland", article("Belarus text", lead="A lead."))
    assert m is not None
    assert m.spans == ()
    assert m.snippet == "A lead."


# --- explain ----------------------------------------------------------------------------------


def test_explain_says_why() -> None:
    """``explain`` reports every rule: matched with spans, or what was missing or vetoed."""
    rs = ruleset(
        rule("Belarus sanctions", name="yes"),
        rule("Belarus @lukashenko Poland", name="missing"),
        rule("Belarus -Lukashenko", name="vetoed"),
        rule("Belarus Санкції", name="window", within="sentence"),
        rule("Belarus", name="elsewhere", sources=("other",)),
        rule("Belarus NEAR/0 potash", name="far"),
    )
    reports = {r.rule: r for r in rs.explain(article(TEXT), source="unn-en")}
    assert list(reports) == ["yes", "missing", "vetoed", "window", "elsewhere", "far"]
    assert reports["yes"].matched and reports["yes"].spans and reports["yes"].reason == "matched"
    assert not reports["missing"].matched
    assert reports["missing"].missing == ("Poland",)
    assert reports["missing"].reason == "missing: Poland"
    assert reports["vetoed"].excluded == ("Lukashenko",)
    assert reports["window"].reason == "the terms occur, but not within one sentence"
    assert "source 'unn-en'" in reports["elsewhere"].reason
    assert reports["far"].missing == ("Belarus NEAR/0 potash",)


def test_explain_missing_term_set() -> None:
    """A missing term set is reported as written."""
    rs = ruleset(rule("@belarus @potash", name="r"))
    (report,) = rs.explain(article("Poland and potash"))
    assert report.missing == ("@belarus",)


def test_rule_without_terms_in_fields_never_matches() -> None:
    """A qualifier outside the rule's fields can never hold."""
    assert not matches("title:Belarus", article("x", title="Belarus"), fields=("body",))


def test_article_with_only_paragraphs() -> None:
    """The body falls back to the paragraphs when ``text`` is empty."""
    from watchwire.models import Article

    a = Article(title="t", paragraphs=("Belarus here.", "Sanctions there."))
    assert matches("Belarus sanctions", a)
    assert not matches("Belarus sanctions", a, within="paragraph")


def test_snippet_keeps_to_the_paragraph() -> None:
    """Context stops at paragraph breaks: no page chrome from the paragraph before."""
    m = match_one("Belarus", "Kyiv • UNN • 63412 views\n\nThe US talks with Belarus.\n\nNext.")
    assert m is not None
    assert m.snippet == "…The US talks with «Belarus».…"


def test_bad_term_set_spelling_points_at_the_rule() -> None:
    """A term set spelling that does not parse is reported at the ``@`` that uses it."""
    with pytest.raises(QuerySyntaxError) as info:
        compile_rules([rule("Belarus @bad")], {"bad": ["fine", "sanc*tion"]})
    assert info.value.query_column == 9
    assert "term set '@bad': spelling 'sanc*tion': '*' may only end a word" in str(info.value)


def test_empty_term_set_is_an_error() -> None:
    """A term set with no spellings cannot match anything: an error, not a silent rule."""
    with pytest.raises(QuerySyntaxError, match="term set '@none' is empty"):
        compile_rules([rule("@none")], {"none": ["", " "]})


def test_word_frequencies_shares() -> None:
    """Shares of articles per word; a prefix sums its words; unseen words are rare."""
    from watchwire.rules import WordFrequencies

    freq = WordFrequencies.from_articles(
        [article("Belarus sanctions"), article("Belarus Belarus"), article("potash")]
    )
    assert freq.share("belarus") == pytest.approx(2 / 3)
    assert freq.share("sanction*") == pytest.approx(1 / 3)
    assert freq.share("bel*") == pytest.approx(2 / 3)
    assert freq.share("poland") < 0.2
    assert freq.clause_cost(frozenset({"belarus", "potash"})) == pytest.approx(1.0)


# --- deferred spans and snippets --------------------------------------------------------------

DEFERRED_RULES = [
    rule("Belarus sanctions", name="words"),
    rule("@belarus AND @sanctions", name="sets"),
    rule('"potash exports" OR калій*', name="phrase"),
    rule("Belarus NEAR/3 sanction*", name="near"),
    rule("Belarus -Poland", name="not"),
    rule("title:Belarus sanctions", name="title"),
    rule("Belarus sanctions", name="sentence", within="sentence"),
    rule("Санкції Білорус*", name="paragraph", within="paragraph"),
    rule("Lukashenko government", name="words3", within="3 words"),
    rule("NOT Poland", name="negative"),
]


@pytest.mark.parametrize("order", ["forward", "backward", "snippet first"])
def test_deferred_spans_and_snippets_are_the_eager_ones(order: str) -> None:
    """Spans and snippets built after matching, in any order, equal those ``explain`` builds."""
    a = article(TEXT, title="Belarus: sanctions eased", lead="Minsk welcomed the news.")
    rs = ruleset(*DEFERRED_RULES)
    got = rs.match(a)
    assert [m.rule for m in got] == [r.name for r in DEFERRED_RULES]
    if order == "snippet first":
        for m in got:
            assert m.snippet
    for m in got if order != "backward" else got[::-1]:
        assert m.spans is m.spans  # built once
    eager = {r.rule: r for r in ruleset(*DEFERRED_RULES).explain(a)}
    for m in got:
        assert (m.spans, m.snippet) == (eager[m.rule].spans, eager[m.rule].snippet), m.rule


def test_match_is_an_immutable_value() -> None:
    """A deferred match equals, hashes and pickles like an eager one with the same values."""
    import dataclasses
    import pickle

    from watchwire.models import Match

    m = match_one("Belarus AND sanctions", TEXT)
    assert m is not None
    eager = Match(rule=m.rule, spans=m.spans, snippet=m.snippet)
    assert m == eager and hash(m) == hash(eager)
    assert m != Match(rule=m.rule, spans=(), snippet=m.snippet)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.rule = "other"
    lazy = match_one("Belarus AND sanctions", TEXT)
    assert pickle.loads(pickle.dumps(lazy)) == eager
    assert repr(lazy) == repr(eager) and "«Belarus»" in repr(eager)


@pytest.mark.parametrize(
    ("query", "within", "fields", "decided"),
    [
        ("Belarus sanctions", "article", ("title", "lead", "body"), True),
        ("(Belarus OR Білорус*) AND sanction*", "article", ("title", "lead", "body"), True),
        ("@belarus @sanctions", "article", ("title", "lead", "body"), True),
        ("Belarus sanctions", "sentence", ("title", "lead", "body"), False),
        ("Belarus OR Poland", "sentence", ("title", "lead", "body"), True),
        ("Belarus sanctions", "article", ("body",), False),
        ("title:Belarus sanctions", "article", ("title", "lead", "body"), False),
        ('"potash exports" Belarus', "article", ("title", "lead", "body"), False),
        ("@potash Belarus", "article", ("title", "lead", "body"), False),  # a phrase spelling
        ("Belarus -Poland", "article", ("title", "lead", "body"), False),
        ("Belarus OR (potash sanctions)", "article", ("title", "lead", "body"), False),
        ("Belarus NEAR sanctions", "article", ("title", "lead", "body"), False),
    ],
)
def test_rules_the_prefilter_decides(
    query: str, within: str, fields: tuple[str, ...], decided: bool
) -> None:
    """Rules whose prefilter clauses are exactly the query match without being evaluated."""
    rs = ruleset(rule(query, within=within, fields=fields))
    assert rs.compiled("r").decided is decided
