"""A tiny HTTP/1.1 server on asyncio streams, for the demo's news site and webhook receiver.

Standard library only (the demo ships in the package and must run anywhere watchwire does).
It speaks just enough HTTP/1.1 for a polite client: keep-alive, ``Content-Length`` bodies,
``Connection: close``, ``HEAD`` (the handler's headers, no body) and a ``Date`` header. It is
not a production server: no chunked request bodies, no pipelining limits, loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from types import TracebackType
from typing import Self
from urllib.parse import unquote, urlsplit

__all__ = ["HttpRequest", "HttpResponse", "HttpServer"]

log = logging.getLogger(__name__)

MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024
IDLE_TIMEOUT = 30.0
"""Seconds a keep-alive connection may sit idle before the server closes it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpRequest:
    method: str
    target: str
    """The request target as sent: path and query."""
    headers: Mapping[str, str]
    """Lower-cased names; a repeated header keeps its last value."""
    body: bytes = b""
    received_at: float = field(default_factory=time.time)

    @property
    def path(self) -> str:
        return unquote(urlsplit(self.target).path) or "/"

    @property
    def query(self) -> str:
        return urlsplit(self.target).query


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpResponse:
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


class _BadRequest(Exception):
    pass


class HttpServer:
    """Serves ``handler`` on ``host``, port 0 (a free port) unless told otherwise.

    ``async with HttpServer(handler) as server: server.url`` — leaving the block closes the
    listening socket and every open connection.
    """

    def __init__(
        self, handler: Handler, *, host: str = "127.0.0.1", port: int = 0, name: str = "demo"
    ) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._name = name
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The bound port (still known after the server closed, for assertions on URLs)."""
        if not self._port:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        return f"http://{self._host}:{self.port}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(
            self._serve, self._host, self._port, limit=MAX_HEAD
        )
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for writer in list(self._writers):
            writer.close()
        # Let the connection handlers see their sockets closed and finish.
        for _ in range(3):
            await asyncio.sleep(0)
        # A handler may still be waiting (a stalled receiver): it has no one left to answer.
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._writers.add(writer)
        try:
            while True:
                try:
                    async with asyncio.timeout(IDLE_TIMEOUT):
                        request = await _read_request(reader)
                except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
                    return
                except (_BadRequest, asyncio.LimitOverrunError, ValueError):
                    await _write(writer, "GET", HttpResponse(status=400), keep_alive=False)
                    return
                if request is None:
                    return
                try:
                    response = await self._handler(request)
                except Exception:
                    log.exception("%s: handler failed for %s", self._name, request.target)
                    response = HttpResponse(status=500, body=b"internal error\n")
                keep_alive = request.headers.get("connection", "").lower() != "close"
                await _write(writer, request.method, response, keep_alive=keep_alive)
                if not keep_alive:
                    return
        except ConnectionError:
            return
        except asyncio.CancelledError:
            # Only ``__aexit__`` cancels a handler: the server is closing, which is no error
            # (and asyncio's stream callback would log a cancelled handler as one).
            return
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """The next request on the connection, or None when the client closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequest(lines[0])
    method, target, _ = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequest(line)
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise _BadRequest("chunked request bodies are not supported")
    length = int(headers.get("content-length", "0"))
    if not 0 <= length <= MAX_BODY:
        raise _BadRequest("body too large")
    body = await reader.readexactly(length) if length else b""
    return HttpRequest(method=method.upper(), target=target, headers=headers, body=body)


async def _write(
    writer: asyncio.StreamWriter, method: str, response: HttpResponse, *, keep_alive: bool
) -> None:
    status = response.status
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
    headers = {
        "Date": formatdate(usegmt=True),
        "Server": "watchwire-demo",
        **response.headers,
        "Connection": "keep-alive" if keep_alive else "close",
    }
    if status not in (204, 304):
        # HEAD announces the length a GET would have.
        headers["Content-Length"] = str(len(response.body))
    head = f"HTTP/1.1 {status} {reason}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    writer.write(head.encode("latin-1") + b"\r\n" + (b"" if no_body else response.body))
    await writer.drain()
