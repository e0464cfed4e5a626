"""One fetch per article, however many feeds list it: `once` and `run` on overlapping feeds.

A loopback site publishes 100 articles and 40 feeds, each listing 20 of them in its own order,
so that every article is in 8 feeds; 5 articles are about Belarus and sanctions. The site
counts the requests for each article page; a real webhook receiver verifies every alert.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest

from tests.e2e.conftest import ServiceProcess, eventually, run_cli
from tests.support.httpserver import HttpServer, Request, Response, ServerFactory
from watchwire.demo import WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

ARTICLES, FEEDS, PER_FEED = 100, 40, 20
MATCHING = {7, 23, 41, 66, 90}
WORDS = [
    "council",
    "budget",
    "roads",
    "schools",
    "library",
    "river",
    "bridge",
    "harbour",
    "festival",
    "museum",
    "railway",
    "market",
    "orchestra",
    "stadium",
    "hospital",
    "airport",
    "tram",
    "ferry",
    "garden",
    "theatre",
    "archive",
    "tower",
    "mayor",
    "minister",
    "farmers",
    "teachers",
    "nurses",
    "drivers",
    "miners",
    "sailors",
    "bakers",
    "painters",
]
NEWS = (
    "The United States will ease sanctions on Belarusian banks and potash exports, officials "
    "said on Thursday after a meeting in Minsk with Belarus's leader."
)


def story_text(n: int) -> str:
    """Forty words of its own: no two stories are near-duplicates of each other."""
    rng = random.Random(n)
    return " ".join(rng.choice(WORDS) for _ in range(40)) + "."


class OverlappingSite:
    """``/feed/K.xml`` for K < 40, each with 20 of the articles ``/news/aN`` (N < 100)."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        now = datetime.now(UTC)
        self.published = {n: now - timedelta(minutes=n) for n in range(ARTICLES)}
        rng = random.Random(21)
        order = list(range(ARTICLES))
        # Feed k lists the articles k*5 ... k*5+19 (mod 100): each article in 8 feeds; each
        # feed in an order of its own.
        self.feeds = {}
        for k in range(FEEDS):
            items = [(k * 5 + i) % ARTICLES for i in range(PER_FEED)]
            rng.shuffle(items)
            self.feeds[k] = items
        assert sorted(n for items in self.feeds.values() for n in items) == sorted(order * 8)
        server.route("/robots.txt")(self._robots)
        for k in self.feeds:
            server.route(f"/feed/{k}.xml")(self._feed)
        for n in range(ARTICLES):
            server.route(f"/news/a{n}")(self._article)

    def feed_url(self, k: int) -> str:
        return self.server.url(f"/feed/{k}.xml")

    def article_requests(self) -> dict[int, int]:
        return {n: len(self.server.hits(f"/news/a{n}")) for n in range(ARTICLES)}

    async def _robots(self, request: Request, response: Response) -> None:
        await response.send(200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"})

    async def _feed(self, request: Request, response: Response) -> None:
        k = int(request.path.rsplit("/", 1)[1].removesuffix(".xml"))
        items = "".join(
            f"<item><title>Story {n}</title><link>{self.server.url(f'/news/a{n}')}</link>"
            f"<pubDate>{format_datetime(self.published[n])}</pubDate></item>"
            for n in self.feeds[k]
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {k}</title><link>{self.server.url('/')}</link>{items}</channel></rss>"
        ).encode()
        etag = f'"feed-{k}"'
        if request.headers.get("if-none-match") == etag:
            await response.send(304, b"", {"ETag": etag})
            return
        await response.send(200, body, {"Content-Type": "application/rss+xml", "ETag": etag})

    async def _article(self, request: Request, response: Response) -> None:
        n = int(request.path.rsplit("/a", 1)[1])
        text = story_text(n)
        title = f"Story {n}: Belarus talks" if n in MATCHING else f"Story {n}: the budget"
        when = self.published[n].isoformat()
        body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{escape(title)}</title><meta property="article:published_time" content="{when}">
</head><body><main><article><h1>{escape(title)}</h1>
<p>{NEWS if n in MATCHING else ""} {escape(text)}</p><p>{escape(story_text(n + 1000))}</p>
</article></main>
</body></html>"""
        # A little latency, so that polls of feeds listing the same page overlap in time.
        await asyncio.sleep(0.02)
        await response.send(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


def write_config(tmp_path: Path, site: OverlappingSite, receiver: WebhookReceiver) -> Path:
    sources = "\n".join(f'  - {{name: feed-{k}, url: "{site.feed_url(k)}"}}' for k in range(FEEDS))
    config = tmp_path / "watchwire.yaml"
    config.write_text(
        f"""
storage: watchwire.db
crawl: {{per_host_delay: 0s, per_host_concurrency: 8, timeout: 10s, interval: 1h}}
sources:
{sources}
channels:
  ops: {{type: webhook, url: "{receiver.url}", secret: "{receiver.secret}"}}
terms:
  belarus: [Belarus, Belarusian*]
  sanctions: [sanction*]
rules:
  - {{name: belarus-sanctions, query: "@belarus AND @sanctions", within: paragraph}}
""",
        encoding="utf-8",
    )
    return config


async def once(config: Path) -> str:
    """``watchwire once``, without blocking the loop the servers run on."""
    done = await run_cli("once", "-c", str(config), "--drain-timeout", "20", cwd=config.parent)
    assert done.returncode == 0, done.stderr
    return done.stdout


def alerted_urls(receiver: WebhookReceiver) -> list[str]:
    return sorted(w.payload["article"]["url"] for w in receiver.received)


def matching_urls(site: OverlappingSite) -> list[str]:
    return sorted(site.server.url(f"/news/a{n}") for n in MATCHING)


async def test_once_fetches_each_article_once_and_a_second_pass_fetches_none(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    site = OverlappingSite(await http_server())
    async with WebhookReceiver() as receiver:
        config = write_config(tmp_path, site, receiver)
        await once(config)
        assert site.article_requests() == dict.fromkeys(range(ARTICLES), 1)
        assert alerted_urls(receiver) == matching_urls(site)
        assert receiver.duplicates == []

        await once(config)
        assert site.article_requests() == dict.fromkeys(range(ARTICLES), 1)
        assert len(receiver.received) == len(MATCHING)


async def test_run_fetches_each_article_once_with_sources_polled_at_once(
    tmp_path: Path,
    http_server: ServerFactory,
    watchwire_cli: Callable[[Path], ServiceProcess],
) -> None:
    site = OverlappingSite(await http_server())
    async with WebhookReceiver() as receiver:
        service = watchwire_cli(write_config(tmp_path, site, receiver))
        await eventually(
            lambda: len(receiver.received) == len(MATCHING)
            and all(site.server.hits(f"/feed/{k}.xml") for k in range(FEEDS))
            and all(site.article_requests().values()),
            within=60, what="every feed polled, every article fetched, every alert", alive=service,
        )  # fmt: skip
        # SIGTERM lets running polls finish: after it, every request the service would make
        # for this round has been made.
        assert await service.terminate() == 0
    assert site.article_requests() == dict.fromkeys(range(ARTICLES), 1)
    assert alerted_urls(receiver) == matching_urls(site)
    assert receiver.duplicates == []
