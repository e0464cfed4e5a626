"""The service's HTTP server: aiohttp's own, on ``http.listen``, with the pages of ``PAGES``.

A page is a module with ``ROUTES`` (``routes.Route``: method, path, handler, public or not)
and, if it keeps something for the server's life, ``setup(app)``; adding one is a module and a
line in ``PAGES``. Every route but the public ones is behind the
token (``auth``). Handlers read the service through ``request.app[CONTEXT]`` and answer from
``queries`` (the same functions as the CLI), so a page and ``--json`` never disagree.
"""

from __future__ import annotations

import errno
import logging
import secrets
import time
from collections.abc import Sequence
from types import ModuleType, TracebackType
from typing import Self

from aiohttp import web

from watchwire.exceptions import WatchwireError
from watchwire.web import (
    alerts,
    auth,
    csrf,
    overview,
    playground,
    probes,
    scrape,
    search,
    sources,
    static,
    stories,
)
from watchwire.web.context import WebContext
from watchwire.web.render import build_templates, html_page, wants_json
from watchwire.web.routes import CONTEXT, PUBLIC, TEMPLATES, Handler, Route, json_response

__all__ = ["PAGES", "HttpServer", "build_app"]

log = logging.getLogger(__name__)

PAGES: tuple[ModuleType, ...] = (
    probes, scrape, auth, static, overview, sources, alerts, stories, search, playground,
)  # fmt: skip
"""Every page module; each has ``ROUTES``."""

SHUTDOWN_TIMEOUT = 5.0


EXEMPT: web.AppKey[set[web.AbstractRoute]] = web.AppKey("csrf_exempt", set)
"""POST routes that need no form token (the login form: it carries the token itself)."""
MAX_BODY = 2 * 1024 * 1024
"""The largest request body: a page pasted into the playground."""


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # What the page cost the server (a browser's developer tools show it; bench_dashboard
    # reads it): from the request's arrival at the handlers to its answer, rendering included.
    ms = 1000 * (time.perf_counter() - started)
    response.headers.setdefault("Server-Timing", f"app;dur={ms:.1f}")
    return response


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors as pages (or JSON) in words, never aiohttp's bare text or a traceback."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type not in ("text/plain", "application/octet-stream"):
            raise
        if exc.status == 401:  # the token's answer (auth) says what to send: kept as it is
            raise
        given = exc.text or ""
        default = given.startswith(f"{exc.status}:")  # aiohttp's own "404: Not Found"
        message = _MESSAGES.get(exc.status, exc.reason) if default or not given else given
        if wants_json(request):
            return json_response({"error": message}, status=exc.status)
        return html_page(request, "error.html", status=exc.status, title=exc.reason,
                         message=message)  # fmt: skip
    except Exception:  # the one boundary of the pages: a bug is logged, never shown
        log.exception("%s %s failed", request.method, request.path)
        message = "Something went wrong on the server; the service's log has the details."
        if wants_json(request):
            return json_response({"error": message}, status=500)
        return html_page(request, "error.html", status=500, title="Server error", message=message)


_MESSAGES = {
    404: "There is no page at this address.",
    405: "This page does not take that kind of request.",
    413: "That is more than this page takes (2 MB at most).",
}


@web.middleware
async def _csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in ("GET", "HEAD", "OPTIONS") and (
        request.match_info.route not in request.app[EXEMPT]
    ):
        refused = await csrf.check(request)
        if refused is not None:
            text = f"Refused: {refused}. Reload the page and submit the form again."
            if wants_json(request):
                return json_response({"error": text}, status=403)
            return html_page(request, "error.html", status=403, title="Refused", message=text)
    response = await handler(request)
    csrf.remember(request, response)
    return response


def build_app(context: WebContext, pages: Sequence[ModuleType] = PAGES) -> web.Application:
    app = web.Application(
        middlewares=[_headers, _errors, auth.auth_middleware, _csrf], client_max_size=MAX_BODY
    )
    app[CONTEXT] = context
    app[TEMPLATES] = build_templates()
    app[csrf.SECRET] = secrets.token_bytes(32)
    public: set[web.AbstractRoute] = set()
    exempt: set[web.AbstractRoute] = set()
    for page in pages:
        if hasattr(page, "setup"):  # what a page keeps for the server's life (a cache)
            page.setup(app)
        route: Route
        for route in page.ROUTES:
            added = app.router.add_route(route.method, route.path, route.handler)
            if route.public:
                public.add(added)
            if not route.csrf:
                exempt.add(added)
    app[PUBLIC] = public
    app[EXEMPT] = exempt
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
        log.info("serving HTTP on %s:%d (the dashboard, /healthz, /readyz, /metrics)",
                 self._host, self.port)  # fmt: skip
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._runner.cleanup()
