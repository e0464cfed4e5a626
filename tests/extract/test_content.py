"""Main-text selection: the story's blocks in, every class of page chrome out."""

from __future__ import annotations

import pytest

from watchwire.extract import extract_article

from .pages import STORY, article_page, page, paragraphs

MENU = "".join(f'<li><a href="/{w}">{w.title()}</a></li>' for w in ("news", "sport", "culture"))


def text_of(html: str) -> str:
    return extract_article(html).text


def test_story_paragraphs_are_kept_with_their_boundaries() -> None:
    """Each <p> is one paragraph; text joins them with blank lines."""
    article = extract_article(article_page())
    assert article.paragraphs == STORY
    assert article.text == "\n\n".join(STORY)


def test_title_heading_is_not_repeated_in_the_body() -> None:
    """The <h1> is the title, not body text."""
    assert "Tram line extended" not in text_of(article_page())


@pytest.mark.parametrize(
    "chrome",
    [
        pytest.param("<script>var tracking = 'Breaking sports news';</script>", id="script"),
        pytest.param("<style>.x{color:red} /* Breaking sports news */</style>", id="style"),
        pytest.param("<noscript>Breaking sports news need JavaScript</noscript>", id="noscript"),
        pytest.param("<!-- Breaking sports news -->", id="html-comment"),
        pytest.param(
            '<form action="/s"><label>Breaking sports news</label><input name="q"></form>',
            id="form",
        ),
        pytest.param(
            '<div style="display: none">Breaking sports news from the hidden drawer.</div>',
            id="hidden-style",
        ),
        pytest.param("<div hidden>Breaking sports news from the hidden drawer.</div>", id="hidden"),
    ],
)
def test_non_content_markup_is_dropped(chrome: str) -> None:
    """Scripts, styles, comments, forms and hidden elements never reach the text."""
    text = text_of(article_page(inside=chrome))
    assert "Breaking sports news" not in text
    assert STORY[0] in text


@pytest.mark.parametrize("tag", ["nav", "header", "footer", "aside"])
def test_page_chrome_elements_are_dropped(tag: str) -> None:
    """nav/header/footer/aside around the article are not article text."""
    chrome = (
        f"<{tag}><p>Our newsroom has reported on the city since 1901 and won many prizes for "
        f"its coverage.</p><ul>{MENU}</ul></{tag}>"
    )
    text = text_of(article_page(before=chrome, after=chrome))
    assert "newsroom" not in text
    assert "Sport" not in text
    assert text.startswith(STORY[0])


@pytest.mark.parametrize(
    "chrome",
    [
        pytest.param(
            '<div class="share-buttons"><a href="#">Share on Facebook</a> Share this story with '
            "your friends and family today.</div>",
            id="share-widget",
        ),
        pytest.param(
            '<section class="comments"><p>Great article, I have been waiting for this tram line '
            "for twenty years and I am very happy now.</p></section>",
            id="comments-section",
        ),
        pytest.param(
            '<div class="related-posts"><h3>More from the city</h3><p>Bus fares will rise in '
            "January, the transport authority announced on Monday evening.</p></div>",
            id="related-block",
        ),
        pytest.param(
            '<div id="newsletter-signup">Get the best stories from the city every morning in '
            "your inbox, free of charge.</div>",
            id="newsletter",
        ),
        pytest.param(
            '<div role="complementary"><p>Weather: sunny with clouds in the afternoon and a '
            "light breeze from the west.</p></div>",
            id="aria-role",
        ),
    ],
)
def test_chrome_recognised_by_class_id_or_role_is_dropped(chrome: str) -> None:
    """Widgets named share/comments/related/newsletter or with chrome roles are dropped."""
    text = text_of(article_page(inside=chrome))
    assert text == "\n\n".join(STORY)


@pytest.mark.parametrize(
    "teaser",
    [
        '<p>Read also: <a href="/x">Bus fares will rise in January</a></p>',
        "<p><strong>Read more:</strong> Bus fares will rise in January</p>",
        "<p>Читайте також: Тарифи на проїзд зростуть у січні</p>",
        "<p>Advertisement</p>",
        '<p><span class="count">63412</span> views</p>',
        "<p>63 412 переглядів</p>",
    ],
)
def test_teasers_and_counters_recognised_by_their_words_are_dropped(teaser: str) -> None:
    """ "Read also" teasers, ad labels and view counters inside the story are dropped."""
    html = page("<article>" + paragraphs(STORY[0]) + teaser + paragraphs(*STORY[1:]) + "</article>")
    assert text_of(html) == "\n\n".join(STORY)


@pytest.mark.parametrize("marker", ["Recall", "Нагадаємо", "Напомним"])
def test_recall_block_ends_the_story(marker: str) -> None:
    """A "Recall" paragraph opens a digest of older stories: it and what follows are dropped."""
    older = "Last year the council rejected a similar plan by a single vote after a long debate."
    html = page(
        f"<article>{paragraphs(*STORY)}<p><strong>{marker}</strong></p>{paragraphs(older)}</article>"
    )
    assert text_of(html) == "\n\n".join(STORY)


def test_link_lists_are_dropped_but_story_lists_kept() -> None:
    """A list of links is navigation; a list of sentences is part of the story."""
    story_list = (
        "<ul><li>Twelve new stops will be built along the route.</li>"
        "<li>Trams will run every five minutes at peak hours.</li></ul>"
    )
    html = page(
        f"<article>{paragraphs(*STORY[:2])}{story_list}<ul>{MENU}</ul>"
        f"{paragraphs(STORY[2])}</article>"
    )
    paragraphs_out = extract_article(html).paragraphs
    assert "Twelve new stops will be built along the route." in paragraphs_out
    assert "Trams will run every five minutes at peak hours." in paragraphs_out
    assert "News" not in paragraphs_out


def test_subheadings_inside_the_story_are_kept() -> None:
    """An <h2> between story paragraphs is part of the story."""
    html = page(
        f"<article>{paragraphs(*STORY[:2])}<h2>What happens next</h2>"
        f"{paragraphs(STORY[2])}</article>"
    )
    assert extract_article(html).paragraphs == (*STORY[:2], "What happens next", STORY[2])


def test_figure_captions_are_dropped() -> None:
    """Picture captions and credits are not story text."""
    caption = "<figcaption>The new tram at the depot. Photo: AP</figcaption>"
    figure = f'<figure><img src="t.jpg">{caption}</figure>'
    assert "depot" not in text_of(article_page(inside=figure))


def test_content_root_is_chosen_by_text_not_position() -> None:
    """A long sidebar of links loses to the story even when it comes first."""
    sidebar = "<div><ul>" + MENU * 20 + "</ul></div>"
    html = page(f"{sidebar}<div>{paragraphs(*STORY)}</div>")
    assert text_of(html) == "\n\n".join(STORY)


def test_comments_longer_than_the_story_do_not_win() -> None:
    """A comment thread is chrome even when it has more text than the article."""
    comment = (
        "<p>I completely disagree with the council, this money should go to the buses, "
        "which are old.</p>"
    )
    html = page(
        f'<div class="content"><article>{paragraphs(*STORY)}</article>'
        f'<div id="comments">{comment * 10}</div></div>'
    )
    assert text_of(html) == "\n\n".join(STORY)


def test_chrome_vocabulary_on_the_story_container_itself_is_ignored() -> None:
    """A class that sounds like chrome on an ancestor of the story does not hide the story."""
    html = page(
        f'<div class="layout has-sidebar"><div class="post tag-news">'
        f"{paragraphs(*STORY)}</div></div>"
    )
    assert text_of(html) == "\n\n".join(STORY)


def test_line_breaks_separate_paragraphs() -> None:
    """Text split by <br> in a bare <div> keeps its lines as paragraphs."""
    html = page("<div>" + "<br><br>".join(STORY) + "</div>")
    assert extract_article(html).paragraphs == STORY


def test_inline_markup_does_not_split_words_or_paragraphs() -> None:
    """<a>, <em> and <strong> are read as running text."""
    html = page(
        "<article><p>The <em>city</em> council voted on <a href='/t'>Tuesday</a> to extend the "
        "<strong>tram</strong> line to the northern districts, ending a long debate.</p></article>"
    )
    assert extract_article(html).paragraphs == (
        "The city council voted on Tuesday to extend the tram line to the northern districts, "
        "ending a long debate.",
    )


def test_table_layout_with_line_breaks() -> None:
    """An old table layout: the story is a <td> of <br>-separated text beside a menu cell."""
    html = page(
        f"<table><tr><td><ul>{MENU * 5}</ul></td><td>{'<br><br>'.join(STORY)}</td></tr></table>"
    )
    assert extract_article(html).paragraphs == STORY


def test_page_wrapped_in_a_form() -> None:
    """ASP.NET pages wrap everything in one <form>; the story inside is still found."""
    html = page(
        f'<form id="aspnetForm" action="/x"><nav><ul>{MENU}</ul></nav>'
        f'<div id="content">{paragraphs(*STORY)}</div><footer>© City News</footer></form>'
    )
    assert text_of(html) == "\n\n".join(STORY)


def test_story_split_by_an_advert_is_kept_whole() -> None:
    """Two halves of a story around an ad slot are one story without the ad."""
    html = page(
        f'<div class="story"><div class="part">{paragraphs(*STORY[:2])}</div>'
        f'<div class="ad-slot">Advertisement</div>'
        f'<div class="part">{paragraphs(STORY[2])}</div></div>'
        f"<aside><p>{'Most read: the zoo welcomes a baby giraffe named Lulu. ' * 3}</p></aside>"
    )
    assert text_of(html) == "\n\n".join(STORY)


def test_story_inside_an_aside_is_still_found() -> None:
    """Chrome elements are weighed without a walk, unless the story turns out to be inside."""
    html = page(f"<nav><ul>{MENU}</ul></nav><aside><div>{paragraphs(*STORY)}</div></aside>")
    assert text_of(html) == "\n\n".join(STORY)


def test_summarized_chrome_still_weighs_on_the_root() -> None:
    """A long footer is not walked, but a root that would include it pays for it."""
    footer = f"<footer><p>{'About us. Contact. Careers. Advertise with us. ' * 40}</p></footer>"
    html = page(f"<div><article>{paragraphs(*STORY)}</article>{footer}</div>")
    assert text_of(html) == "\n\n".join(STORY)


def test_schema_org_article_body_is_preferred() -> None:
    """An element marked itemprop=articleBody wins over its container with a little more."""
    about = "Jane Roe has covered city hall for the paper since 2009 and lives in the north."
    html = page(
        f'<div class="story"><div itemprop="articleBody">{paragraphs(*STORY)}</div>'
        f"<p>{about}</p></div>"
    )
    assert extract_article(html).paragraphs == STORY
