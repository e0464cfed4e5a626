"""The fetcher against a real loopback server that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import gzip
import logging
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import aiohttp
import brotli  # type: ignore[import-untyped, unused-ignore]
import pytest

from tests.fetch.conftest import make_settings
from tests.support.httpserver import (
    HttpServer,
    Request,
    Response,
    ServerFactory,
    html,
    status,
    text,
)
from watchwire.config import CrawlSettings
from watchwire.fetch import Fetcher, decode_html
from watchwire.fetch.transport import AIOHTTP_KEEPALIVE
from watchwire.models import FetchOutcome, Validators

pytestmark = pytest.mark.timeout(20)

PAGE = "<html><head><title>t</title></head><body><p>Hello</p></body></html>"
ALLOW_ALL = text("User-agent: *\nAllow: /\n")


class RecordingSleep:
    """Backoff sleeps recorded, not slept: retries run instantly."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
async def fetcher(settings: CrawlSettings) -> AsyncIterator[Fetcher]:
    async with Fetcher(settings) as f:
        yield f


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def fast_fetcher(settings: CrawlSettings, sleeps: RecordingSleep) -> AsyncIterator[Fetcher]:
    async with Fetcher(settings, sleep=sleeps, rand=lambda: 0.5) as f:
        yield f


async def site(
    http_server: ServerFactory, routes: dict[str, Callable[..., Awaitable[None]]]
) -> HttpServer:
    return await http_server({"/robots.txt": ALLOW_ALL, **routes})


async def stall(request: Request, response: Response, server: HttpServer) -> None:
    await server.release.wait()


# --- the ordinary case --------------------------------------------------------------------------


async def test_ok_page_returns_body_type_charset_and_validators(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """A 200 HTML page comes back with its bytes, media type, header charset and validators."""

    async def page(request: Request, response: Response) -> None:
        await response.send(
            200,
            PAGE.encode(),
            {"Content-Type": "text/html; charset=UTF-8", "ETag": '"v1"', "Last-Modified": "x"},
        )

    server = await site(http_server, {"/a": page})
    result = await fetcher.fetch(server.url("/a"))
    assert result.outcome is FetchOutcome.OK
    assert result.status == 200
    assert result.content == PAGE.encode()
    assert result.content_type == "text/html"
    assert result.charset == "UTF-8"
    assert result.validators == Validators(etag='"v1"', last_modified="x")
    assert result.final_url == result.url == server.url("/a")


async def test_requests_carry_user_agent_and_accept_encoding(
    http_server: ServerFactory, fetcher: Fetcher, settings: CrawlSettings
) -> None:
    """Every request (robots.txt included) says who we are and what encodings we take."""
    server = await site(http_server, {"/a": html(PAGE)})
    await fetcher.fetch(server.url("/a"))
    assert [r.path for r in server.requests] == ["/robots.txt", "/a"]
    for r in server.requests:
        assert r.headers["user-agent"] == settings.user_agent
        assert r.headers["accept-encoding"] == "gzip, deflate, br"
        assert "cookie" not in r.headers


async def test_connections_are_reused(http_server: ServerFactory, fetcher: Fetcher) -> None:
    """Sequential fetches to one host ride one keep-alive connection."""
    server = await site(http_server, {"/a": html(PAGE)})
    for _ in range(3):
        assert (await fetcher.fetch(server.url("/a"))).ok
    assert len({r.connection for r in server.requests}) == 1


async def test_conditional_get_gets_not_modified(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """Validators are sent; a 304 is NOT_MODIFIED with no body and the validators kept."""

    async def cached(request: Request, response: Response) -> None:
        if request.headers.get("if-none-match") == '"v1"':
            await response.send(304, b"", {"ETag": '"v1"'})
        else:
            await response.send(200, PAGE.encode(), {"Content-Type": "text/html", "ETag": '"v1"'})

    server = await site(http_server, {"/a": cached})
    sent = Validators(etag='"v1"', last_modified="Mon, 30 Nov 2026 07:00:00 GMT")
    result = await fetcher.fetch(server.url("/a"), validators=sent)
    assert result.outcome is FetchOutcome.NOT_MODIFIED
    assert result.status == 304
    assert result.content == b""
    assert result.validators == sent
    assert server.hits("/a")[0].headers["if-modified-since"] == sent.last_modified


async def test_gzip_and_brotli_bodies_are_decoded(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """Content-Encoding gzip, br and deflate come back decoded."""
    import zlib

    bodies = {
        "gzip": gzip.compress(PAGE.encode()),
        "br": brotli.compress(PAGE.encode()),
        "deflate": zlib.compress(PAGE.encode()),
    }

    def encoded(coding: str) -> Callable[[Request, Response], Awaitable[None]]:
        async def handler(request: Request, response: Response) -> None:
            headers = {"Content-Type": "text/html", "Content-Encoding": coding}
            await response.send(200, bodies[coding], headers)

        return handler

    server = await site(http_server, {f"/{c}": encoded(c) for c in bodies})
    for coding in bodies:
        result = await fetcher.fetch(server.url(f"/{coding}"))
        assert result.content == PAGE.encode(), coding


@pytest.mark.parametrize(
    "headers",
    [
        [("Content-Encoding", "deflate, gzip")],
        [("Content-Encoding", "deflate"), ("Content-Encoding", "gzip")],  # one line per coding
    ],
)
async def test_stacked_codings_are_undone_in_reverse(
    http_server: ServerFactory, fetcher: Fetcher, headers: list[tuple[str, str]]
) -> None:
    """Codings applied one after the other (deflate, then gzip) are undone last first, whether
    listed in one header or in one header line each."""
    import zlib

    body = gzip.compress(zlib.compress(PAGE.encode()))

    async def stacked(request: Request, response: Response) -> None:
        await response.send(200, body, [("Content-Type", "text/html"), *headers])

    server = await site(http_server, {"/stacked": stacked})
    result = await fetcher.fetch(server.url("/stacked"))
    assert result.content == PAGE.encode()


async def test_gzipped_sitemap_file_is_gunzipped_for_feeds(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """A sitemap.xml.gz served as application/x-gzip arrives as XML for purpose="feed"."""
    xml = b'<?xml version="1.0"?><urlset></urlset>'
    server = await site(
        http_server,
        {"/sitemap.xml.gz": html(gzip.compress(xml), content_type="application/x-gzip")},
    )
    result = await fetcher.fetch(server.url("/sitemap.xml.gz"), purpose="feed")
    assert result.ok
    assert result.content == xml


async def test_a_broken_gzip_file_is_a_decode_error_for_feeds(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """A .gz file that is corrupt, or cut short inside its stream, is not handed on as XML."""
    packed = gzip.compress(b'<?xml version="1.0"?><urlset>' + b"<url/>" * 5000 + b"</urlset>")
    server = await site(
        http_server,
        {
            "/cut.xml.gz": html(packed[: len(packed) // 2], content_type="application/x-gzip"),
            "/junk.xml.gz": html(b"\x1f\x8b" + bytes(100), content_type="application/x-gzip"),
        },
    )
    for path in ("/cut.xml.gz", "/junk.xml.gz"):
        result = await fetcher.fetch(server.url(path), purpose="feed")
        assert result.error_class == "decode" and not result.transient
        assert result.error is not None and "invalid gzip data" in result.error


# --- content types --------------------------------------------------------------------------------


async def test_non_html_page_is_skipped_without_reading_it(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """An image where an article was expected is SKIPPED, its body not returned."""
    server = await site(http_server, {"/img": html(b"\x89PNG" * 1000, content_type="image/png")})
    result = await fetcher.fetch(server.url("/img"))
    assert result.outcome is FetchOutcome.SKIPPED
    assert result.content_type == "image/png"
    assert result.content == b""


@pytest.mark.parametrize(
    ("content_type", "purpose", "outcome"),
    [
        ("application/xhtml+xml", "page", FetchOutcome.OK),
        ("application/xml", "page", FetchOutcome.OK),
        ("application/rss+xml", "page", FetchOutcome.SKIPPED),
        ("application/rss+xml", "feed", FetchOutcome.OK),
        ("application/atom+xml; charset=utf-8", "feed", FetchOutcome.OK),
        ("application/feed+json", "feed", FetchOutcome.OK),
        ("text/html", "feed", FetchOutcome.OK),
        ("application/pdf", "feed", FetchOutcome.SKIPPED),
    ],
)
async def test_content_type_policy_per_purpose(
    http_server: ServerFactory,
    fetcher: Fetcher,
    content_type: str,
    purpose: str,
    outcome: FetchOutcome,
) -> None:
    """Pages take HTML/XHTML/XML; feeds also take RSS/Atom/JSON Feed and HTML (autodiscovery)."""
    server = await site(http_server, {"/d": html(b"<x/>", content_type=content_type)})
    result = await fetcher.fetch(server.url("/d"), purpose=purpose)  # type: ignore[arg-type]
    assert result.outcome is outcome


# --- timeouts -------------------------------------------------------------------------------------


async def test_stall_before_headers_ends_at_the_deadline(http_server: ServerFactory) -> None:
    """A server that never answers costs the deadline (retries included), not more."""
    server = await site(http_server, {})
    server.routes["/stall"] = lambda rq, rs: stall(rq, rs, server)
    settings = make_settings(timeout=timedelta(seconds=0.5), retries=3)
    async with Fetcher(settings) as fetcher:
        loop = asyncio.get_running_loop()
        started = loop.time()
        result = await fetcher.fetch(server.url("/stall"))
        took = loop.time() - started
    assert result.outcome is FetchOutcome.ERROR
    assert result.error_class == "timeout"
    assert result.transient
    assert took < 0.5 + 0.5
    assert len(server.hits("/stall")) == 1  # the deadline left no time for a retry


async def test_dripping_server_cannot_outlive_the_deadline(http_server: ServerFactory) -> None:
    """One byte every 50 ms resets httpx's read timeout forever; the total deadline still holds."""

    async def drip(request: Request, response: Response) -> None:
        response.write(
            Response.head(200, [("Content-Type", "text/html"), ("Content-Length", "100000")])
        )
        while True:
            response.write(b"x")
            await response.drain()
            await asyncio.sleep(0.05)  # the misbehaviour under test, not synchronisation

    server = await site(http_server, {"/drip": drip})
    settings = make_settings(timeout=timedelta(seconds=0.6), retries=0)
    async with Fetcher(settings) as fetcher:
        loop = asyncio.get_running_loop()
        started = loop.time()
        result = await fetcher.fetch(server.url("/drip"))
        took = loop.time() - started
    assert result.error_class == "timeout"
    assert 0.6 <= took < 0.6 + 0.5


async def test_stall_mid_body_times_out(http_server: ServerFactory) -> None:
    """Headers and half a body, then silence: a timeout, within the deadline."""
    server = await site(http_server, {})

    async def half(request: Request, response: Response) -> None:
        response.write(
            Response.head(200, [("Content-Type", "text/html"), ("Content-Length", "2000")])
        )
        response.write(b"x" * 1000)
        await response.drain()
        await server.release.wait()

    server.routes["/half"] = half
    settings = make_settings(timeout=timedelta(seconds=0.5), retries=0)
    async with Fetcher(settings) as fetcher:
        loop = asyncio.get_running_loop()
        started = loop.time()
        result = await fetcher.fetch(server.url("/half"))
        assert loop.time() - started < 1.0
    assert result.error_class == "timeout"


async def test_connection_refused_is_a_transient_connect_error(fetcher: Fetcher) -> None:
    """Nobody listening: ERROR connect, transient (robots.txt unreachable is checked first)."""
    settings = make_settings(respect_robots=False, retries=0)
    result = await fetcher.fetch("http://127.0.0.1:9/", settings=settings)
    assert result.outcome is FetchOutcome.ERROR
    assert result.error_class == "connect"
    assert result.transient


async def test_unresolvable_host_is_a_dns_error(fetcher: Fetcher) -> None:
    """``.invalid`` never resolves (RFC 6761): ERROR dns, transient, named for what it is."""
    settings = make_settings(respect_robots=False, retries=0)
    result = await fetcher.fetch("http://no-such-host.invalid/", settings=settings)
    assert (result.error_class, result.transient) == ("dns", True)
    assert "Timeout" not in (result.error or "")


async def test_a_network_failure_is_reported_as_itself_not_as_robots(fetcher: Fetcher) -> None:
    """robots.txt unreachable because nothing answers is a DNS or connection failure, said
    plainly, not "robots.txt disallows it" (which the site never said)."""
    settings = make_settings(retries=0)
    refused = await fetcher.fetch("http://127.0.0.1:9/news", settings=settings)
    assert (refused.outcome, refused.error_class) == (FetchOutcome.ERROR, "connect")
    assert refused.error == "connection refused by 127.0.0.1:9"
    unknown = await fetcher.fetch("http://no-such-host.invalid/news", settings=settings)
    assert (unknown.outcome, unknown.error) == (FetchOutcome.ERROR, "DNS lookup failed for "
                                                "no-such-host.invalid")  # fmt: skip


async def test_a_transient_failure_says_how_often_it_was_tried(fetcher: Fetcher) -> None:
    settings = make_settings(respect_robots=False, retries=1)
    result = await fetcher.fetch("http://127.0.0.1:9/", settings=settings)
    assert result.error == "connection refused by 127.0.0.1:9 (tried 2 times)"


async def test_a_404_says_it_is_not_retried(http_server: ServerFactory, fetcher: Fetcher) -> None:
    server = await http_server({})
    result = await fetcher.fetch(server.url("/gone"), settings=make_settings(respect_robots=False))
    assert result.error == "HTTP 404 (not retried)"


# --- resets and retries ---------------------------------------------------------------------------


async def test_reset_connection_is_retried_then_reported(
    http_server: ServerFactory, fast_fetcher: Fetcher, sleeps: RecordingSleep
) -> None:
    """A TCP reset is transient: retried ``retries`` times with growing backoff, then ERROR."""

    async def reset(request: Request, response: Response) -> None:
        response.reset()

    server = await site(http_server, {"/reset": reset})
    result = await fast_fetcher.fetch(server.url("/reset"))
    assert result.outcome is FetchOutcome.ERROR
    assert result.error_class == "reset"
    assert result.transient
    # Three tries of ours; aiohttp re-sends an idempotent request once when the connection
    # drops (RFC 9112 §9.3.1, meant for stale keep-alive connections), so up to six requests.
    assert 3 <= len(server.hits("/reset")) <= 6
    assert sleeps.calls == [0.375, 0.75]  # 0.5·2^n with rand()=0.5: equal jitter


async def test_500_then_200_succeeds_on_retry(
    http_server: ServerFactory, fast_fetcher: Fetcher
) -> None:
    """A passing server error costs one retry, not the page."""
    answers = iter([status(500), html(PAGE)])

    async def flaky(request: Request, response: Response) -> None:
        await next(answers)(request, response)

    server = await site(http_server, {"/flaky": flaky})
    result = await fast_fetcher.fetch(server.url("/flaky"))
    assert result.ok
    assert len(server.hits("/flaky")) == 2


async def test_429_retry_after_is_honoured(
    http_server: ServerFactory, fast_fetcher: Fetcher, sleeps: RecordingSleep
) -> None:
    """429 with Retry-After: 1 waits at least a second before the retry."""
    answers = iter([status(429, {"Retry-After": "1"}), html(PAGE)])

    async def limited(request: Request, response: Response) -> None:
        await next(answers)(request, response)

    server = await site(http_server, {"/limited": limited})
    settings = make_settings(timeout=timedelta(seconds=5))
    result = await fast_fetcher.fetch(server.url("/limited"), settings=settings)
    assert result.ok
    assert max(sleeps.calls) >= 1.0


async def test_long_retry_after_is_reported_not_waited(
    http_server: ServerFactory, fast_fetcher: Fetcher, sleeps: RecordingSleep
) -> None:
    """A Retry-After of an hour gives up at once and tells the caller how long to wait."""
    server = await site(http_server, {"/busy": status(503, {"Retry-After": "3600"})})
    result = await fast_fetcher.fetch(server.url("/busy"))
    assert result.error_class == "http_5xx"
    assert result.transient
    assert result.retry_after == 3600
    assert len(server.hits("/busy")) == 1
    assert sleeps.calls == []


async def test_client_errors_are_permanent_and_not_retried(
    http_server: ServerFactory, fast_fetcher: Fetcher
) -> None:
    """404 is ERROR http_4xx, permanent, asked once."""
    server = await site(http_server, {})
    result = await fast_fetcher.fetch(server.url("/missing"))
    assert (result.error_class, result.status, result.transient) == ("http_4xx", 404, False)
    assert len(server.hits("/missing")) == 1


# --- redirects ------------------------------------------------------------------------------------


def redirect(to: str, code: int = 302) -> Callable[[Request, Response], Awaitable[None]]:
    return status(code, {"Location": to})


async def test_redirect_is_followed(http_server: ServerFactory, fetcher: Fetcher) -> None:
    """A relative redirect is followed; ``final_url`` says where the page was."""
    server = await site(http_server, {"/old": redirect("/new", 301), "/new": html(PAGE)})
    result = await fetcher.fetch(server.url("/old"))
    assert result.ok
    assert result.final_url == server.url("/new")
    assert result.url == server.url("/old")


async def test_only_permanent_redirects_say_where_a_url_moved(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """301 then 308: moved, to the last hop; a 302 anywhere on the way: not moved."""
    server = await site(http_server, {
        "/old": redirect("/older", 301), "/older": redirect("/new", 308), "/new": html(PAGE),
        "/tmp": redirect("/new", 302), "/mixed": redirect("/tmp", 301),
    })  # fmt: skip
    moved = await fetcher.fetch(server.url("/old"))
    assert moved.ok and moved.moved_to == server.url("/new")
    assert (await fetcher.fetch(server.url("/tmp"))).moved_to is None
    assert (await fetcher.fetch(server.url("/mixed"))).moved_to is None
    assert (await fetcher.fetch(server.url("/new"))).moved_to is None


async def test_redirect_loop_is_detected(http_server: ServerFactory, fetcher: Fetcher) -> None:
    """/a → /b → /a stops at the first repeat, permanently."""
    server = await site(http_server, {"/a": redirect("/b"), "/b": redirect("/a")})
    result = await fetcher.fetch(server.url("/a"))
    assert (result.error_class, result.transient) == ("redirect_loop", False)
    assert len(server.hits("/a")) == 1


async def test_redirect_limit(http_server: ServerFactory, fetcher: Fetcher) -> None:
    """More than ``max_redirects`` hops is an error, after exactly that many."""

    async def chain(request: Request, response: Response) -> None:
        n = int(request.path.rsplit("/", 1)[1])
        await response.send(302, b"", {"Location": f"/r/{n + 1}"})

    server = await site(http_server, {"/r/*": chain})
    result = await fetcher.fetch(server.url("/r/0"), settings=make_settings(max_redirects=3))
    assert result.error_class == "redirects"
    assert len([r for r in server.requests if r.path.startswith("/r/")]) == 4


async def test_redirect_to_another_host_obeys_its_robots(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """A redirect target on another host is checked against that host's robots.txt."""
    other = await http_server(
        {"/robots.txt": text("User-agent: *\nDisallow: /private\n"), "/private": html(PAGE)}
    )
    server = await site(http_server, {"/go": redirect(other.url("/private"))})
    result = await fetcher.fetch(server.url("/go"))
    assert result.outcome is FetchOutcome.DISALLOWED
    assert result.final_url == other.url("/private")
    assert other.hits("/private") == []


# --- size caps ------------------------------------------------------------------------------------


async def test_50mb_body_is_cut_at_max_body(http_server: ServerFactory) -> None:
    """A 50 MB body without Content-Length is cut at the cap, quickly."""

    async def huge(request: Request, response: Response) -> None:
        response.write(Response.head(200, [("Content-Type", "text/html"), ("Connection", "close")]))
        chunk = b"x" * 65536
        for _ in range(50 * 16):
            response.write(chunk)
            await response.drain()
        response.close()

    server = await site(http_server, {"/huge": huge})
    async with Fetcher(make_settings(max_body=200_000)) as fetcher:
        result = await fetcher.fetch(server.url("/huge"))
    assert result.outcome is FetchOutcome.ERROR
    assert (result.error_class, result.transient) == ("too_large", False)
    assert len(result.content) == 200_000


async def test_declared_oversize_body_is_refused_up_front(
    http_server: ServerFactory,
) -> None:
    """Content-Length over the cap: too_large without reading the body."""
    server = await site(http_server, {})

    async def declared(request: Request, response: Response) -> None:
        response.write(
            Response.head(200, [("Content-Type", "text/html"), ("Content-Length", str(50 * 2**20))])
        )
        await response.drain()
        await server.release.wait()

    server.routes["/declared"] = declared
    async with Fetcher(make_settings(max_body=200_000)) as fetcher:
        result = await fetcher.fetch(server.url("/declared"))
    assert result.error_class == "too_large"
    assert result.content == b""


@pytest.mark.parametrize("coding", ["gzip", "br"])
async def test_decompression_bomb_is_cut_with_bounded_memory(
    http_server: ServerFactory, coding: str
) -> None:
    """50 MiB of zeros in ~50 KB of gzip (or brotli) stops at the cap; memory stays near it."""
    zeros = bytes(50 * 2**20)
    bomb = gzip.compress(zeros, 9) if coding == "gzip" else brotli.compress(zeros, quality=5)
    del zeros
    server = await site(
        http_server,
        {"/bomb": html(bomb, content_type="text/html")},
    )

    async def with_encoding(request: Request, response: Response) -> None:
        headers = {"Content-Type": "text/html", "Content-Encoding": coding}
        await response.send(200, bomb, headers)

    server.routes["/bomb"] = with_encoding
    cap = 1_000_000
    async with Fetcher(make_settings(max_body=cap)) as fetcher:
        tracemalloc.start()
        try:
            result = await fetcher.fetch(server.url("/bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.error_class == "too_large"
    assert len(result.content) == cap
    assert peak < 6 * cap


async def test_body_shorter_than_content_length_is_incomplete(
    http_server: ServerFactory, fast_fetcher: Fetcher
) -> None:
    """Content-Length says 100 000, the server sends 1 000 and hangs up: transient, incomplete."""

    async def short(request: Request, response: Response) -> None:
        response.write(
            Response.head(200, [("Content-Type", "text/html"), ("Content-Length", "100000")])
        )
        response.write(b"x" * 1000)
        await response.drain()
        response.close()

    server = await site(http_server, {"/short": short})
    result = await fast_fetcher.fetch(server.url("/short"), settings=make_settings(retries=0))
    assert (result.error_class, result.transient) == ("incomplete", True)


async def test_body_longer_than_content_length_is_a_protocol_error(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """Content-Length says 10, the server sends a megabyte: aiohttp rejects the garbage after the
    body as a bad next response; we report a permanent protocol error, briefly, and read no more."""

    async def long(request: Request, response: Response) -> None:
        response.write(
            Response.head(200, [("Content-Type", "text/html"), ("Content-Length", "10")])
        )
        response.write(b"0123456789" + b"y" * 1_000_000)
        await response.drain()
        response.close()

    server = await site(http_server, {"/long": long})
    result = await fetcher.fetch(server.url("/long"))
    assert (result.error_class, result.transient) == ("protocol", False)
    assert result.content == b""
    assert result.error is not None
    assert len(result.error) < 400


# --- charsets -------------------------------------------------------------------------------------

RUSSIAN = "Лукашенко заявил о готовности к переговорам с США по санкциям против Беларуси."


async def test_windows_1251_without_any_declaration_decodes(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """No header charset, no meta: detection recognises windows-1251."""
    doc = f"<html><body><p>{RUSSIAN}</p><p>{RUSSIAN}</p></body></html>".encode("windows-1251")
    server = await site(http_server, {"/cp": html(doc, content_type="text/html")})
    result = await fetcher.fetch(server.url("/cp"))
    assert result.charset is None
    assert RUSSIAN in decode_html(result.content, charset=result.charset)


async def test_koi8r_declared_only_in_meta_decodes(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """Charset only in ``<meta http-equiv>``: honoured."""
    doc = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
        f"</head><body><p>{RUSSIAN}</p></body></html>"
    ).encode("koi8-r")
    server = await site(http_server, {"/koi": html(doc, content_type="text/html")})
    result = await fetcher.fetch(server.url("/koi"))
    assert RUSSIAN in decode_html(result.content, charset=result.charset)


# --- robots.txt -----------------------------------------------------------------------------------


async def test_robots_disallowed_path_is_not_fetched(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """Disallowed paths are DISALLOWED without a request; robots.txt is fetched once."""
    server = await http_server(
        {
            "/robots.txt": text("User-agent: *\nDisallow: /private/\n"),
            "/private/a": html(PAGE),
            "/public": html(PAGE),
        }
    )
    results = await asyncio.gather(
        fetcher.fetch(server.url("/private/a")),
        fetcher.fetch(server.url("/public")),
        fetcher.fetch(server.url("/public")),
    )
    assert [r.outcome for r in results] == [
        FetchOutcome.DISALLOWED,
        FetchOutcome.OK,
        FetchOutcome.OK,
    ]
    assert server.hits("/private/a") == []
    assert len(server.hits("/robots.txt")) == 1


async def test_robots_group_for_our_agent_wins(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """A group naming our product token applies to us rather than ``*``."""
    server = await http_server(
        {
            "/robots.txt": text(
                "User-agent: *\nAllow: /\n\nUser-agent: watchwire-test\nDisallow: /\n"
            ),
            "/a": html(PAGE),
        }
    )
    result = await fetcher.fetch(server.url("/a"))
    assert result.outcome is FetchOutcome.DISALLOWED


async def test_robots_4xx_allows_all(http_server: ServerFactory, fetcher: Fetcher) -> None:
    """No robots.txt (404): everything is allowed."""
    server = await http_server({"/a": html(PAGE)})
    assert (await fetcher.fetch(server.url("/a"))).ok


async def test_robots_5xx_disallows_all(http_server: ServerFactory, fetcher: Fetcher) -> None:
    """robots.txt answering 500: the site counts as unreachable, nothing is fetched."""
    server = await http_server({"/robots.txt": status(500), "/a": html(PAGE)})
    result = await fetcher.fetch(server.url("/a"))
    assert result.outcome is FetchOutcome.DISALLOWED
    assert result.error is not None and "answered HTTP 500" in result.error
    assert server.hits("/a") == []


async def test_robots_ignored_when_respect_robots_is_off(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """``respect_robots: false`` neither asks for robots.txt nor obeys it."""
    server = await http_server(
        {"/robots.txt": text("User-agent: *\nDisallow: /\n"), "/a": html(PAGE)}
    )
    result = await fetcher.fetch(server.url("/a"), settings=make_settings(respect_robots=False))
    assert result.ok
    assert server.hits("/robots.txt") == []


# --- per-host politeness, measured on the server --------------------------------------------------


async def test_per_host_concurrency_limit_is_respected(http_server: ServerFactory) -> None:
    """Ten fetches to one host, limit 2: the server sees two at once, never three."""
    full = asyncio.Event()
    server = await site(http_server, {})

    async def held(request: Request, response: Response) -> None:
        if server.in_flight >= 2:
            full.set()
        await full.wait()  # the first request waits for a second one: proves overlap
        await response.send(200, PAGE.encode(), {"Content-Type": "text/html"})

    server.routes["/p/*"] = held
    async with Fetcher(make_settings(per_host_concurrency=2)) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(server.url(f"/p/{i}")) for i in range(10)))
    assert all(r.ok for r in results)
    assert server.max_in_flight == 2


async def test_hosts_have_separate_limits(http_server: ServerFactory) -> None:
    """Limit 1 per host does not serialise two hosts: each answers only once the other is asked."""
    seen = {"a": asyncio.Event(), "b": asyncio.Event()}

    def waits_for(me: str, other: str) -> Callable[[Request, Response], Awaitable[None]]:
        async def handler(request: Request, response: Response) -> None:
            seen[me].set()
            await seen[other].wait()
            await response.send(200, PAGE.encode(), {"Content-Type": "text/html"})

        return handler

    a = await site(http_server, {"/x": waits_for("a", "b")})
    b = await site(http_server, {"/x": waits_for("b", "a")})
    async with Fetcher(make_settings(per_host_concurrency=1)) as fetcher:
        ra, rb = await asyncio.gather(fetcher.fetch(a.url("/x")), fetcher.fetch(b.url("/x")))
    assert ra.ok and rb.ok


async def test_per_host_delay_spaces_request_starts(http_server: ServerFactory) -> None:
    """With a 0.2 s delay, four request starts at one host (robots.txt included) span 0.6 s,
    though the concurrency limit would let them all start at once.

    Judged on the span, not on each gap: the server shares the test's event loop, so under load
    one arrival can be read late and squeeze the next gap, but the last cannot come early.
    """
    server = await site(http_server, {"/p/*": html(PAGE)})
    settings = make_settings(per_host_delay=timedelta(seconds=0.2), per_host_concurrency=4)
    async with Fetcher(settings) as fetcher:
        await asyncio.gather(*(fetcher.fetch(server.url(f"/p/{i}")) for i in range(3)))
    starts = [r.received_at for r in server.requests]
    assert len(starts) == 4
    assert starts == sorted(starts)
    assert starts[-1] - starts[0] >= 3 * 0.2 - 0.08


async def test_retry_after_pauses_the_whole_host(
    http_server: ServerFactory, sleeps: RecordingSleep
) -> None:
    """After a 429 with Retry-After, the next request to that host waits for it too."""
    answers = iter([status(429, {"Retry-After": "7"})])

    async def limited(request: Request, response: Response) -> None:
        await next(answers, html(PAGE))(request, response)

    server = await site(http_server, {"/p/*": limited})
    settings = make_settings(retries=0)
    async with Fetcher(settings, sleep=sleeps) as fetcher:
        first = await fetcher.fetch(server.url("/p/1"))
        second = await fetcher.fetch(server.url("/p/2"))
    assert first.error_class == "http_429"
    assert first.retry_after == 7
    assert second.ok
    assert any(6.5 < s <= 7 for s in sleeps.calls)


# --- never raises, never leaks --------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://example.org/x", "not a url", "http://", "http://[::1"])
async def test_bad_urls_are_errors_not_exceptions(fetcher: Fetcher, url: str) -> None:
    """A URL we cannot request is ERROR invalid_url."""
    result = await fetcher.fetch(url)
    assert result.outcome is FetchOutcome.ERROR
    assert result.error_class == "invalid_url"
    assert not result.transient


async def test_cancellation_propagates(http_server: ServerFactory, fetcher: Fetcher) -> None:
    """Cancelling a fetch cancels it (CancelledError is the one thing fetch lets out)."""
    arrived = asyncio.Event()
    server = await site(http_server, {})

    async def hang(request: Request, response: Response) -> None:
        arrived.set()
        await server.release.wait()

    server.routes["/hang"] = hang
    task = asyncio.create_task(fetcher.fetch(server.url("/hang")))
    await arrived.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_logs_redact_secrets_in_urls(
    http_server: ServerFactory, fetcher: Fetcher, caplog: pytest.LogCaptureFixture
) -> None:
    """A token in a failing URL never reaches the logs, ours or the libraries'."""
    server = await site(http_server, {})
    caplog.set_level(logging.DEBUG)
    result = await fetcher.fetch(server.url("/missing?token=s3cr3t&page=2"))
    assert result.error_class == "http_4xx"
    assert "missing" in caplog.text
    assert "s3cr3t" not in caplog.text


async def test_error_messages_redact_secrets_in_urls(
    http_server: ServerFactory, fetcher: Fetcher, caplog: pytest.LogCaptureFixture
) -> None:
    """aiohttp quotes the request URL in protocol errors; the token is masked in the result."""

    async def garbage(request: Request, response: Response) -> None:
        response.write(b"this is not HTTP\r\n\r\n")
        response.close()

    server = await site(http_server, {"/bad": garbage})
    caplog.set_level(logging.DEBUG)
    result = await fetcher.fetch(server.url("/bad?api_key=s3cr3t"))
    assert result.error_class == "protocol"
    assert "s3cr3t" not in (result.error or "")
    assert "s3cr3t" not in caplog.text


async def test_huge_response_headers_are_accepted(
    http_server: ServerFactory, fetcher: Fetcher
) -> None:
    """A 20 KB Content-Security-Policy header (common on news sites) is not a protocol error."""

    async def csp(request: Request, response: Response) -> None:
        headers = {"Content-Type": "text/html", "Content-Security-Policy": "x" * 20_000}
        await response.send(200, PAGE.encode(), headers)

    server = await site(http_server, {"/csp": csp})
    assert (await fetcher.fetch(server.url("/csp"))).ok


async def test_fetch_on_a_closed_fetcher_is_a_usage_error(settings: CrawlSettings) -> None:
    """Misuse is loud: fetch before ``async with`` raises RuntimeError (not a FetchResult)."""
    fetcher = Fetcher(settings)
    with pytest.raises(RuntimeError):
        await fetcher.fetch("http://127.0.0.1:9/")


async def test_injected_transport_replaces_the_network(settings: CrawlSettings) -> None:
    """``transport=httpx.MockTransport(...)`` works for callers' unit tests."""
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(200, html=PAGE)

    async with Fetcher(settings, transport=httpx.MockTransport(handler)) as fetcher:
        result = await fetcher.fetch("https://news.example.org/a")
    assert result.ok
    assert result.content == PAGE.encode()


# --- keep-alive ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("keepalive", "reused"), [(AIOHTTP_KEEPALIVE, False), (75.0, True)])
async def test_a_poll_a_minute_later_reuses_the_connection_within_the_keepalive(
    http_server: ServerFactory, monkeypatch: pytest.MonkeyPatch, keepalive: float, reused: bool
) -> None:
    """With a keep-alive longer than the poll interval, the next poll finds the connection the
    last one left; with aiohttp's 15 s it connects again. (aiohttp's pool clock is moved on a
    minute, not slept.)"""
    base = time.monotonic()
    skew = [0.0]
    monkeypatch.setattr(aiohttp.connector, "monotonic", lambda: base + skew[0])
    server = await site(http_server, {"/feed": html(PAGE)})
    async with Fetcher(make_settings(retries=0), keepalive=keepalive) as fetcher:
        assert (await fetcher.fetch(server.url("/feed"), purpose="feed")).ok
        skew[0] = 60.0
        assert (await fetcher.fetch(server.url("/feed"), purpose="feed")).ok
    first, second = server.hits("/feed")
    assert (second.connection == first.connection) is reused


async def test_a_server_closing_an_idle_connection_does_not_fail_the_next_fetch(
    http_server: ServerFactory,
) -> None:
    """Servers close idle connections on their own timers (nginx after 75 s): the next fetch
    goes out on a new connection and succeeds, with no retry of ours."""
    idle_timeout = asyncio.Event()
    closers: list[asyncio.Task[None]] = []

    async def page(request: Request, response: Response) -> None:
        await response.send(200, PAGE.encode(), {"Content-Type": "text/html"})

        async def close_when_idle() -> None:
            await idle_timeout.wait()
            response.close()

        closers.append(asyncio.create_task(close_when_idle()))

    server = await site(http_server, {"/page": page})
    async with Fetcher(make_settings(retries=0), keepalive=75.0) as fetcher:
        assert (await fetcher.fetch(server.url("/page"))).ok
        idle_timeout.set()
        await asyncio.gather(*closers)  # the server has closed the kept-alive connection
        result = await fetcher.fetch(server.url("/page"))
    assert result.ok, result.error
    assert result.content == PAGE.encode()
    first, second = server.hits("/page")
    assert second.connection != first.connection


@pytest.mark.parametrize("how", ["close", "reset"])
async def test_a_request_crossing_the_servers_close_is_sent_again(
    http_server: ServerFactory, how: str
) -> None:
    """The race: the server's idle timer fires as our next request arrives on the kept-alive
    connection, and it closes (or resets) without answering. The GET goes out again on a new
    connection (RFC 9112 §9.3.1) and the fetch succeeds, with no retry of ours."""

    async def page(request: Request, response: Response) -> None:
        if len(server.hits("/page")) == 2:
            response.close() if how == "close" else response.reset()
            return
        await response.send(200, PAGE.encode(), {"Content-Type": "text/html"})

    server = await site(http_server, {"/page": page})
    async with Fetcher(make_settings(retries=0), keepalive=75.0) as fetcher:
        assert (await fetcher.fetch(server.url("/page"))).ok
        result = await fetcher.fetch(server.url("/page"))
    assert result.ok, result.error
    first, dropped, again = server.hits("/page")
    assert dropped.connection == first.connection  # the kept-alive one was used
    assert again.connection != first.connection
