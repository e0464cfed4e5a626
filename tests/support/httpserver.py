"""A real HTTP/1.1 server on 127.0.0.1, port 0, for tests — with raw control over the wire.

Written on ``asyncio.start_server`` rather than a framework so that a route can misbehave the
ways real sites do: stall before the headers, stall mid-body, drip bytes, reset the connection,
lie about ``Content-Length``. It runs in the test's own event loop, so a test can coordinate with
it through ``asyncio.Event`` instead of sleeping.

    async def test_something(http_server):
        server = await http_server({"/": html("<p>hi</p>")})
        ... server.url("/") ... server.requests ... server.max_in_flight ...

A route is ``async def handler(request, response)``; ``response.send(...)`` writes a complete
response, ``response.write``/``drain``/``reset``/``close`` give raw control. Every request is
logged (``server.requests``) with its arrival time, and the number of requests being answered
at once is tracked (``in_flight``/``max_in_flight``): one server is one "host" to a crawler.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "Handler",
    "HttpServer",
    "Request",
    "Response",
    "ServerFactory",
    "html",
    "serve",
    "status",
    "text",
]

_REASONS = {
    200: "OK",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    target: str
    """As sent: path and query."""
    headers: Mapping[str, str]
    """Lower-case names."""
    received_at: float
    """``loop.time()`` when the request head had arrived."""
    connection: int
    """Which connection it came on (1, 2, …): shows keep-alive reuse."""

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class Response:
    """The writing end of one request's connection."""

    def __init__(self, writer: asyncio.StreamWriter, *, head_only: bool = False) -> None:
        self._writer = writer
        self._head_only = head_only
        self.closed = False
        """Set when the handler closed or reset the connection: no keep-alive."""

    async def send(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    ) -> None:
        """A complete response; ``Content-Length`` is added unless the headers set it."""
        items = list(headers.items() if isinstance(headers, Mapping) else headers)
        names = {k.lower() for k, _ in items}
        if "content-length" not in names and "transfer-encoding" not in names:
            items.append(("Content-Length", str(len(body))))
        self.write(self.head(status, items) + (b"" if self._head_only else body))
        await self.drain()

    @staticmethod
    def head(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
        lines += [f"{k}: {v}" for k, v in headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def write(self, data: bytes) -> None:
        self._writer.write(data)

    async def drain(self) -> None:
        await self._writer.drain()

    def close(self) -> None:
        """Close after what was written (a FIN)."""
        self.closed = True
        self._writer.close()

    def reset(self) -> None:
        """Abort the connection with a TCP RST."""
        self.closed = True
        sock = self._writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._writer.transport.abort()


Handler = Callable[[Request, Response], Awaitable[None]]


def html(body: str | bytes, *, content_type: str = "text/html; charset=utf-8") -> Handler:
    """A route answering 200 with this document."""
    data = body.encode() if isinstance(body, str) else body

    async def handler(request: Request, response: Response) -> None:
        await response.send(200, data, {"Content-Type": content_type})

    return handler


def text(body: str, *, content_type: str = "text/plain; charset=utf-8") -> Handler:
    return html(body, content_type=content_type)


def status(code: int, headers: Mapping[str, str] | None = None, body: bytes = b"") -> Handler:
    """A route answering ``code`` with these headers."""

    async def handler(request: Request, response: Response) -> None:
        await response.send(code, body, headers or {})

    return handler


async def _not_found(request: Request, response: Response) -> None:
    await response.send(404, b"not found", {"Content-Type": "text/plain"})


@dataclass(eq=False)
class HttpServer:
    """A running server. Routes may be added or replaced while it runs."""

    routes: dict[str, Handler] = field(default_factory=dict)
    """Exact paths, or prefixes ending in ``*`` (``/slow/*``)."""
    requests: list[Request] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    """Stalling routes wait on this; it is set when the server closes."""
    host: str = "127.0.0.1"
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _connections: int = 0

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def route(self, path: str) -> Callable[[Handler], Handler]:
        """Decorator: ``@server.route("/x")``."""

        def register(handler: Handler) -> Handler:
            self.routes[path] = handler
            return handler

        return register

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connection, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in list(self._writers):
            writer.transport.abort()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _handler(self, path: str) -> Handler:
        if path in self.routes:
            return self.routes[path]
        prefixes = [p for p in self.routes if p.endswith("*") and path.startswith(p[:-1])]
        return self.routes[max(prefixes, key=len)] if prefixes else _not_found

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        self._connections += 1
        connection = self._connections
        try:
            while await self._serve_one(reader, writer, connection):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.transport.abort()

    async def _serve_one(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: int
    ) -> bool:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if (length := int(headers.get("content-length", "0") or 0)) > 0:
            await reader.readexactly(length)
        request = Request(method, target, headers, asyncio.get_running_loop().time(), connection)
        self.requests.append(request)
        response = Response(writer, head_only=method == "HEAD")
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._handler(request.path)(request, response)
        finally:
            self.in_flight -= 1
        return not response.closed and headers.get("connection", "").lower() != "close"


@contextlib.asynccontextmanager
async def serve(routes: Mapping[str, Handler] | None = None) -> AsyncIterator[HttpServer]:
    """Run a server for the duration of the block."""
    server = HttpServer(routes=dict(routes or {}))
    await server.start()
    try:
        yield server
    finally:
        await server.close()


class ServerFactory:
    """Starts servers on demand and closes them all at the end (the ``http_server`` fixture)."""

    def __init__(self) -> None:
        self._servers: list[HttpServer] = []

    async def __call__(self, routes: Mapping[str, Handler] | None = None) -> HttpServer:
        server = HttpServer(routes=dict(routes or {}))
        await server.start()
        self._servers.append(server)
        return server

    async def aclose(self) -> None:
        servers, self._servers = self._servers, []
        await asyncio.gather(*(s.close() for s in servers))
