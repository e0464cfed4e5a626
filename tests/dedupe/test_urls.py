"""URL canonicalisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchwire.dedupe import canonicalize_url, same_site

TABLE = [
    # scheme and host
    ("HTTPS://WWW.Example.COM/News/Story", "https://www.example.com/News/Story"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com.", "https://example.com/"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("http://example.com:443/a", "http://example.com:443/a"),
    ("https://user@example.com/a", "https://user@example.com/a"),
    ("https://[2001:db8::1]:443/a", "https://[2001:db8::1]/a"),
    (
        "https://пример.рф/новости",
        "https://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8",
    ),
    ("https://BÜCHER.de/x", "https://xn--bcher-kva.de/x"),
    # fragments and trailing slashes
    ("https://example.com/a#comments", "https://example.com/a"),
    ("https://example.com/a/#", "https://example.com/a"),
    ("https://example.com/news/story/", "https://example.com/news/story"),
    ("https://example.com/news/story//", "https://example.com/news/story"),
    ("https://example.com/", "https://example.com/"),
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("https://example.com/a/b/..", "https://example.com/a"),
    # tracking parameters, sorting
    ("https://example.com/a?utm_source=tw&utm_medium=social", "https://example.com/a"),
    ("https://example.com/a?UTM_Campaign=x&id=7", "https://example.com/a?id=7"),
    ("https://example.com/a?fbclid=IwAR0&gclid=1&yclid=2&_ga=3", "https://example.com/a"),
    ("https://example.com/a?ref=home&mc_cid=1&mc_eid=2&igshid=3", "https://example.com/a"),
    ("https://example.com/a?b=2&a=1&c=3", "https://example.com/a?a=1&b=2&c=3"),
    ("https://example.com/a?id=5&utm_source=x&page=2", "https://example.com/a?id=5&page=2"),
    ("https://example.com/a?", "https://example.com/a"),
    ("https://example.com/a?&&id=1&", "https://example.com/a?id=1"),
    ("https://example.com/a?q=a+b&flag", "https://example.com/a?flag&q=a+b"),
    # percent-encoding
    ("https://example.com/%7euser/%2f", "https://example.com/~user/%2F"),
    ("https://example.com/a%2db%5Fc", "https://example.com/a-b_c"),
    ("https://example.com/a b", "https://example.com/a%20b"),
    ("https://example.com/новини/1", "https://example.com/%D0%BD%D0%BE%D0%B2%D0%B8%D0%BD%D0%B8/1"),
    ("https://example.com/s?q=%d0%b1%D0%B5", "https://example.com/s?q=%D0%B1%D0%B5"),
    ("https://example.com/s?q=a%26b", "https://example.com/s?q=a%26b"),
    ("https://example.com/s?%7A=1&b=2&utm%5Fsource=x", "https://example.com/s?b=2&z=1"),
    # AMP variants
    ("https://example.com/news/story/amp", "https://example.com/news/story"),
    ("https://example.com/news/story/amp/", "https://example.com/news/story"),
    ("https://example.com/amp/news/story", "https://example.com/news/story"),
    ("https://www.bbc.com/news/amp/world-50473792", "https://www.bbc.com/news/world-50473792"),
    ("https://example.com/news/story.amp", "https://example.com/news/story"),
    ("https://example.com/news/story.amp.html", "https://example.com/news/story.html"),
    ("https://example.com/news/story?amp=1", "https://example.com/news/story"),
    ("https://example.com/news/story?amp", "https://example.com/news/story"),
    ("https://example.com/news/story?outputType=amp", "https://example.com/news/story"),
    ("https://amp.example.com/news/story", "https://example.com/news/story"),
    ("https://example.com/news/ampere-record", "https://example.com/news/ampere-record"),
    ("https://example.com/news/story?amp=0", "https://example.com/news/story?amp=0"),
    # not ours to touch
    ("mailto:news@example.com", "mailto:news@example.com"),
    ("  https://example.com/a  ", "https://example.com/a"),
    ("/relative/path", "/relative/path"),
    ("http://[::1", "http://[::1"),
    ("https://" + "é" * 70 + ".com/a", "https://" + "%c3%a9" * 70 + ".com/a"),
]


@pytest.mark.parametrize(("url", "expected"), TABLE)
def test_canonical_form(url: str, expected: str) -> None:
    """Each URL maps to its canonical form."""
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize(("url", "expected"), TABLE)
def test_canonical_form_is_a_fixed_point(url: str, expected: str) -> None:
    """Canonicalising a canonical URL changes nothing."""
    assert canonicalize_url(expected) == expected


def test_extra_params_from_config_with_wildcards() -> None:
    """``extra_params`` adds names and ``prefix_*`` wildcards, case-insensitively."""
    url = "https://example.com/a?id=1&src=rss&Partner_ID=9&partner_tag=x&partnership=keep"
    assert (
        canonicalize_url(url, extra_params=["src", "partner_*"])
        == "https://example.com/a?id=1&partnership=keep"
    )
    assert canonicalize_url(url) == (
        "https://example.com/a?Partner_ID=9&id=1&partner_tag=x&partnership=keep&src=rss"
    )


def test_extra_params_given_as_one_string_or_a_bare_star() -> None:
    """One name as a plain string is one name, not its letters; a bare ``*`` drops nothing."""
    url = "https://example.com/a?s=1&src=rss"
    assert canonicalize_url(url, extra_params="src") == "https://example.com/a?s=1"
    assert canonicalize_url(url, extra_params=["*"]) == url


@pytest.mark.parametrize(
    ("url", "canonical", "expected"),
    [
        ("https://example.com/?p=123", "/2024/01/02/story", "https://example.com/2024/01/02/story"),
        ("https://example.com/a/b/x", "../story", "https://example.com/a/story"),
        (
            "https://m.example.com/x?id=1",
            "https://www.example.com/x/1/",
            "https://www.example.com/x/1",
        ),
        (
            "https://amp.example.com/x",
            "//www.example.com/x?utm_source=amp",
            "https://www.example.com/x",
        ),
        ("https://example.com/x?id=1", "https://syndicator.com/x", "https://example.com/x?id=1"),
        ("https://example.com/x?id=1", "https://www.example.com/", "https://example.com/x?id=1"),
        ("https://example.com/x", "mailto:desk@example.com", "https://example.com/x"),
        ("https://example.com/x", "   ", "https://example.com/x"),
        ("https://example.com/", "https://www.example.com", "https://www.example.com/"),
        # Another port is another origin: maybe another party's server on a shared host.
        ("http://127.0.0.1:8080/a", "http://127.0.0.1:9090/b", "http://127.0.0.1:8080/a"),
        ("https://example.com/a", "https://example.com:8443/b", "https://example.com/a"),
        ("http://example.com/a", "https://example.com/b", "https://example.com/b"),
    ],
)
def test_rel_canonical_is_preferred_on_the_same_site(
    url: str, canonical: str, expected: str
) -> None:
    """A same-site rel=canonical (relative or absolute) wins; another site's, a home-page
    canonical of an article, or a non-web one is ignored."""
    assert canonicalize_url(url, canonical=canonical) == expected


def test_same_site_ignores_www_m_and_amp() -> None:
    """``www.``, ``m.`` and ``amp.`` hosts are one site; other subdomains are not."""
    assert same_site("https://www.example.com/a", "https://m.example.com/b")
    assert same_site("https://amp.example.com/a", "https://example.com/b")
    assert not same_site("https://edition.example.com/a", "https://www.example.com/a")
    assert not same_site("https://example.com/a", "https://example.org/a")


@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40).map(
        lambda s: f"https://Example.com/{s}"
    ),
)
def test_canonicalisation_is_idempotent_and_total(url: str) -> None:
    """Any input yields a URL that is its own canonical form, without raising."""
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "Z", "%7A", "utm_x", "utm%5Fy", "amp", "ref", "é", "q%20"]),
            st.sampled_from(["", "=", "=1", "=%41", "=a b", "=amp", "=%26"]),
        ),
        max_size=6,
    )
)
def test_query_canonicalisation_is_idempotent(pairs: list[tuple[str, str]]) -> None:
    """Escapes are normalised before sorting and filtering, so the result is stable."""
    once = canonicalize_url("https://example.com/p?" + "&".join(k + v for k, v in pairs))
    assert canonicalize_url(once) == once
