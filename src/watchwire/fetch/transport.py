"""The fetcher's network: aiohttp's connection pool behind httpx's transport API.

The ``Fetcher`` speaks httpx's transport API (``handle_async_request`` → ``httpx.Response``), so
tests and callers can hand it any httpx transport (``httpx.MockTransport``). What it ships with
is this one: aiohttp's connections, a third of the CPU per page of httpx's own pool at our
concurrency (``bench/bench_fetch.py``). It does what httpx-aiohttp's ``AiohttpTransport`` did for
the fetcher until it replaced it, minus the work the fetcher does not need, measured on gzipped
50-150 KB pages at 32 in flight (``bench/README.md``, *Fetch*):

- the body is handed over as aiohttp buffered it (``readany``: typically the whole of a page
  that has arrived, at most what aiohttp's flow control buffers), not in 16 KiB pieces, so a
  page costs one or two rounds through the stream and the decoder rather than three to ten;
- httpx has already parsed and percent-encoded the URL: aiohttp gets it as an encoded
  ``yarl.URL`` and does not parse and quote it again;
- only the timeouts the request carries are armed. The fetcher's deadline is a total one of its
  own (``asyncio.timeout``); it asks for no per-read timeout, which aiohttp would re-arm as a
  timer on every packet;
- aiohttp's own exceptions come through as they are (``errors.classify_exception`` reads them),
  not renamed to httpx ones that fit loosely (a server disconnect read "ConnectTimeout").

Idle keep-alive connections are kept ``keepalive`` seconds (see ``keepalive_for``). A server
that closes one meanwhile costs nothing: the event loop sees the close and aiohttp drops the
connection; when the close crosses our next request on the wire, aiohttp retries that GET once
on a new connection (RFC 9112 §9.3.1).
"""

from __future__ import annotations

import resource
from collections.abc import AsyncIterator, Iterable
from datetime import timedelta
from typing import Final

import aiohttp
import httpx
import yarl

__all__ = [
    "AIOHTTP_KEEPALIVE",
    "KEEPALIVE_CEILING",
    "KEEPALIVE_MARGIN",
    "AiohttpTransport",
    "keepalive_for",
    "raise_open_files_limit",
]

AIOHTTP_KEEPALIVE: Final = 15.0
"""aiohttp's own default idle keep-alive, in seconds: what the fetcher keeps when no poll
interval can be bridged."""
KEEPALIVE_MARGIN: Final = 15.0
"""How much longer than a poll interval a connection waits (the scheduler's jitter is ≤ 1 s, a
busy loop may start a poll a few seconds late)."""
KEEPALIVE_CEILING: Final = 300.0 + KEEPALIVE_MARGIN
"""The longest idle keep-alive: polls up to 5 min apart reuse their connection."""


def keepalive_for(intervals: Iterable[timedelta]) -> float:
    """How long idle connections are kept, in seconds, for sources polled at ``intervals``.

    The longest interval that a keep-alive of at most ``KEEPALIVE_CEILING`` bridges, plus
    ``KEEPALIVE_MARGIN``, so that a source's next poll finds the connection its last one left
    (a 60-s poll saves its TCP set-up: ~28 % of the HTTP client's CPU for a ``304``); aiohttp's
    default 15 s when none can be bridged. Longer is not kept: servers close idle connections
    sooner (nginx after 75 s, cloud load balancers after 60 s, Apache after 5 s), a poll every
    10 min reconnecting costs ~0.2 ms of CPU per 10 min, and every idle connection holds a file
    descriptor here and a slot on the server.
    """
    bridged = (
        s + KEEPALIVE_MARGIN
        for i in intervals
        if (s := i.total_seconds()) + KEEPALIVE_MARGIN <= KEEPALIVE_CEILING
    )
    return max(bridged, default=AIOHTTP_KEEPALIVE)


def raise_open_files_limit() -> int:
    """Raise this process's soft limit of open files to its hard limit; return the new soft one.

    Kept-alive connections hold a descriptor per host watched: 1,000 sources polled every
    minute keep ~1,000 sockets open, and the soft limit many systems start a service with is
    1,024 (systemd's default; its hard limit is 524,288). The soft limit is only there for
    programs that still use ``select()``; asyncio uses epoll. Go's runtime does the same at
    start-up.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:  # the soft limit is never above the hard one
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):  # e.g. macOS refuses RLIM_INFINITY: keep what we have
            return soft
        return hard
    return soft


def _seconds(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


class _Body(httpx.AsyncByteStream):
    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        while chunk := await content.readany():
            yield chunk

    async def aclose(self) -> None:
        # Back to the pool if the body was read to its end; closed if not (aiohttp decides).
        self._response.release()
        await self._response.wait_for_close()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport over one ``aiohttp.ClientSession`` of the crawler's kind.

    No cookies, no automatic decompression (``body.py`` decodes, with a cap), no redirects (the
    fetcher follows them), no proxy from the environment, no connection limit (the fetcher's
    host slots bound the connections per host), and header lines up to 64 KiB (aiohttp refuses
    lines over 8 KiB; news sites send 20 KiB CSP and cookie headers).
    """

    def __init__(self, *, keepalive: float = AIOHTTP_KEEPALIVE) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=0, limit_per_host=0, ttl_dns_cache=300, keepalive_timeout=keepalive
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
            max_line_size=65536,
            max_field_size=65536,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        try:
            data: bytes | None = request.content or None
        except httpx.RequestNotRead:
            raise NotImplementedError("streamed request bodies are not supported") from None
        response = await self._session.request(
            request.method,
            # httpx has parsed, normalised and percent-encoded it: aiohttp need not again.
            yarl.URL(str(request.url), encoded=True),
            headers=request.headers.multi_items(),
            data=data,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=_seconds(timeout.get("pool")),
                sock_connect=_seconds(timeout.get("connect")),
                sock_read=_seconds(timeout.get("read")),
            ),
            server_hostname=request.extensions.get("sni_hostname"),
        )
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_Body(response),
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        await self._session.close()
