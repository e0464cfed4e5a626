"""The story's edges: chrome that lives inside the article element, above and below the text."""

from __future__ import annotations

import pytest

from watchwire.extract import extract_article

from .pages import STORY, page, paragraphs

TEASERS = "".join(
    f'<li><a href="/{i}">{title}</a></li>'
    for i, title in enumerate(
        (
            "Bus fares will rise in January",
            "New bridge opens to cyclists",
            "Council approves the city budget",
        )
    )
)


def story_with(*, above: str = "", below: str = "") -> str:
    return page(f"<article>{above}{paragraphs(*STORY)}{below}</article>")


def text_of(html: str) -> str:
    return extract_article(html).text


@pytest.mark.parametrize(
    "above",
    [
        pytest.param("<p>Nov. 20, 2019 5:52 AM EST</p>", id="dateline-us"),
        pytest.param("<div>15.02.25, 10:46</div>", id="dateline-numeric"),
        pytest.param("<p>segunda-feira, 22 de janeiro de 2018 às 0:13</p>", id="dateline-pt"),
        pytest.param("<p>By Jane Roe, City Reporter</p>", id="byline"),
        pytest.param("<h2>Tram line extended</h2>", id="title-repeated"),
        pytest.param("<p>Chat with us in Facebook Messenger.</p>", id="call-to-action"),
        pytest.param("<h3>JUST WATCHED</h3><div>Replay</div>", id="labels"),
    ],
)
def test_chrome_above_the_story_is_trimmed(above: str) -> None:
    """Datelines, bylines, the title again and calls to action above the first paragraph go."""
    assert text_of(story_with(above=above)) == "\n\n".join(STORY)


@pytest.mark.parametrize(
    "below",
    [
        pytest.param("<p>First Published on Nov 20, 2019 01:38 pm</p>", id="dateline"),
        pytest.param(
            "<p>Follow The City News on Facebook, Twitter (@citynews) and Instagram.</p>",
            id="follow-us",
        ),
        pytest.param(
            "<p>Get the latest updates right in your inbox. Subscribe to our newsletters.</p>",
            id="newsletter",
        ),
        pytest.param("<p>Like this story? Share it with a friend!</p>", id="share"),
        pytest.param(f"<div>More Great City Stories</div><ul>{TEASERS}</ul>", id="teaser-list"),
        pytest.param(
            "<ul>"
            + "".join(
                f"<li><a href='/{i}'>Bus fares</a> will rise in January, and the council says "
                "the new tickets will be valid on trams too, from the first day of the new line "
                "to the northern districts and for the whole of the next year.</li>"
                for i in range(3)
            )
            + "</ul>",
            id="teaser-list-with-blurbs",
        ),
        pytest.param("<h3>Tell us what you think</h3>", id="trailing-label"),
    ],
)
def test_chrome_below_the_story_is_trimmed(below: str) -> None:
    """Datelines, calls to action, labels and teaser lists after the last paragraph go."""
    assert text_of(story_with(below=below)) == "\n\n".join(STORY)


def test_a_closing_sentence_with_a_link_is_kept() -> None:
    """One short linked sentence at the end is story, not a teaser list."""
    closing = '<p>The full <a href="/report">report</a> is online.</p>'
    assert text_of(story_with(below=closing)).endswith("The full report is online.")


def test_an_embedded_post_at_the_end_is_kept() -> None:
    """A quoted tweet closing the story keeps its attribution line."""
    tweet = (
        '<blockquote class="twitter-tweet"><p>The tram is coming north at last!</p>'
        '— Jane Roe (@janeroe) <a href="https://twitter.com/x">November 18, 2019</a></blockquote>'
    )
    text = text_of(story_with(below=tweet))
    assert text.endswith("— Jane Roe (@janeroe) November 18, 2019")


def test_a_linked_sentence_inside_the_story_is_kept() -> None:
    """A paragraph that is all link but reads as a sentence belongs to the story."""
    linked = (
        '<p><a href="/x">Australian-born Assange faces a charge of conspiracy in the US.</a></p>'
    )
    html = page(f"<article>{paragraphs(*STORY[:2])}{linked}{paragraphs(STORY[2])}</article>")
    assert "Australian-born Assange faces a charge of conspiracy in the US." in text_of(html)


def test_dates_inside_the_story_are_kept() -> None:
    """Only the edges are trimmed: a short paragraph with a date mid-story stays."""
    middle = "<p>The vote was at 10:30 on 5.11.2024.</p>"
    html = page(f"<article>{paragraphs(*STORY[:2])}{middle}{paragraphs(STORY[2])}</article>")
    assert "The vote was at 10:30 on 5.11.2024." in text_of(html)
