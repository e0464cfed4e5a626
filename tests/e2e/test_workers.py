"""Three `watchwire run` workers on one PostgreSQL database: the work shared, nothing twice.

Twenty loopback sites (each its own origin) publish twelve articles and ten feeds each; the
feeds of a site overlap (each article is in about four), so the 200 sources list every page
several times. Every article page takes half a second to answer, and the site counts how many
requests it answers at once: ``per_host_concurrency`` is 2, for the deployment. A quarter of
the articles are about Belarus; a real webhook receiver verifies every alert's signature.

Then the same with ``kill -9``: one worker killed while it polls, another while it delivers
(the receiver hangs until then). The last one takes their work over: every article stored
once, every alert received, a repeat only ever with the same ``webhook-id``.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import psycopg
import pytest

from tests.e2e.conftest import ServiceProcess, eventually
from tests.support.httpserver import HttpServer, Request, Response, ServerFactory
from watchwire.demo import WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

HOSTS, FEEDS, ARTICLES, PER_FEED = 20, 10, 12, 5
LIMIT = 2
"""``per_host_concurrency``."""
MATCHING = range(0, ARTICLES, 4)
WORDS = "council budget roads schools library river bridge harbour festival museum railway "
WORDS += "market orchestra stadium hospital airport tram ferry garden theatre archive tower"


class Site:
    """One origin: ``/feed/K.xml`` (K < 10) listing five of the articles ``/news/aN``."""

    def __init__(self, server: HttpServer, number: int) -> None:
        self.server = server
        self.number = number
        now = datetime.now(UTC)
        self.published = {n: now - timedelta(minutes=n + 1) for n in range(ARTICLES)}
        rng = random.Random(number)
        self.feeds = {k: rng.sample(range(ARTICLES), PER_FEED) for k in range(FEEDS)}
        for k in self.feeds:
            server.route(f"/feed/{k}.xml")(self._feed)
        server.route("/news/*")(self._article)

    def feed_urls(self) -> list[str]:
        return [self.server.url(f"/feed/{k}.xml") for k in self.feeds]

    def listed(self) -> set[int]:
        return {n for items in self.feeds.values() for n in items}

    def article_url(self, n: int) -> str:
        return self.server.url(f"/news/a{n}")

    def article_requests(self) -> dict[int, int]:
        return {n: len(self.server.hits(f"/news/a{n}")) for n in self.listed()}

    async def _feed(self, request: Request, response: Response) -> None:
        k = int(request.path.rsplit("/", 1)[1].removesuffix(".xml"))
        items = "".join(
            f"<item><title>Story {n}</title><link>{self.article_url(n)}</link>"
            f"<pubDate>{format_datetime(self.published[n])}</pubDate></item>"
            for n in self.feeds[k]
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Site {self.number} feed {k}</title>{items}</channel></rss>"
        )
        await response.send(200, body.encode(), {"Content-Type": "application/rss+xml"})

    async def _article(self, request: Request, response: Response) -> None:
        n = int(request.path.rsplit("/a", 1)[1])
        rng = random.Random(self.number * 1000 + n)
        words = WORDS.split()
        text = " ".join(rng.choice(words) for _ in range(60))
        news = "Belarus frees prisoners as talks go on." if n in MATCHING else ""
        body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Site {self.number} story {n}</title>
<meta property="article:published_time" content="{self.published[n].isoformat()}"></head>
<body><article><h1>Site {self.number} story {n}</h1><p>{news} {text}.</p>
<p>{" ".join(rng.choice(words) for _ in range(40))}.</p></article></body></html>"""
        await asyncio.sleep(0.5)  # polls overlap; a worker killed now is mid-request
        await response.send(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


async def sites(http_server: ServerFactory) -> list[Site]:
    return [Site(await http_server(), i) for i in range(HOSTS)]


def write_config(
    tmp_path: Path, dsn: str, all_sites: list[Site], receiver: WebhookReceiver
) -> Path:
    sources = "\n".join(
        f'  - {{name: s{site.number}-{k}, url: "{url}"}}'
        for site in all_sites
        for k, url in enumerate(site.feed_urls())
    )
    config = tmp_path / "watchwire.yaml"
    config.write_text(
        f"""
storage: "{dsn}"
crawl: {{per_host_delay: 0s, per_host_concurrency: {LIMIT}, timeout: 10s, retries: 0,
        interval: 1h}}
sources:
{sources}
channels:
  ops:
    type: webhook
    url: "{receiver.url}"
    secret: "{receiver.secret}"
    timeout: 3s
    retry: {{first: 1s, max: 2s, give_up: 1h}}
rules:
  - {{name: belarus, query: "belarus"}}
""",
        encoding="utf-8",
    )
    return config


def expected_alerts(all_sites: list[Site]) -> set[str]:
    return {s.article_url(n) for s in all_sites for n in s.listed() if n in MATCHING}


def alerted(receiver: WebhookReceiver) -> list[str]:
    return [w.payload["article"]["url"] for w in receiver.received]


def query(dsn: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of ``sql``; none before the workers made the schema."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        try:
            return conn.execute(sql).fetchall()
        except psycopg.errors.UndefinedTable:
            return []


LEASED = "SELECT 1 FROM sources WHERE lease_owner IS NOT NULL LIMIT 1"


def stored(dsn: str) -> int:
    rows = query(dsn, "SELECT count(*) FROM articles")
    return int(str(rows[0][0])) if rows else 0


async def test_three_workers_share_the_crawl_and_do_nothing_twice(
    tmp_path: Path,
    http_server: ServerFactory,
    postgres_dsn: str,
    watchwire_cli: Callable[[Path], ServiceProcess],
) -> None:
    all_sites = await sites(http_server)
    articles = sum(len(s.listed()) for s in all_sites)
    async with WebhookReceiver() as receiver:
        config = write_config(tmp_path, postgres_dsn, all_sites, receiver)
        # One worker first; two more join the deployment while its polls run (they plan the
        # same sources, some of which it holds).
        workers = [watchwire_cli(config)]
        await eventually(lambda: bool(query(postgres_dsn, LEASED)), within=30,
                         what="the first worker's polls", alive=workers[0])  # fmt: skip
        workers += [watchwire_cli(config) for _ in range(2)]
        want = expected_alerts(all_sites)
        await eventually(
            lambda: set(alerted(receiver)) == want and stored(postgres_dsn) == articles,
            within=60, what="every article stored and every alert delivered", alive=workers[0],
        )  # fmt: skip
        for w in workers:
            assert await w.terminate() == 0, w.tail()
    assert all(s.server.max_in_flight <= LIMIT for s in all_sites), [
        s.server.max_in_flight for s in all_sites
    ]
    assert all(set(s.article_requests().values()) == {1} for s in all_sites)
    assert sorted(alerted(receiver)) == sorted(want) and receiver.duplicates == []
    assert not receiver.rejected
    found = [w.stderr().count(" discovered") for w in workers]  # polls that found news
    assert all(found), f"every worker polls some of the sources: {found}"
    polled = "SELECT count(*) FROM sources WHERE last_polled_at IS NOT NULL"
    assert query(postgres_dsn, polled) == [(HOSTS * FEEDS,)]
    assert query(postgres_dsn, "SELECT count(*) FROM workers") == [(0,)]  # all left cleanly


async def test_killed_workers_leave_their_polls_and_deliveries_to_the_others(
    tmp_path: Path,
    http_server: ServerFactory,
    postgres_dsn: str,
    watchwire_cli: Callable[[Path], ServiceProcess],
) -> None:
    all_sites = await sites(http_server)
    articles = sum(len(s.listed()) for s in all_sites)
    async with WebhookReceiver() as receiver:
        receiver.stall()  # deliveries hang: their workers are mid-delivery
        config = write_config(tmp_path, postgres_dsn, all_sites, receiver)
        workers = [watchwire_cli(config) for _ in range(3)]
        by_pid = {w.proc.pid: w for w in workers}

        def busiest(sql: str) -> ServiceProcess | None:
            rows = query(postgres_dsn, sql)
            return by_pid.get(int(str(rows[0][0]))) if rows else None

        # Mid-crawl: the worker holding the most sources, while articles are being stored.
        polling = "SELECT w.pid FROM sources s JOIN workers w ON w.id = s.lease_owner GROUP BY w.pid ORDER BY count(*) DESC LIMIT 1"  # noqa: E501
        await eventually(lambda: stored(postgres_dsn) > 20 and busiest(polling) is not None,
                         within=30, what="polls under way")  # fmt: skip
        first = busiest(polling)
        assert first is not None
        os.kill(first.proc.pid, signal.SIGKILL)
        # Mid-delivery: a live worker with alerts out to the (hanging) receiver.
        delivering = "SELECT w.pid FROM outbox o JOIN workers w ON w.id = o.lease_owner WHERE o.state = 'delivering' GROUP BY w.pid ORDER BY count(*) DESC LIMIT 1"  # noqa: E501
        await eventually(
            lambda: (w := busiest(delivering)) is not None and w is not first,
            within=30, what="deliveries under way",
        )  # fmt: skip
        second = busiest(delivering)
        assert second is not None and second is not first
        os.kill(second.proc.pid, signal.SIGKILL)
        receiver.heal()
        (last,) = [w for w in workers if w not in (first, second)]
        want = expected_alerts(all_sites)
        await eventually(
            lambda: set(alerted(receiver)) == want and stored(postgres_dsn) == articles,
            within=60, what="the last worker to finish the others' work", alive=last,
        )  # fmt: skip
        assert await last.terminate() == 0, last.tail()
    assert first.returncode == second.returncode == -signal.SIGKILL
    assert query(postgres_dsn, "SELECT count(DISTINCT url) = count(*) FROM articles") == [(True,)]
    assert sorted(alerted(receiver)) == sorted(want)  # each alert once, under one id
    received = {w.id for w in receiver.received}
    assert all(d.id in received for d in receiver.duplicates)
    assert all(s.server.max_in_flight <= LIMIT for s in all_sites), [
        s.server.max_in_flight for s in all_sites
    ]
    assert "took over" in last.stderr()
