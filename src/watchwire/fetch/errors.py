"""Translating what went wrong into a ``Failure``: the one place that knows the exceptions of
httpx, aiohttp (raised as they are by our transport, or wrapped by httpx-aiohttp's) and the OS.

``error_class`` values (stable: the store keeps them and ``validate`` shows them)::

    timeout      the deadline, or a connect/read timeout, passed            transient
    dns          the host name did not resolve                              transient
    connect      refused / unreachable                                      transient
    reset        the connection was closed or reset before a response      transient
    incomplete   the body ended before Content-Length (or chunking) said    transient
    http_429     Too Many Requests                                          transient
    http_5xx     a server error (501 Not Implemented is permanent)          transient
    http_4xx     a client error (408 and 425 are transient)                 permanent
    http_3xx     a redirect without a usable Location, 300, an unasked 304  permanent
    redirects    more than ``max_redirects``                                permanent
    redirect_loop  a redirect back to a URL already visited                 permanent
    too_large    the body passed ``max_body``                               permanent
    decode       a Content-Encoding broken or unknown, a broken .gz feed    permanent
    protocol     not valid HTTP                                             permanent
    tls          certificate or TLS failure                                 permanent
    invalid_url  not an http(s) URL we can request                          permanent
    network      another transport failure                                  transient
    internal     a bug in watchwire (logged with its traceback)             permanent

A ``DISALLOWED`` result says why in ``error_class`` too: ``robots`` (the site's robots.txt
forbids it) or ``robots_unreachable`` (robots.txt could not be read: 5xx, 429, network — the
site is down rather than closed to us).
"""

from __future__ import annotations

import errno
import socket
import ssl
from dataclasses import dataclass

import aiohttp
import httpx

from watchwire.fetch.body import ContentDecodeError, UnsupportedEncodingError
from watchwire.logs import redact_text

__all__ = ["Failure", "classify_exception", "classify_status"]


@dataclass(frozen=True, slots=True)
class Failure:
    error_class: str
    message: str
    transient: bool
    retry_after: float | None = None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 10:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


_MAX_MESSAGE = 300
"""Parser errors quote what they choked on, which can be a megabyte of body."""


def _describe(exc: BaseException) -> str:
    """A one-line message: URLs in it redacted (aiohttp quotes the request URL), length capped."""
    text = redact_text(" ".join(str(exc).split()))
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def classify_exception(exc: BaseException, *, where: str | None = None) -> Failure:
    """What a transport (or decoding) exception means for the crawl. ``where`` is the host
    (and port) asked: DNS and connection failures are then said plainly, naming it."""
    chain = _chain(exc)
    # httpx-aiohttp's wrapper names, for an injected transport of that kind, are approximate (a
    # DNS failure reads "ConnectTimeout"): the message names what aiohttp actually raised.
    cause = exc.__cause__ if isinstance(exc, httpx.HTTPError) else None
    msg = _describe(cause or exc)

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(e, types) for e in chain)

    # Order matters: httpx-aiohttp re-raises aiohttp errors as loosely matching httpx ones (a
    # server disconnect becomes httpx.ConnectTimeout), so the underlying causes are asked first.
    if has(ContentDecodeError, UnsupportedEncodingError):
        return Failure("decode", msg, transient=False)
    if has(aiohttp.ClientConnectorDNSError, socket.gaierror):
        host = where.rsplit(":", 1)[0] if where and where.count(":") == 1 else where
        return Failure("dns", f"DNS lookup failed for {host}" if host else msg, transient=True)
    if has(aiohttp.ClientSSLError, ssl.SSLError):
        return Failure("tls", msg, transient=False)
    if has(aiohttp.ClientConnectorError, ConnectionRefusedError, httpx.ConnectError):
        return Failure("connect", _connect_message(chain, where) or msg, transient=True)
    if has(aiohttp.ClientPayloadError):
        return Failure("incomplete", msg, transient=True)
    if has(aiohttp.ServerDisconnectedError, ConnectionResetError, BrokenPipeError):
        return Failure("reset", msg, transient=True)
    if has(aiohttp.ServerTimeoutError, httpx.TimeoutException, TimeoutError):
        return Failure("timeout", msg, transient=True)
    if has(httpx.RemoteProtocolError):
        text = " ".join(str(e) for e in chain).lower()
        if "complete message body" in text or "incomplete" in text:
            return Failure("incomplete", msg, transient=True)
        if "disconnected" in text or "without sending" in text:
            return Failure("reset", msg, transient=True)
        return Failure("protocol", msg, transient=False)
    if has(aiohttp.InvalidURL, httpx.InvalidURL, httpx.UnsupportedProtocol):
        return Failure("invalid_url", msg, transient=False)
    if has(aiohttp.ClientResponseError, httpx.ProtocolError):
        return Failure("protocol", msg, transient=False)
    if has(httpx.ReadError, httpx.WriteError, httpx.CloseError):
        return Failure("reset", msg, transient=True)
    if has(httpx.TransportError, aiohttp.ClientError, OSError):
        return Failure("network", msg, transient=True)
    return Failure("internal", msg, transient=False)


def _connect_message(chain: list[BaseException], where: str | None) -> str | None:
    if where is None:
        return None
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or any(
        getattr(e, "errno", None) == errno.ECONNREFUSED for e in chain
    ):
        return f"connection refused by {where}"
    reasons = [e.strerror for e in chain if isinstance(e, OSError) and e.strerror]
    return f"cannot connect to {where}" + (f": {reasons[0].lower()}" if reasons else "")


def classify_status(status: int, *, retry_after: float | None = None) -> Failure:
    """The failure an unwanted final status stands for (2xx and 304 are not failures)."""
    if status == 429:
        return Failure("http_429", "429 Too Many Requests", transient=True, retry_after=retry_after)
    if 500 <= status < 600:
        transient = status != 501
        return Failure("http_5xx", f"HTTP {status}", transient=transient, retry_after=retry_after)
    if 400 <= status < 500:
        transient = status in (408, 425)
        message = f"HTTP {status}" if transient else f"HTTP {status} (not retried)"
        return Failure("http_4xx", message, transient=transient)
    if 300 <= status < 400:
        return Failure("http_3xx", f"HTTP {status}, not a redirect to follow", transient=False)
    return Failure("protocol", f"unexpected HTTP status {status}", transient=False)
