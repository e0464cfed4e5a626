"""Feed dates and links as ``watchwire once`` stores them, from real-world-shaped feeds.

Each test serves a news site on loopback — an RSS or Atom feed written the way real ones are
(channel metadata, guids, categories, ``dc:creator``; an XHTML wrapper; ``xml:base``; lenient
timestamps) and article pages with the usual chrome — runs the real ``watchwire once`` in a
subprocess, and reads back what was stored with ``watchwire search --json``: each article's
URL and ``published_at`` (UTC).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import cli_json
from tests.support.httpserver import HttpServer, ServerFactory, html

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

WORD = "tramway"
"""In every article: what ``watchwire search`` looks for."""


def article(title: str, *, head: str = "", byline: str = "") -> str:
    """An article page as news sites serve them: navigation, a byline, the story, a footer."""
    story = "".join(
        f"<p>{sentence}</p>"
        for sentence in (
            f"The city council voted on Tuesday to extend the {WORD} to the northern districts, "
            "ending a debate that has run for more than a decade.",
            "Supporters said the extension would cut commuting times in half for forty "
            "thousand residents, while opponents warned about the cost of the tunnels.",
            "Construction is expected to begin next spring and to last about four years, the "
            "mayor told reporters after the session.",
        )
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title} | City Chronicle</title>{head}</head><body>"
        '<header class="site-header"><a href="/" class="logo">City Chronicle</a>'
        '<nav><a href="/news/">News</a> <a href="/sport/">Sport</a></nav></header>'
        f'<main><article><h1>{title}</h1><div class="byline">By Anna Roe {byline}</div>'
        f"{story}</article>"
        '<aside class="most-read"><h3>Most read</h3><ul><li><a href="/x">Other story</a> '
        '<span class="date">1 June 2021</span></li></ul></aside></main>'
        "<footer>© City Chronicle</footer></body></html>"
    )


def rss(items: str, *, channel_attrs: str = "", root_attrs: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'xmlns:atom="http://www.w3.org/2005/Atom" {root_attrs}>'
        f"<channel {channel_attrs}><title>City Chronicle</title>"
        "<link>https://city-chronicle.example/</link>"
        "<description>News from the city</description><language>en-gb</language>"
        "<lastBuildDate>Tue, 09 Mar 2021 10:00:00 +0000</lastBuildDate>"
        f"{items}</channel></rss>"
    )


def item(title: str, link: str, date: str, guid: str) -> str:
    return (
        f"<item><title>{title}</title><link>{link}</link>"
        f'<guid isPermaLink="false">{guid}</guid><pubDate>{date}</pubDate>'
        "<dc:creator>Anna Roe</dc:creator><category>City</category>"
        f"<description>The council voted to extend the {WORD}.</description></item>"
    )


async def once(tmp_path: Path, feed_url: str) -> list[dict[str, Any]]:
    """``watchwire once`` over one source, then what ``watchwire search --json`` finds."""
    config = tmp_path / "watchwire.yaml"
    config.write_text(
        f"""
storage: watchwire.db
crawl: {{per_host_delay: 0s, timeout: 5s, retries: 0, backfill: 24h}}
sources:
  - {{name: chronicle, url: "{feed_url}"}}
channels:
  terminal: {{type: console}}
rules:
  - {{name: trams, query: "{WORD}", notify: [terminal]}}
""",
        encoding="utf-8",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "watchwire", "once", "-c", str(config), "--drain-timeout", "5",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=tmp_path,
    )  # fmt: skip
    try:
        async with asyncio.timeout(60):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, (out + err).decode(errors="replace")
    return await asyncio.to_thread(cli_json, config, "search", WORD)


def stored(hits: list[dict[str, Any]]) -> dict[str, str | None]:
    return {hit["url"]: hit["published_at"] for hit in hits}


async def site(http_server: ServerFactory, pages: dict[str, str]) -> HttpServer:
    return await http_server({path: html(body) for path, body in pages.items()})


async def test_the_feeds_timestamp_beats_the_urls_day_and_page_metadata_beats_the_feed(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    """A page with no date of its own under ``/2019/03/14/``: the feed's exact instant on the
    15th, not midnight of the 14th. A page with its own ``article:published_time``: the page's,
    not the feed's later one (an edit). A page whose byline shows a day: the feed's instant."""
    server = await site(
        http_server,
        {
            "/2019/03/14/tram-line-vote": article("Council votes on the tram line"),
            "/news/tram-depot": article(
                "Tram depot to be rebuilt",
                head='<meta property="article:published_time" content="2019-03-14T18:00:00-07:00">',
            ),
            "/news/tram-fares": article(
                "Tram fares frozen", byline='<span class="date">14 March 2019</span>'
            ),
        },
    )
    items = (
        item("Council votes on the tram line", server.url("/2019/03/14/tram-line-vote"),
             "Fri, 15 Mar 2019 01:20:00 +0000", "c-1")
        + item("Tram depot to be rebuilt", server.url("/news/tram-depot"),
               "Fri, 15 Mar 2019 09:30:00 +0000", "c-2")
        + item("Tram fares frozen", server.url("/news/tram-fares"),
               "Fri, 15 Mar 2019 01:20:00 +0000", "c-3")
    )  # fmt: skip
    server.routes["/feed.xml"] = html(rss(items), content_type="application/rss+xml")
    found = stored(await once(tmp_path, server.url("/feed.xml")))
    assert found == {
        server.url("/2019/03/14/tram-line-vote"): "2019-03-15T01:20:00Z",
        server.url("/news/tram-depot"): "2019-03-15T01:00:00Z",
        server.url("/news/tram-fares"): "2019-03-15T01:20:00Z",
    }


async def test_rss_xml_base_resolves_the_items_links(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    """A feed served from a mirror path whose channel and items set ``xml:base``: the
    articles are fetched and stored at the site's URLs, not the mirror's."""
    server = await site(
        http_server,
        {
            "/site/news/tram-line.html": article("Council votes on the tram line"),
            "/other/tram-fares.html": article("Tram fares frozen"),
        },
    )
    items = item(
        "Council votes on the tram line", "tram-line.html", "Tue, 09 Mar 2021 08:15:00 +0000", "b-1"
    ) + item("Tram fares frozen", "tram-fares.html", "Tue, 09 Mar 2021 09:15:00 +0000", "b-2")
    items = items.replace("<item><title>Tram fares", '<item xml:base="/other/"><title>Tram fares')
    feed = rss(
        items, root_attrs=f'xml:base="{server.url("/site/")}"', channel_attrs='xml:base="news/"'
    )
    server.routes["/mirror/feed.xml"] = html(feed, content_type="application/rss+xml")
    found = stored(await once(tmp_path, server.url("/mirror/feed.xml")))
    assert found == {
        server.url("/site/news/tram-line.html"): "2021-03-09T08:15:00Z",
        server.url("/other/tram-fares.html"): "2021-03-09T09:15:00Z",
    }
    assert not server.hits("/mirror/tram-line.html")


async def test_an_atom_feed_inside_an_xhtml_page_is_read(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    """``<!DOCTYPE html><html>…<body><feed xmlns="http://www.w3.org/2005/Atom">``, served as
    text/html by a blog platform: its entries are stored, dated by ``published``."""
    server = await site(http_server, {"/2021/03/tram-line": article("Council votes")})
    entry = (
        "<entry><title>Council votes on the tram line</title>"
        f'<link rel="alternate" type="text/html" href="{server.url("/2021/03/tram-line")}"/>'
        "<id>tag:city-chronicle.example,2021:1</id>"
        "<published>2021-03-09T09:15:00+01:00</published>"
        "<updated>2021-03-10T12:00:00+01:00</updated>"
        "<author><name>Anna Roe</name></author>"
        f'<summary type="html">The council voted to extend the {WORD}.</summary></entry>'
    )
    page = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Feed</title></head><body>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
        "<title>City Chronicle</title><id>tag:city-chronicle.example,2021:feed</id>"
        f'<link rel="self" href="{server.url("/feed")}"/><updated>2021-03-10T12:00:00Z</updated>'
        f"{entry}</feed></body></html>"
    )
    server.routes["/feed"] = html(page)
    found = stored(await once(tmp_path, server.url("/feed")))
    assert found == {server.url("/2021/03/tram-line"): "2021-03-09T08:15:00Z"}


async def test_lenient_feed_timestamps_give_the_instant_they_mean_or_none(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    """``+00:0``, ``2021/3/9 08:15:00`` (March 9, not December 1 or September 3), ``MSK``,
    ``CET``; ``IST`` could be three places: no date (the page gives none either)."""
    forms = {
        "truncated": ("2021-03-09T08:15:00+00:0", "2021-03-09T08:15:00Z"),
        "slashed": ("2021/3/9 08:15:00", "2021-03-09T08:15:00Z"),
        "moscow": ("Tue, 09 Mar 2021 11:15:00 MSK", "2021-03-09T08:15:00Z"),
        "paris": ("Tue, 09 Mar 2021 09:15:00 CET", "2021-03-09T08:15:00Z"),
        "ambiguous": ("Tue, 09 Mar 2021 13:45:00 IST", None),
    }
    server = await site(
        http_server, {f"/news/{name}": article(f"Tram news {name}") for name in forms}
    )
    items = "".join(
        item(f"Tram news {name}", server.url(f"/news/{name}"), date, name)
        for name, (date, _) in forms.items()
    )
    server.routes["/rss"] = html(rss(items), content_type="text/xml; charset=utf-8")
    found = stored(await once(tmp_path, server.url("/rss")))
    assert found == {server.url(f"/news/{name}"): want for name, (_, want) in forms.items()}
