"""The fetcher's network: one GET at a time, on aiohttp's connections or any httpx transport.

The ``Fetcher`` asks a ``Sender`` for ``get(url, headers, connect_timeout)`` and gets a
``Reply``: the status, the headers, the raw body as a stream. What it ships with is
``AiohttpTransport``: aiohttp's connection pool, a third of the CPU per page of httpx's own pool
at our concurrency (``bench/bench_fetch.py``). ``HttpxSender`` puts any httpx transport behind
the same interface (tests and callers hand the fetcher ``httpx.MockTransport``). Measured on
gzipped 50-150 KB pages at 32 in flight (``bench/README.md``, *Fetch*), ``AiohttpTransport`` does
less than httpx-aiohttp's transport under httpx's models, which the fetcher used before:

- no ``httpx.Request``/``Response``/``Headers`` built per request (~0.04 ms of ~0.5): the request
  goes to aiohttp as a dict of headers, and headers are read from aiohttp's own (C) multidict;
- the URL, parsed and percent-encoded once by the fetcher (``httpx.URL``), reaches aiohttp as an
  encoded ``yarl.URL``, not to be parsed and quoted again;
- the body is handed over as aiohttp buffered it (``readany``: typically the whole of a page that
  has arrived, at most what aiohttp's flow control buffers), not in 16 KiB pieces;
- only a connect timeout is armed. The fetcher's deadline is a total one of its own
  (``asyncio.timeout``); a per-read timeout would be re-armed as a timer on every packet;
- aiohttp's exceptions come through as they are (``errors.classify_exception`` reads them), not
  renamed to httpx ones that fit loosely (a server disconnect read "ConnectTimeout").

Idle keep-alive connections are kept ``keepalive`` seconds (see ``keepalive_for``). A server
that closes one meanwhile costs nothing: the event loop sees the close and aiohttp drops the
connection; when the close crosses our next request on the wire, aiohttp sends that GET again
on a new connection (RFC 9112 §9.3.1).
"""

from __future__ import annotations

import resource
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import timedelta
from typing import Final, Protocol

import aiohttp
import httpx
import yarl

__all__ = [
    "AIOHTTP_KEEPALIVE",
    "KEEPALIVE_CEILING",
    "KEEPALIVE_MARGIN",
    "AiohttpTransport",
    "HttpxSender",
    "Reply",
    "Sender",
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


class Reply(Protocol):
    """A response whose body is still to be read."""

    status: int
    content: bytes | None
    """The body already read and decoded (``httpx.MockTransport`` does that), else None."""

    def header(self, name: str) -> str | None:
        """A header's value (the name in lower case), repeated ones joined with ", "."""
        ...

    def raw(self) -> AsyncIterator[bytes]:
        """The body as it came, Content-Encoding not undone."""
        ...

    async def aclose(self) -> None:
        """Done with it: the connection goes back to the pool if the body was read whole."""
        ...


class Sender(Protocol):
    async def get(
        self, url: httpx.URL, headers: Mapping[str, str], *, connect_timeout: float
    ) -> Reply: ...

    async def aclose(self) -> None: ...


class _AiohttpReply:
    __slots__ = ("_response", "content", "status")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status = response.status
        self.content: bytes | None = None

    def header(self, name: str) -> str | None:
        values = self._response.headers.getall(name, ())
        if len(values) == 1:
            return values[0]
        return ", ".join(values) if values else None

    async def raw(self) -> AsyncIterator[bytes]:
        content = self._response.content
        while chunk := await content.readany():
            yield chunk

    async def aclose(self) -> None:
        # Back to the pool if the body was read to its end; closed if not (aiohttp decides).
        self._response.release()
        await self._response.wait_for_close()


class AiohttpTransport:
    """A ``Sender`` over one ``aiohttp.ClientSession`` of the crawler's kind.

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

    async def get(
        self, url: httpx.URL, headers: Mapping[str, str], *, connect_timeout: float
    ) -> Reply:
        response = await self._session.get(
            # httpx has parsed, normalised and percent-encoded it: aiohttp need not again.
            yarl.URL(str(url), encoded=True),
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout),
        )
        return _AiohttpReply(response)

    async def aclose(self) -> None:
        await self._session.close()


class _HttpxReply:
    __slots__ = ("_response", "content", "status")

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status = response.status_code
        self.content = response.content if response.is_stream_consumed else None

    def header(self, name: str) -> str | None:
        value: str | None = self._response.headers.get(name)
        return value

    def raw(self) -> AsyncIterator[bytes]:
        return self._response.aiter_raw()

    async def aclose(self) -> None:
        await self._response.aclose()


class HttpxSender:
    """A ``Sender`` over any httpx transport (``httpx.MockTransport``, httpx's own pool)."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def get(
        self, url: httpx.URL, headers: Mapping[str, str], *, connect_timeout: float
    ) -> Reply:
        # Only a connect timeout, as above: the fetcher's deadline covers the rest.
        timeout = httpx.Timeout(None, connect=connect_timeout)
        request = httpx.Request(
            "GET", url, headers=headers, extensions={"timeout": timeout.as_dict()}
        )
        return _HttpxReply(await self._transport.handle_async_request(request))

    async def aclose(self) -> None:
        await self._transport.aclose()
