"""The class/id vocabulary matcher."""

from __future__ import annotations

import re

import pytest

from watchwire.extract.classes import is_chrome_name, literal_trie


@pytest.mark.parametrize(
    "name",
    [
        "share-buttons",
        "td-post-sharing",
        "relatedPosts",
        "site-footer",
        "main_nav",
        "ad-slot",
        "post-tags",
        "comments",
        "cli-modal",
        "news-views",
        "currency-ticker",
    ],
)
def test_chrome_names(name: str) -> None:
    """Substrings, whole words, last parts and first parts mark chrome."""
    assert is_chrome_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "entry-content clearfix",
        "post-7908 post type-post tag-belarus category-news",  # WordPress taxonomy classes
        "article-inner-content-breaking-news",
        "headline",
        "social-media-embed",  # an embedded post quoted by the story
        "field field-name-body field-label-hidden",  # Drupal: the label is hidden
        "main-content-wrap has-section-nav",  # a layout state of a wrapper
        "badge",
        "",
    ],
)
def test_content_names(name: str) -> None:
    """Story containers, taxonomy classes and embeds are not chrome."""
    assert not is_chrome_name(name)


def test_literal_trie_matches_exactly_the_words() -> None:
    """The factored regex accepts each word, including words that prefix others."""
    words = ["ad", "ads", "advert", "share", "sharing", "x.y"]
    pattern = re.compile(f"^(?:{literal_trie(words)})$")
    assert all(pattern.match(w) for w in words)
    assert not any(pattern.match(w) for w in ["a", "adv", "shar", "xzy", "sharingx"])
