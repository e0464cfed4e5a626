"""Per-host limits for a deployment: two workers' fetchers, one host, the limits of one.

Two ``Fetcher``s, each with its own store opened on one PostgreSQL database (two workers), ask
one loopback host for pages at once; the host counts the requests it answers at once and when
each started.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest

from tests.fetch.conftest import make_settings
from tests.support.httpserver import HttpServer, Request, Response, ServerFactory
from watchwire.fetch import Fetcher
from watchwire.fetch.shared import LINGER
from watchwire.store import Store, locate_store, open_store
from watchwire.timeutil import utcnow

pytestmark = pytest.mark.timeout(30)

LEASE = timedelta(seconds=30)


@pytest.fixture
async def host(http_server: ServerFactory) -> HttpServer:
    server = await http_server()

    async def slow(request: Request, response: Response) -> None:
        await asyncio.sleep(0.1)
        await response.send(200, b"<p>page</p>", {"Content-Type": "text/html"})

    server.route("/p/*")(slow)
    return server


@pytest.fixture
async def stores(postgres_dsn: str) -> AsyncIterator[list[Store]]:
    async with AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(open_store(locate_store(postgres_dsn)))
            for _ in range(2)
        ]


async def fetch_all(host: HttpServer, stores: list[Store], **settings: object) -> None:
    crawl = make_settings(respect_robots=False, **settings)
    async with AsyncExitStack() as stack:
        fetchers = [
            await stack.enter_async_context(Fetcher(crawl, hosts=store)) for store in stores
        ]
        results = await asyncio.gather(
            *(f.fetch(host.url(f"/p/{w}-{i}"), settings=crawl)
              for w, f in enumerate(fetchers) for i in range(6))
        )  # fmt: skip
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]


async def test_two_workers_keep_one_host_s_concurrency(
    host: HttpServer, stores: list[Store]
) -> None:
    await fetch_all(host, stores, per_host_concurrency=2)
    assert len(host.requests) == 12
    assert host.max_in_flight == 2  # each worker alone would have had two in flight


async def test_the_delay_carries_over_from_one_worker_to_the_next(
    host: HttpServer, stores: list[Store]
) -> None:
    await fetch_all(host, stores, per_host_concurrency=1, per_host_delay=timedelta(seconds=0.3))
    starts = sorted(r.received_at for r in host.requests)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # The host stamps a request when the test's one event loop gets to it: tens of
    # milliseconds late on a busy machine, so a gap can read shorter than the delay by that. A
    # delay not carried from one worker to the next would show gaps of the response time, 0.1 s.
    assert min(gaps) >= 0.25, gaps


async def test_a_host_is_given_back_once_idle(host: HttpServer, stores: list[Store]) -> None:
    crawl = make_settings(respect_robots=False)
    first, second = stores
    async with Fetcher(crawl, hosts=first) as fetcher:
        assert (await fetcher.fetch(host.url("/p/1"), settings=crawl)).ok
        assert await second.hold_host(host.origin, now=utcnow(), lease=LEASE) is None
        assert await fetcher.release_idle_hosts() == 0  # still within its linger
        await asyncio.sleep(LINGER)  # no event to wait for: idle is the absence of requests
        assert await fetcher.release_idle_hosts() == 1
    assert (
        await second.hold_host(host.origin, now=utcnow(), lease=timedelta(seconds=30)) is not None
    )
