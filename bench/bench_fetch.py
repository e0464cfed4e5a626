"""CPU cost of fetching a page: httpx's own transport vs httpx-aiohttp vs watchwire's Fetcher.

A loopback server in a separate process serves pages (keep-alive, Content-Length) on 21 ports:
20 "hosts" plus one big host. The client process keeps ``--tasks`` fetches in flight, in two
shapes:

- ``20x2``: over 20 hosts with a per-host limit of 2 (a typical crawl);
- ``1x100``: one host with a limit of 100 (the worst case for a connection pool).

Two kinds of page:

- by default, one 60 KB HTML page sent as it is, 200 fetches in flight (the comparison of
  HTTP clients that chose the transport);
- ``--gzip``: what the end-to-end benchmark fetches — the loopback universe's article pages
  (``bench.corpus``: 50-150 KB, ~100 KB on average, a real news site's chrome), gzipped at
  nginx's default level 1 as the universe serves them, 32 fetches in flight (16 sources at a
  time, 2 per host, as ``bench_pipeline`` and ``watchwire once`` poll). It also times inflating
  one page with zlib and with ISA-L, which the Fetcher uses.

Every client reads each body whole and decoded (the bare httpx clients with httpx's own zlib
decoder, which has no cap). It reports client CPU time (``time.process_time``) per fetched page
after a warm-up, best of ``--rounds`` rounds (the development machine is shared, so the best
round is the least disturbed), with that round's wall time and pages per second. Target:
≤ 0.6 ms CPU per page for the Fetcher.

    python -m bench.bench_fetch                      # all clients, both shapes, 60 KB pages
    python -m bench.bench_fetch --gzip --only Fetcher -n 4000 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import subprocess
import sys
import time
import zlib
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from isal import isal_zlib

from watchwire.config import CrawlSettings
from watchwire.fetch import Fetcher

REPO = Path(__file__).resolve().parent.parent
PAGE_SIZE = 60_000
TASKS = 200
"""Fetches in flight for the 60 KB identity pages."""
GZIP_TASKS = 32
"""Fetches in flight for ``--gzip``: the end-to-end benchmark's 16 sources x 2 per host."""
GZIP_PAGES = 400
"""Distinct article pages served in ``--gzip`` mode (the universe's first sites)."""


def _page() -> bytes:
    para = (
        "<p>The United States has offered Belarus relief from sanctions on its potash exports "
        "in exchange for the release of political prisoners, officials said on Thursday.</p>\n"
    )
    head = "<!doctype html><html><head><meta charset=utf-8><title>News</title></head><body>\n"
    body = head + para * (PAGE_SIZE // len(para))
    return (body + "</body></html>\n").encode()[:PAGE_SIZE]


def _articles(n: int = GZIP_PAGES) -> list[bytes]:
    """The loopback universe's first ``n`` article pages, as the pipeline benchmark fetches them."""
    from bench.corpus import _Generator
    from bench.universe import UniverseOptions, site_host

    per_site = 20
    opts = UniverseOptions(sites=-(-n // per_site), articles=per_site)
    hosts = [f"{site_host(i)}:8000" for i in range(opts.sites)]
    gen = _Generator(opts, hosts, time.time())
    return [gen.article_html(gen.by_key[key]) for key in list(gen.by_key)[:n]]


# --- the server (its own process) -----------------------------------------------------------------


async def _serve(ports: int, compress: bool) -> None:
    from bench.universe import GZIP_LEVEL

    pages = [gzip.compress(p, GZIP_LEVEL) for p in _articles()] if compress else [_page()]
    headers = "Content-Type: text/html; charset=utf-8\r\n"
    if compress:
        headers += "Content-Encoding: gzip\r\n"
    answers = [
        f"HTTP/1.1 200 OK\r\n{headers}Content-Length: {len(page)}\r\n\r\n".encode() + page
        for page in pages
    ]
    robots_body = b"User-agent: *\nAllow: /\n"
    robots = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (
        len(robots_body),
        robots_body,
    )

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if head.startswith(b"GET /robots.txt "):
                    writer.write(robots)
                else:  # GET /article/{i}
                    i = int(head.split(b" ", 2)[1].rpartition(b"/")[2] or 0)
                    writer.write(answers[i % len(answers)])
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    servers = [
        await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024) for _ in range(ports)
    ]
    print(" ".join(str(s.sockets[0].getsockname()[1]) for s in servers), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until parent exits


# --- the clients ----------------------------------------------------------------------------------

Fetch = Callable[[str], Awaitable[int]]


@dataclass
class Shape:
    name: str
    ports: list[int]
    limit: int


def _settings(limit: int) -> CrawlSettings:
    # model_copy does not validate: the 1x100 shape goes past the config's limit of 64 per host.
    return CrawlSettings().model_copy(
        update={
            "interval": timedelta(minutes=10),
            "user_agent": "watchwire-bench/0.1",
            "timeout": timedelta(seconds=30),
            "connect_timeout": timedelta(seconds=10),
            "max_body": 5_000_000,
            "max_redirects": 5,
            "retries": 0,
            "per_host_concurrency": limit,
            "per_host_delay": timedelta(0),
            "respect_robots": True,
            "backfill": timedelta(hours=24),
            "max_articles_per_poll": 200,
            "max_backoff": timedelta(hours=6),
        }
    )


async def _httpx_shared(stack: AsyncExitStack, shape: Shape) -> Fetch:
    """httpx's default transport, one client, a 100-connection pool (the naive set-up)."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    client = await stack.enter_async_context(httpx.AsyncClient(limits=limits))
    sems = {p: asyncio.Semaphore(shape.limit) for p in shape.ports}

    async def fetch(url: str) -> int:
        async with sems[httpx.URL(url).port or 0], client.stream("GET", url) as r:
            return sum([len(c) async for c in r.aiter_bytes()])  # decoded, as the Fetcher

    return fetch


async def _httpx_per_host(stack: AsyncExitStack, shape: Shape) -> Fetch:
    """httpx's default transport, one client per host sized to the per-host limit."""
    limits = httpx.Limits(max_connections=shape.limit, max_keepalive_connections=shape.limit)
    clients = {
        p: await stack.enter_async_context(httpx.AsyncClient(limits=limits)) for p in shape.ports
    }
    sems = {p: asyncio.Semaphore(shape.limit) for p in shape.ports}

    async def fetch(url: str) -> int:
        port = httpx.URL(url).port or 0
        async with sems[port], clients[port].stream("GET", url) as r:
            return sum([len(c) async for c in r.aiter_bytes()])  # decoded, as the Fetcher

    return fetch


async def _httpx_aiohttp(stack: AsyncExitStack, shape: Shape) -> Fetch:
    """httpx.AsyncClient over httpx-aiohttp's transport."""
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), auto_decompress=False)
    client = await stack.enter_async_context(
        httpx.AsyncClient(transport=AiohttpTransport(client=session))
    )
    sems = {p: asyncio.Semaphore(shape.limit) for p in shape.ports}

    async def fetch(url: str) -> int:
        async with sems[httpx.URL(url).port or 0], client.stream("GET", url) as r:
            return sum([len(c) async for c in r.aiter_bytes()])  # decoded, as the Fetcher

    return fetch


def _fetcher(
    transport: Callable[[Shape], httpx.AsyncBaseTransport] | None,
) -> Callable[[AsyncExitStack, Shape], Awaitable[Fetch]]:
    async def make(stack: AsyncExitStack, shape: Shape) -> Fetch:
        t = transport(shape) if transport else None
        fetcher = await stack.enter_async_context(Fetcher(_settings(shape.limit), transport=t))

        async def fetch(url: str) -> int:
            result = await fetcher.fetch(url)
            if not result.ok:
                raise RuntimeError(f"{url}: {result.error_class} {result.error}")
            return len(result.content)

        return fetch

    return make


def _httpx_transport(shape: Shape) -> httpx.AsyncBaseTransport:
    n = shape.limit * len(shape.ports)
    return httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=n, max_keepalive_connections=n)
    )


def _httpx_aiohttp_transport(shape: Shape) -> httpx.AsyncBaseTransport:
    """httpx-aiohttp's transport, with the session the Fetcher used before it had its own."""
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, limit_per_host=0, ttl_dns_cache=300),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        trust_env=False,
        max_line_size=65536,
        max_field_size=65536,
    )
    return AiohttpTransport(client=session)


CLIENTS: dict[str, Callable[[AsyncExitStack, Shape], Awaitable[Fetch]]] = {
    "httpx, shared pool of 100": _httpx_shared,
    "httpx, pool per host": _httpx_per_host,
    "httpx + httpx-aiohttp": _httpx_aiohttp,
    "Fetcher on httpx transport": _fetcher(_httpx_transport),
    "Fetcher on httpx-aiohttp": _fetcher(_httpx_aiohttp_transport),
    "Fetcher": _fetcher(None),
}
"""``Fetcher`` is watchwire's, as shipped (its own aiohttp transport)."""


async def _run(
    make: Callable[[AsyncExitStack, Shape], Awaitable[Fetch]], shape: Shape, n: int, tasks: int
) -> tuple[float, float]:
    async with AsyncExitStack() as stack:
        fetch = await make(stack, shape)
        gate = asyncio.Semaphore(tasks)

        async def one(i: int) -> None:
            async with gate:
                port = shape.ports[i % len(shape.ports)]
                await fetch(f"http://127.0.0.1:{port}/article/{i}")

        await asyncio.gather(*(one(i) for i in range(tasks)))  # warm-up: connections, robots.txt
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - wall, time.process_time() - cpu


def _inflate_costs() -> None:
    """CPU per page to inflate the --gzip pages: zlib (what the Fetcher used) and ISA-L."""
    from bench.universe import GZIP_LEVEL

    pages = _articles()
    packed = [gzip.compress(p, GZIP_LEVEL) for p in pages]
    raw_kb = sum(map(len, pages)) / len(pages) / 1000
    gz_kb = sum(map(len, packed)) / len(packed) / 1000
    print(f"pages: {raw_kb:.0f} KB on average, {gz_kb:.0f} KB gzipped")
    for name, lib in (("zlib", zlib), ("isal_zlib", isal_zlib)):
        best = float("inf")
        for _ in range(5):
            t = time.process_time()
            for p in packed:
                lib.decompressobj(31).decompress(p, 10_000_000)
            best = min(best, time.process_time() - t)
        print(f"inflate, {name}: {best / len(packed) * 1000:.3f} ms/page")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=3000, help="pages per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many rounds")
    parser.add_argument(
        "--gzip",
        action="store_true",
        help=f"the pipeline's pages: the universe's, gzipped, {GZIP_TASKS} in flight",
    )
    parser.add_argument("--tasks", type=int, help=f"fetches in flight (default {TASKS})")
    parser.add_argument("--only", help="a client's name, or run those whose name contains this")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve, args.gzip))
        return
    cmd = [sys.executable, "-m", "bench.bench_fetch", "--serve", "21"]
    cmd += ["--gzip"] if args.gzip else []
    server = subprocess.Popen(
        cmd, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        ports = [int(p) for p in server.stdout.readline().split()]
        if len(ports) != 21:
            raise SystemExit("the page server did not start")
        shapes = [Shape("20x2", ports[:20], 2), Shape("1x100", ports[20:], 100)]
        tasks = args.tasks or (GZIP_TASKS if args.gzip else TASKS)
        if args.gzip:
            _inflate_costs()
            what = "the universe's article pages, 50-150 KB, gzipped at level 1"
        else:
            what = f"one {PAGE_SIZE // 1000} KB page, identity"
        print(f"{args.n} pages ({what}), {tasks} fetches in flight")
        print(f"{'client':30} {'shape':6} {'CPU ms/page':>11} {'wall s':>7} {'pages/s':>8}")
        for name, make in CLIENTS.items():
            if args.only and args.only != name and (args.only in CLIENTS or args.only not in name):
                continue  # --only NAME: that client; --only PART: every client naming it
            for shape in shapes:
                rounds = [asyncio.run(_run(make, shape, args.n, tasks)) for _ in range(args.rounds)]
                wall, cpu = min(rounds, key=lambda r: r[1])
                print(
                    f"{name:30} {shape.name:6} {cpu / args.n * 1000:11.3f} {wall:7.2f} "
                    f"{args.n / wall:8.0f}",
                    flush=True,
                )
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
