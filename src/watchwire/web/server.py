"""The service's HTTP server: aiohttp's own, on ``http.listen``, with the pages of ``PAGES``.

A page is a module with ``ROUTES`` (``routes.Route``: method, path, handler, public or not);
adding one is a module and a line in ``PAGES``. Every route but the public ones is behind the
token (``auth``). Handlers read the service through ``request.app[CONTEXT]`` and answer from
``queries`` (the same functions as the CLI), so a page and ``--json`` never disagree.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Sequence
from types import ModuleType, TracebackType
from typing import Self

from aiohttp import web

from watchwire.exceptions import WatchwireError
from watchwire.web import auth, probes, scrape
from watchwire.web.context import WebContext
from watchwire.web.routes import CONTEXT, PUBLIC, Handler, Route

__all__ = ["PAGES", "HttpServer", "build_app"]

log = logging.getLogger(__name__)

PAGES: tuple[ModuleType, ...] = (probes, scrape, auth)
"""Every page module; each has ``ROUTES``."""

SHUTDOWN_TIMEOUT = 5.0


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def build_app(context: WebContext, pages: Sequence[ModuleType] = PAGES) -> web.Application:
    app = web.Application(middlewares=[_headers, auth.auth_middleware], client_max_size=64 * 1024)
    app[CONTEXT] = context
    public: set[web.AbstractRoute] = set()
    for page in pages:
        route: Route
        for route in page.ROUTES:
            added = app.router.add_route(route.method, route.path, route.handler)
            if route.public:
                public.add(added)
    app[PUBLIC] = public
    return app


class HttpServer:
    """``async with HttpServer(context, host, port) as server``: serving until the block ends.

    ``port`` 0 takes a free one (``server.port`` says which). A port in use or an address not
    on this machine is a ``WatchwireError`` that says so.
    """

    def __init__(self, context: WebContext, host: str, port: int) -> None:
        self._app = build_app(context)
        self._host = host
        self._port = port
        self._runner = web.AppRunner(
            self._app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT
        )
        self.port = port

    async def __aenter__(self) -> Self:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            why = {
                errno.EADDRINUSE: "the port is in use (another watchwire, or another program?)",
                errno.EADDRNOTAVAIL: "that address is not one of this machine's",
                errno.EACCES: "not allowed (ports below 1024 need privileges)",
            }.get(exc.errno or 0, exc.strerror or str(exc))
            raise WatchwireError(f"cannot serve HTTP on {self._host}:{self._port}: {why}") from None
        addresses = self._runner.addresses  # the port bound, when asked for 0
        if addresses:
            self.port = int(addresses[0][1])
        log.info("serving HTTP on %s:%d (/healthz, /readyz, /metrics)", self._host, self.port)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._runner.cleanup()
