"""Hostile input: the extractor returns what it can and never raises."""

from __future__ import annotations

import json
import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchwire.extract import extract_article
from watchwire.models import Article

from .pages import STORY, article_page, page, paragraphs

CYRILLIC_STORY = (
    "Міська рада у вівторок проголосувала за продовження трамвайної лінії до північних "
    "районів, завершивши суперечку, що тривала понад десять років."
)


@pytest.mark.parametrize(
    "html",
    [
        pytest.param("", id="empty-str"),
        pytest.param(b"", id="empty-bytes"),
        pytest.param("   \n\t ", id="whitespace"),
        pytest.param("<html><head></head><body></body></html>", id="empty-document"),
        pytest.param("just some text, no markup at all", id="no-markup"),
        pytest.param(b"\x00\xff\xfe\x00" * 1000, id="nul-and-bom-junk"),
        pytest.param(os.urandom(64 * 1024), id="random-bytes"),
        pytest.param("<frameset><frame src='a.html'></frameset>", id="frameset"),
        pytest.param("<p>unclosed <b>tags <i>everywhere <div>and <table><td>more", id="tag-soup"),
        pytest.param("\ud800 lone surrogate <p>text</p>", id="lone-surrogate"),
        pytest.param(page("<p>" + "<a>" * 5000), id="unclosed-links"),
    ],
)
def test_garbage_gives_an_article_not_an_exception(html: str | bytes) -> None:
    """Empty, binary, broken and odd documents all give an Article."""
    assert isinstance(extract_article(html), Article)


def test_deeply_nested_markup() -> None:
    """100,000 nested elements do not hit a recursion limit and the text is still found."""
    depth = 100_000
    html = page("<div>" * depth + paragraphs(*STORY) + "</div>" * depth)
    article = extract_article(html)
    assert STORY[0] in article.text


def test_deeply_nested_json_ld() -> None:
    """JSON-LD nested past the json module's recursion limit is skipped."""
    head = '<script type="application/ld+json">' + "[" * 100_000 + "]" * 100_000 + "</script>"
    assert extract_article(article_page(head=head)).paragraphs == STORY


def test_json_ld_with_wrong_types_is_tolerated() -> None:
    """Numbers, nulls and lists where strings belong do not break metadata."""
    data = {
        "@type": "NewsArticle",
        "headline": ["A", "B"],
        "author": 42,
        "datePublished": None,
        "image": [{"url": None}],
        "keywords": {"x": 1},
        "inLanguage": 5,
    }
    head = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    # (No <h1>: the page's own heading would be the title.)
    assert extract_article(page(paragraphs(*STORY), head)).title == "A"


def test_ten_megabyte_page_is_handled_in_reasonable_time() -> None:
    """A 10 MB page of paragraphs is processed, linearly."""
    filler = paragraphs(*STORY) * 25_000
    html = page(f"<article>{filler}</article>").encode()
    assert len(html) > 10_000_000
    start = time.perf_counter()
    article = extract_article(html)
    assert time.perf_counter() - start < 30
    assert article.paragraphs[:3] == STORY


def test_undeclared_windows_1251_is_detected() -> None:
    """Bytes that declare nothing and are not UTF-8 are decoded by detection."""
    html = f"<html><body><article><p>{CYRILLIC_STORY}</p></article></body></html>"
    article = extract_article(html.encode("windows-1251"))
    assert article.text == CYRILLIC_STORY


def test_declared_charset_is_honoured() -> None:
    """<meta charset> names the encoding of the bytes."""
    html = f'<html><head><meta charset="koi8-u"></head><body><p>{CYRILLIC_STORY}</p></body></html>'
    assert extract_article(html.encode("koi8-u")).text == CYRILLIC_STORY


def test_http_equiv_charset_is_honoured() -> None:
    """The old http-equiv form of the declaration works too."""
    head = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
    html = f"<html><head>{head}</head><body><p>{CYRILLIC_STORY}</p></body></html>"
    assert extract_article(html.encode("windows-1251")).text == CYRILLIC_STORY


def test_false_utf8_declaration_is_overruled_by_detection() -> None:
    """A page that claims UTF-8 but is windows-1251 is still read correctly."""
    html = f'<html><head><meta charset="utf-8"></head><body><p>{CYRILLIC_STORY}</p></body></html>'
    assert extract_article(html.encode("windows-1251")).text == CYRILLIC_STORY


def test_utf16_with_bom() -> None:
    """A byte-order mark wins."""
    html = f"<html><body><p>{CYRILLIC_STORY}</p></body></html>"
    assert extract_article(html.encode("utf-16")).text == CYRILLIC_STORY


def test_invalid_bytes_in_utf8_page_do_not_break_extraction() -> None:
    """A few broken bytes in a UTF-8 page cost those characters only."""
    html = article_page().encode().replace(b"council", b"coun\xffcil", 1)
    assert STORY[1] in extract_article(html).text


TAGS = ["p", "div", "a", "span", "article", "nav", "h1", "li", "ul", "br", "script", "table", "td"]
fragment = st.recursive(
    st.text(max_size=40),
    lambda inner: st.builds(
        lambda tag, attrs, children: f"<{tag}{attrs}>{''.join(children)}</{tag}>",
        st.sampled_from(TAGS),
        st.sampled_from(["", ' class="share"', " hidden", ' style="display:none"', ' id="x"']),
        st.lists(inner, max_size=5),
    ),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None, database=None)
@given(body=fragment, head=st.text(max_size=200))
def test_any_markup_gives_an_article(body: str, head: str) -> None:
    """Arbitrary nesting of tags, attributes and text never raises."""
    for html in (page(body, head), body, body.encode("utf-8", "surrogatepass")):
        assert isinstance(extract_article(html, url="https://example.org/a"), Article)


@settings(max_examples=200, deadline=None, database=None)
@given(data=st.binary(max_size=2000))
def test_any_bytes_give_an_article(data: bytes) -> None:
    """Arbitrary bytes never raise, with or without a charset declaration in front."""
    assert isinstance(extract_article(data), Article)
    assert isinstance(extract_article(b'<meta charset="koi8-r">' + data), Article)


def test_a_headline_nested_absurdly_deep_is_read() -> None:
    """A heading in 50,000 nested spans: its text, no recursion error."""
    title = "<span>" * 50_000 + "Tram line extended" + "</span>" * 50_000
    head = '<meta property="og:title" content="Tram line extended">'
    assert extract_article(page(f"<h1>{title}</h1>" + paragraphs(*STORY), head)).title == (
        "Tram line extended"
    )
