"""The loopback news universe: N sites x M articles, served from a process of its own.

Run it by hand::

    python -m bench.universe --sites 200 --articles 50 --port 0 --rate 10/s

It prints one JSON line (port, start time, feed URLs, control URL) and serves until killed.
Benchmarks start it through :class:`Universe`, which does the same as a subprocess.

Every site has its own loopback address (``127.1.x.y``; all of 127.0.0.0/8 is loopback on
Linux) on one shared port, so per-host politeness applies per site as it would on the web.
A site serves ``/robots.txt``, ``/`` (a home page with feed autodiscovery), ``/rss.xml`` (the
50 newest items), with ``--sections N`` also ``/rss-0.xml`` … ``/rss-{N-1}.xml`` (section feeds
that overlap: each article is listed in three to five of the site's feeds), ``/sitemap.xml``
(an index) and ``/sitemap-news.xml`` (a Google News sitemap), and its articles under
``/news/...``. Feeds and articles carry an ``ETag`` and a ``Last-Modified`` and answer ``304``
to a matching conditional GET. Bodies are gzipped when asked (as real sites do).

Article pages are 50-150 KB like the real thing: a header with navigation, currency tickers
and "Electricity outage schedules", the article (title, lead, 8-20 paragraphs of English or
Ukrainian text naming made-up people and places, a "Recall" block), related teasers, a
most-read list, a footer, and inline CSS, JSON-LD and a large state script. A share of them
mention Belarus and sanctions; a share are syndicated copies of another site's story.

New articles appear at ``--rate`` once started (at once, after ``--rate-delay`` seconds, or
when ``POST /_universe/start`` is called), each on a pseudo-random site, published at the
moment it appears. Dynamic article ``k`` appears at ``t_start + k / rate`` exactly, and its
URL ends in ``-d{k}.html``, so a benchmark knows when every article appeared.

The control endpoints live on ``127.0.0.1``: ``GET /_universe/stats`` (request counters, CPU
seconds of this process) and ``POST /_universe/start``. ``POST /hook`` on any host is a
webhook sink that answers ``204``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.corpus import _Generator, _httpdate, entity_names, make_rules_yaml

__all__ = [
    "Universe",
    "UniverseOptions",
    "entity_names",
    "make_rules_yaml",
    "parse_rate",
    "site_host",
]

REPO = Path(__file__).resolve().parent.parent
GZIP_LEVEL = 1
"""nginx's default ``gzip_comp_level``."""

# --- the server -------------------------------------------------------------------------------

_REASONS = {
    200: b"OK",
    204: b"No Content",
    304: b"Not Modified",
    404: b"Not Found",
    400: b"Bad Request",
    405: b"Method Not Allowed",
}
_ARTICLE = re.compile(r"^/news/\d{4}/\d\d/\d\d/story-([id][\d-]+)\.html$")


@dataclass(slots=True)
class _Stats:
    counts: dict[str, int] = field(default_factory=dict)
    bytes_out: int = 0
    connections: int = 0
    articles_served: set[str] = field(default_factory=set)
    """Distinct article pages answered with a body."""

    def hit(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1


class _Server:
    def __init__(self, gen: _Generator, port: int, opts: UniverseOptions) -> None:
        self.gen = gen
        self.opts = opts
        self.stats = _Stats()
        self.gz_cache: dict[str, tuple[bytes, bytes]] = {}
        self.site_by_host: dict[bytes, int] = {}
        for site in gen.sites:
            self.site_by_host[site.host.encode()] = site.index
            self.site_by_host[site.host.split(":")[0].encode()] = site.index
        self.port = port
        self.t0 = time.time()

    def pregenerate(self) -> None:
        """Render and gzip every article now, on every core (forked workers share ``gen``)."""
        global _FORKED
        _FORKED = self.gen
        keys = list(self.gen.by_key)
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(os.cpu_count() or 1) as pool:
            for key, page in zip(keys, pool.imap(_render, keys, chunksize=64), strict=True):
                self.gz_cache[key] = page
        _FORKED = None

    def respond(
        self, method: bytes, target: bytes, headers: dict[bytes, bytes], body: bytes
    ) -> bytes:
        path = target.split(b"?", 1)[0].decode("latin-1")
        if path.startswith("/_universe/"):
            return self._control(method, path)
        if path == "/hook":
            self.stats.hit("hook")
            return _response(204, b"")
        if method not in (b"GET", b"HEAD"):
            return _response(405, b"")
        site_index = self.site_by_host.get(headers.get(b"host", b""))
        if site_index is None:
            self.stats.hit("unknown_host")
            return _response(404, b"no such site")
        site = self.gen.sites[site_index]
        self.gen.advance(time.time())
        gz = b"gzip" in headers.get(b"accept-encoding", b"")
        section = _section(path, self.opts.sections)
        if path == "/rss.xml" or section is not None:
            n = len(site.articles)
            key = -1 if section is None else section
            cached = site.feed_caches.get(key)
            if cached is None or cached[0] != n:
                raw = self.gen.feed(site, section, self.opts.sections)
                cached = site.feed_caches[key] = (n, raw, gzip.compress(raw, GZIP_LEVEL))
            etag = f'"f{site_index}-{key}-{n}"'.encode()
            modified = _httpdate(site.articles[-1].published if site.articles else self.t0)
            return self._conditional(
                "feed",
                headers,
                etag,
                modified.encode(),
                b"application/rss+xml; charset=utf-8",
                cached[2] if gz else cached[1],
                gzipped=gz,
            )
        m = _ARTICLE.match(path)
        if m:
            ref = self.gen.by_key.get(m.group(1))
            if ref is None or ref.site != site_index:
                self.stats.hit("not_found")
                return _response(404, b"not found")
            if b"if-none-match" not in headers:
                self.stats.articles_served.add(ref.key)
            cached_page = self.gz_cache.get(ref.key)
            if cached_page is not None and gz:
                content, etag = cached_page
            else:
                content = self.gen.article_html(ref)
                etag = _etag(content)
                if gz:
                    content = gzip.compress(content, GZIP_LEVEL)
            return self._conditional(
                "article",
                headers,
                etag,
                _httpdate(ref.published).encode(),
                b"text/html; charset=utf-8",
                content,
                gzipped=gz,
            )
        if path == "/robots.txt":
            self.stats.hit("robots")
            text = f"User-agent: *\nDisallow: /search\nSitemap: {site.base}/sitemap.xml\n"
            return _response(200, text.encode(), b"text/plain")
        if path == "/sitemap.xml":
            self.stats.hit("sitemap")
            text = (
                '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps'
                f'.org/schemas/sitemap/0.9"><sitemap><loc>{site.base}/sitemap-news.xml</loc>'
                "</sitemap></sitemapindex>"
            )
            return _response(200, text.encode(), b"application/xml")
        if path == "/sitemap-news.xml":
            self.stats.hit("sitemap")
            return _response(200, self.gen.news_sitemap(site), b"application/xml")
        if path == "/":
            self.stats.hit("home")
            return _response(200, self.gen.home(site), b"text/html; charset=utf-8")
        self.stats.hit("not_found")
        return _response(404, b"not found")

    def _conditional(
        self,
        kind: str,
        headers: dict[bytes, bytes],
        etag: bytes,
        modified: bytes,
        ctype: bytes,
        content: bytes,
        *,
        gzipped: bool,
    ) -> bytes:
        inm = headers.get(b"if-none-match")
        if (inm is not None and etag in inm) or (
            inm is None and headers.get(b"if-modified-since") == modified
        ):
            self.stats.hit(f"{kind}_304")
            return _response(304, b"", extra=b"ETag: " + etag + b"\r\n", empty=True)
        self.stats.hit(f"{kind}_200")
        extra = b"ETag: " + etag + b"\r\nLast-Modified: " + modified + b"\r\n"
        if gzipped:
            extra += b"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
        return _response(200, content, ctype, extra=extra)

    def _control(self, method: bytes, path: str) -> bytes:
        if path == "/_universe/start" and method == b"POST":
            if self.gen.t_start is None:
                self.gen.t_start = time.time()
            return _json(200, {"t_start": self.gen.t_start, "rate": self.opts.rate})
        if path == "/_universe/stats":
            self.gen.advance(time.time())
            usage = os.times()
            return _json(
                200,
                {
                    "counts": self.stats.counts,
                    "distinct_articles": len(self.stats.articles_served),
                    "bytes_out": self.stats.bytes_out,
                    "connections": self.stats.connections,
                    "cpu_s": usage.user + usage.system,
                    "t_start": self.gen.t_start,
                    "dynamic": self.gen.dynamic,
                    "uptime_s": time.time() - self.t0,
                },
            )
        return _response(404, b"")


def _section(path: str, sections: int) -> int | None:
    """The section of a ``/rss-N.xml`` path, None for any other path."""
    if sections and path.startswith("/rss-") and path.endswith(".xml"):
        number = path[5:-4]
        if number.isdigit() and int(number) < sections:
            return int(number)
    return None


_FORKED: _Generator | None = None
"""The generator, for the forked workers of ``pregenerate``."""


def _render(key: str) -> tuple[bytes, bytes]:
    assert _FORKED is not None
    raw = _FORKED.article_html(_FORKED.by_key[key])
    return gzip.compress(raw, GZIP_LEVEL), _etag(raw)


def _etag(content: bytes) -> bytes:
    return b'"%08x-%x"' % (zlib.crc32(content), len(content))


def _json(status: int, payload: dict[str, Any]) -> bytes:
    return _response(status, json.dumps(payload).encode(), b"application/json")


def _response(
    status: int,
    content: bytes,
    ctype: bytes = b"text/plain",
    *,
    extra: bytes = b"",
    empty: bool = False,
) -> bytes:
    head = b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"X"))
    if not empty and status != 204:
        head += b"Content-Type: " + ctype + b"\r\nContent-Length: %d\r\n" % len(content)
    return head + extra + b"Server: watchwire-universe\r\n\r\n" + content


class _Protocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, GET and small POSTs: just enough, and cheap."""

    def __init__(self, server: _Server) -> None:
        self.server = server
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.stats.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buf += data
        transport = self.transport
        assert transport is not None
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > 65536:
                    transport.close()
                return
            lines = self.buf[:end].split(b"\r\n")
            try:
                method, target, version = lines[0].split(b" ", 2)
            except ValueError:
                transport.write(_response(400, b"bad request"))
                transport.close()
                return
            headers: dict[bytes, bytes] = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get(b"content-length", b"0") or 0)
            if len(self.buf) < end + 4 + length:
                return
            body = self.buf[end + 4 : end + 4 + length]
            self.buf = self.buf[end + 4 + length :]
            out = self.server.respond(method, target, headers, body)
            if method == b"HEAD":
                out = out[: out.find(b"\r\n\r\n") + 4]
            self.server.stats.bytes_out += len(out)
            close = headers.get(b"connection", b"").lower() == b"close" or version == b"HTTP/1.0"
            transport.write(out)
            if close:
                transport.close()
                return


def site_host(index: int) -> str:
    """The loopback address of site ``index``: 127.1.0.1, 127.1.0.2, …, 127.1.1.1, …"""
    return f"127.1.{index // 250}.{index % 250 + 1}"


async def _bind(server_factory: Any, n: int, port: int) -> tuple[list[asyncio.Server], int]:
    loop = asyncio.get_running_loop()
    for _attempt in range(20):
        servers: list[asyncio.Server] = []
        try:
            first = await loop.create_server(server_factory, "127.0.0.1", port, backlog=1024)
            servers.append(first)
            bound = first.sockets[0].getsockname()[1]
            servers += [
                await loop.create_server(server_factory, site_host(i), bound, backlog=1024)
                for i in range(n)
            ]
        except OSError:
            for s in servers:
                s.close()
            if port:
                raise
            continue
        return servers, bound
    raise OSError("could not bind the same port on every site address")


@dataclass(frozen=True, slots=True, kw_only=True)
class UniverseOptions:
    sites: int = 10
    articles: int = 50
    """Initial articles per site."""
    port: int = 0
    seed: int = 1
    rate: float = 0.0
    """New articles per second across all sites, once started."""
    rate_delay: float | None = None
    """Start new articles this many seconds after the server is up (None: on POST /start)."""
    rate_count: int | None = None
    """Stop after this many new articles."""
    initial_age: float = 600.0
    """Seconds between the newest initial article and the start."""
    initial_span: float = 6 * 3600.0
    """Seconds over which a site's initial articles were published."""
    belarus_fraction: float = 0.05
    dynamic_belarus: float = 1.0
    """Share of new articles that mention Belarus and sanctions (they are what alerts)."""
    dup_fraction: float = 0.02
    pregenerate: bool = False
    """Render and gzip every initial article before serving (the server then costs less)."""
    sections: int = 0
    """Section feeds per site besides ``/rss.xml``, overlapping (0: none)."""

    def argv(self) -> list[str]:
        out = [
            "--sites",
            str(self.sites),
            "--articles",
            str(self.articles),
            "--port",
            str(self.port),
            "--seed",
            str(self.seed),
            "--rate",
            str(self.rate),
            "--initial-age",
            str(self.initial_age),
            "--initial-span",
            str(self.initial_span),
            "--belarus-fraction",
            str(self.belarus_fraction),
            "--dynamic-belarus",
            str(self.dynamic_belarus),
            "--dup-fraction",
            str(self.dup_fraction),
        ]
        if self.rate_delay is not None:
            out += ["--rate-delay", str(self.rate_delay)]
        if self.rate_count is not None:
            out += ["--rate-count", str(self.rate_count)]
        if self.pregenerate:
            out.append("--pregenerate")
        if self.sections:
            out += ["--sections", str(self.sections)]
        return out


async def serve(opts: UniverseOptions, *, announce: Any = print) -> None:
    t_begin = time.time()
    gen_holder: dict[str, _Server] = {}
    servers, port = await _bind(lambda: _Protocol(gen_holder["s"]), opts.sites, opts.port)
    hosts = [f"{site_host(i)}:{port}" for i in range(opts.sites)]
    gen = _Generator(opts, hosts, t_begin)
    server = _Server(gen, port, opts)
    gen_holder["s"] = server
    if opts.pregenerate:
        server.pregenerate()
    if opts.rate_delay is not None:
        gen.t_start = time.time() + opts.rate_delay
    setup_cpu = sum(os.times()[:2])
    announce(
        json.dumps(
            {
                "pid": os.getpid(),
                "port": port,
                "t0": t_begin,
                "setup_s": time.time() - t_begin,
                "setup_cpu_s": setup_cpu,
                "control": f"http://127.0.0.1:{port}",
                "hook": f"http://127.0.0.1:{port}/hook",
                "t_start": gen.t_start,
                "feeds": [f"http://{h}/rss.xml" for h in hosts],
                "section_feeds": [
                    f"http://{h}/rss-{j}.xml" for h in hosts for j in range(opts.sections)
                ],
            }
        )
    )
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for s in servers:
            s.close()


# --- the client side: start it as a subprocess -------------------------------------------------


def parse_rate(text: str) -> float:
    """``10/s``, ``30/m``, ``600/h`` or a bare number of articles per second."""
    m = re.fullmatch(r"\s*([\d.]+)\s*(?:/\s*([smh]))?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"bad rate {text!r}: use 10/s, 30/m or 600/h")
    return float(m.group(1)) / {"s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


class Universe:
    """``with Universe(UniverseOptions(...)) as u:`` a running universe in a subprocess."""

    def __init__(self, opts: UniverseOptions, *, startup_timeout: float = 300.0) -> None:
        self.opts = opts
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}

    def __enter__(self) -> Universe:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.universe", *self.opts.argv()],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + self.startup_timeout
        os.set_blocking(self.proc.stdout.fileno(), True)
        import selectors

        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    self.__exit__(None, None, None)
                    raise RuntimeError("the universe did not start")
                if sel.select(timeout=min(left, 1.0)):
                    line = self.proc.stdout.readline()
                    if line.startswith("{"):
                        self.info = json.loads(line)
                        break
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def feeds(self) -> list[str]:
        return list(self.info["feeds"])

    @property
    def hook(self) -> str:
        return str(self.info["hook"])

    def _call(self, method: str, path: str) -> dict[str, Any]:
        req = urllib.request.Request(self.info["control"] + path, method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return dict(json.loads(resp.read()))

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/_universe/stats")

    def start_new_articles(self) -> float:
        """Start the clock of new articles; returns ``t_start`` (epoch seconds)."""
        return float(self._call("POST", "/_universe/start")["t_start"])


def appeared_at(url: str, t_start: float, rate: float) -> float | None:
    """When the dynamic article at ``url`` appeared (None for an initial article)."""
    m = re.search(r"-d(\d+)\.html", url)
    return None if m is None else t_start + int(m.group(1)) / rate


# --- command line -----------------------------------------------------------------------------


def _parse(argv: Sequence[str] | None) -> UniverseOptions:
    p = argparse.ArgumentParser(prog="python -m bench.universe", description=__doc__.split("\n")[0])
    p.add_argument("--sites", type=int, default=10)
    p.add_argument("--articles", type=int, default=50, help="initial articles per site")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rate", type=parse_rate, default=0.0, help="new articles: 10/s, 30/m")
    p.add_argument(
        "--rate-delay",
        type=float,
        default=None,
        help="seconds before new articles start (default: on POST /_universe/start)",
    )
    p.add_argument("--rate-count", type=int, default=None)
    p.add_argument("--initial-age", type=float, default=600.0)
    p.add_argument("--initial-span", type=float, default=6 * 3600.0)
    p.add_argument("--belarus-fraction", type=float, default=0.05)
    p.add_argument("--dynamic-belarus", type=float, default=1.0)
    p.add_argument("--dup-fraction", type=float, default=0.02)
    p.add_argument("--pregenerate", action="store_true")
    p.add_argument("--sections", type=int, default=0,
                   help="overlapping section feeds per site besides /rss.xml")  # fmt: skip
    a = p.parse_args(argv)
    return UniverseOptions(
        sites=a.sites,
        articles=a.articles,
        port=a.port,
        seed=a.seed,
        rate=a.rate,
        rate_delay=a.rate_delay,
        rate_count=a.rate_count,
        initial_age=a.initial_age,
        initial_span=a.initial_span,
        belarus_fraction=a.belarus_fraction,
        dynamic_belarus=a.dynamic_belarus,
        dup_fraction=a.dup_fraction,
        pregenerate=a.pregenerate,
        sections=a.sections,
    )


def main(argv: Sequence[str] | None = None) -> None:
    opts = _parse(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(opts))


if __name__ == "__main__":
    main()
