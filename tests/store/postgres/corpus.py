"""Articles and rule queries in Latin and Cyrillic, for testing search against the rules engine.

The words are the awkward ones of news text: apostrophes of four kinds (``Lukashenko's``,
``мʼясо``), hyphens (``Belarus-based``), diacritics precomposed and decomposed (``café``,
``cafe\u0301``), stress marks, case folding that changes length (``Straße``), NFKC forms
(``ﬁnance``, full-width letters), and short words that are prefixes of others.
"""

from __future__ import annotations

import random

from hypothesis import strategies as st

from watchwire.models import Article
from watchwire.rules.tokens import words

WORDS = [
    "Belarus", "BELARUS", "belarus", "Belarus-based", "Belarusian", "Ｂｅｌａｒｕｓ",
    "Lukashenko", "Lukashenko's", "Lukashenko’s", "s", "sanction", "sanctions", "Sanctioned",
    "potash", "exports", "a", "ab", "x",
    "мʼясо", "м'ясо", "м’ясо", "м", "ясо", "О'Брайен", "Брайен", "о",
    "Білорусь", "БІЛОРУСІ", "білору\u0301сь", "санкції", "санкция", "Беларусь",
    "Białoruś", "Bialorus", "café", "cafe\u0301", "naïve", "naive", "Straße", "STRASSE",
    "ﬁnance", "finance", "COVID-19", "19",
]  # fmt: skip
"""Raw words as articles have them."""

QUERY_WORDS = [
    "Belarus", "belarus-based", "Lukashenko's", "Lukashenko’s", "lukashenko", "s", "sanctions",
    "potash", "exports", "a", "ab", "x", "мʼясо", "м'ясо", "ясо", "О'Брайен", "брайен",
    "білорусь", "білорусі", "санкції", "białoruś", "café", "cafe\u0301", "naive", "strasse",
    "Straße", "finance", "ﬁnance", "covid-19", "19", "absent",
]  # fmt: skip
PREFIXES = ["sanction*", "Belarus*", "білорус*", "Białoru*", "caf*", "м*", "a*", "strass*"]

TERMS: dict[str, list[str]] = {
    "belarus": ["Belarus", "Belarusian*", "Беларус*", "Білорус*", "Białoru*"],
    "sanctions": ["sanction*", "санкці*", "санкци*"],
    "meat": ["мʼясо", '"м ясо"'],
    "obrien": ["О'Брайен", '"Lukashenko s"'],
}
SEPARATORS = [" ", " ", " ", ", ", ". ", " — ", "-", "’", "'", "\n", " «", "» "]


def corpus(seed: int, size: int) -> list[Article]:
    """``size`` random articles (title, lead, paragraphs), the same for the same seed."""
    rnd = random.Random(seed)

    def text(n: int) -> str:
        out = ""
        for _ in range(rnd.randint(0, n)):
            out += rnd.choice(WORDS) + rnd.choice(SEPARATORS)
        return out.strip()

    docs = []
    for _ in range(size):
        body = "\n\n".join(text(14) for _ in range(rnd.randint(1, 3)))
        docs.append(article(body, title=text(5), lead=text(7)))
    docs += [
        article("Lukashenko's potash exports", title="Belarus-based"),
        article("Вʼячеслав і мʼясо", title="О'Брайен", lead="café naïve"),
        article("ﬁnance in Ｂｅｌａｒｕｓ", lead="Straße", title="білору\u0301сь"),
    ]
    return docs


def article(body: str = "", *, title: str = "", lead: str = "") -> Article:
    paragraphs = tuple(p for p in body.split("\n\n") if p)
    return Article(title=title, lead=lead, text=body, paragraphs=paragraphs)


# --- queries, as the query text a user writes -----------------------------------------------------

words_st = st.sampled_from(QUERY_WORDS)
prefixes_st = st.sampled_from(PREFIXES)
phrases_st = st.lists(st.one_of(words_st, prefixes_st), min_size=2, max_size=3).map(
    lambda ws: '"' + " ".join(ws) + '"'
)
terms_st = st.sampled_from(["@" + name for name in TERMS])
leaves_st = st.one_of(words_st, words_st, prefixes_st, phrases_st, terms_st)
fielded_st = st.builds(
    lambda f, leaf: f"{f}:{leaf}", st.sampled_from(["title", "lead", "body"]), leaves_st
)
operands_st = st.one_of(leaves_st, leaves_st, fielded_st)
near_side_st = st.one_of(
    operands_st, st.lists(operands_st, min_size=2, max_size=2).map(lambda o: f"({o[0]} OR {o[1]})")
)
near_st = st.builds(
    lambda a, n, b: f"({a} NEAR/{n} {b})", near_side_st, st.integers(0, 4), near_side_st
)


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    ands = st.lists(children, min_size=2, max_size=3)
    return st.one_of(
        ands.map(lambda cs: "(" + " AND ".join(cs) + ")"),
        ands.map(lambda cs: "(" + " ".join(cs) + ")"),
        st.lists(children, min_size=2, max_size=3).map(lambda cs: "(" + " OR ".join(cs) + ")"),
        # NOT mostly beside a positive part, as queries have it (a lone NOT narrows nothing).
        st.tuples(children, children).map(lambda c: f"({c[0]} -{c[1]})"),
        operands_st.map(lambda c: f"NOT {c}"),
    )


queries_st: st.SearchStrategy[str] = st.recursive(
    st.one_of(operands_st, near_st), _extend, max_leaves=6
)
"""Any query of the language."""

# The exact part: words, prefixes, phrases, fields, AND, OR, and NOT of words only.
_exact_leaves_st = st.one_of(words_st, prefixes_st, phrases_st, fielded_st)
_single_words = [w for w in QUERY_WORDS + PREFIXES if len(words(w)) == 1]
_not_words_st = st.sampled_from(_single_words).map(lambda w: f"-{w}")


def _exact_extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(st.one_of(children, _not_words_st), min_size=2, max_size=3).map(
            lambda cs: "(" + " AND ".join(cs) + ")"
        ),
        st.lists(children, min_size=2, max_size=3).map(lambda cs: "(" + " OR ".join(cs) + ")"),
    )


exact_queries_st: st.SearchStrategy[str] = st.recursive(
    _exact_leaves_st, _exact_extend, max_leaves=6
)
"""Queries whose ``tsquery`` selects exactly the engine's matches (``within: article``)."""

FIELD_SETS = [("title", "lead", "body"), ("body",), ("title", "lead"), ("lead", "body")]
WITHIN = ["article", "sentence", "paragraph", "3 words"]
