"""Tokenisation: one definition of a word for rules and articles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchwire.rules import normalize, tokenize
from watchwire.rules.tokens import analyse, sentence_breaks, token_offsets, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Belarus sanctions", ["belarus", "sanctions"]),
        ("Belarus-based", ["belarus", "based"]),
        ("Lukashenko's", ["lukashenko", "s"]),
        ("Lukashenko’s potash", ["lukashenko", "s", "potash"]),
        ("м'ясо, мʼясо і м’ясо", ["м", "ясо", "м", "ясо", "і", "м", "ясо"]),
        ("БІЛОРУСІ та Білоруссю", ["білорусі", "та", "білоруссю"]),
        ("Беларусь — санкции!", ["беларусь", "санкции"]),
        ("Białoruś, sankcje", ["białoruś", "sankcje"]),
        ("ＢＥＬＡＲＵＳ", ["belarus"]),  # full width: NFKC
        ("ﬁnance", ["finance"]),  # ligature: NFKC
        ("STRASSE Straße", ["strasse", "strasse"]),  # case folding, not lower()
        ("Й (decomposed)", ["й", "decomposed"]),
        ("моло́ко", ["моло́ко"]),  # a stress mark stays inside the word
        ("snake_case 2024 COVID-19", ["snake", "case", "2024", "covid", "19"]),
        ("10\u00a0000 … «цитата»", ["10", "000", "цитата"]),
        ("", []),
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    """Words are runs of letters and digits, case-folded and NFKC; everything else splits."""
    assert words(text) == expected
    assert [t.word for t in tokenize(text)] == expected


@pytest.mark.parametrize(
    "text", ["Belarus-based «Білорусі» ﬁnance", "Straße und İstanbul", "plain ascii text"]
)
def test_offsets_point_into_the_original_text(text: str) -> None:
    """Token offsets are into the text as given, even where normalising changes lengths."""
    for tok in tokenize(text):
        assert normalize(text[tok.start : tok.end]).startswith(tok.word[:1])
        assert not text[tok.start : tok.end].isspace()


def test_offsets_fast_path() -> None:
    """The fast path's offsets are exact."""
    text = "The Belarus-based producer"
    assert [(t.start, t.end) for t in tokenize(text)] == [(0, 3), (4, 11), (12, 17), (18, 26)]


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("One. Two! Three? Four… Five.", 5),
        ("Mr. Smith met Dr. Jones. They talked.", 2),
        ("О. Лукашенко заявив. Все.", 2),
        ("U.S. sanctions on Belarus. Next sentence.", 2),
        ("no capital. after the stop", 1),
        ("line one\nline two", 2),
    ],
)
def test_sentences(text: str, count: int) -> None:
    """Sentence ends: stops before capitals, not after initials or abbreviations."""
    assert len(sentence_breaks(text)) + 1 == count


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"aA1 .!?…\n\t\"'»”’)]«(", "Mr", "Б"]), max_size=40).map("".join))
def test_sentence_end_pattern_is_the_plain_one(text: str) -> None:
    """The sentence-end regex, rewritten for speed, finds what the plain form finds."""
    import re

    from watchwire.rules.tokens import _SENTENCE_END

    plain = re.compile(r"[.!?…]+[\"'»”’)\]]*\s+|\n\s*")
    assert [m.span() for m in _SENTENCE_END.finditer(text)] == [
        m.span() for m in plain.finditer(text)
    ]


_CHARS = [*"aZ9_ -'’ʼ.\n\u00a0…«»", *"іїйІЇЙßẞŉǰΐ", "\u0301", "\u0306", "ﬁ", "Ａ", "½", "İ", "ς"]
_ALPHABET = st.sampled_from(_CHARS)


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=40) | st.text(max_size=20))
def test_words_and_tokens_agree(text: str) -> None:
    """The cheap word list and the tokens with offsets are the same words, in order."""
    toks = tokenize(text)
    assert words(text) == [t.word for t in toks]
    assert token_offsets(text, analyse(text)) == [(t.start, t.end) for t in toks]
    for t in toks:
        assert t.word and t.word == normalize(t.word)
        assert 0 <= t.start < t.end <= len(text)


@settings(max_examples=500, deadline=None)
@given(
    st.text(st.sampled_from([*_CHARS, ",", "(", "—", "\u2212", "\u00ad", "🏳"]))
    | st.text(max_size=30)
)
def test_fast_words_are_the_defined_words(text: str) -> None:
    """The fast path (fold, space out punctuation, split) finds the words of the definition."""
    from watchwire.rules.tokens import _slow_words

    assert analyse(text).words == _slow_words(text)
