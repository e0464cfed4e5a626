"""Small hand-written pages for the extractor's unit tests."""

from __future__ import annotations

STORY = (
    "The city council voted on Tuesday to extend the tram line to the northern districts, "
    "ending a debate that has run for more than a decade.",
    "Supporters said the extension would cut commuting times in half for forty thousand "
    "residents, while opponents warned about the cost of the tunnels under the old town.",
    "Construction is expected to begin next spring and to last about four years, the mayor "
    "told reporters after the session, adding that federal funds had already been promised.",
)
"""Three paragraphs of plain news prose, long enough to win the content scoring."""


def paragraphs(*texts: str) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


def page(body: str = "", head: str = "", *, lang: str = "en") -> str:
    """A complete HTML document around ``body``."""
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>Tram line extended | City News</title>{head}</head><body>{body}</body></html>"
    )


def article_page(*, before: str = "", inside: str = "", after: str = "", head: str = "") -> str:
    """The story in an ``<article>``, with extra markup before, inside (after the text), after."""
    story = f"<article><h1>Tram line extended</h1>{paragraphs(*STORY)}{inside}</article>"
    return page(f"{before}{story}{after}", head)
