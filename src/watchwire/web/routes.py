"""A page module's routes: what the server mounts, and which need no token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from watchwire.web.context import WebContext

__all__ = ["CONTEXT", "PUBLIC", "Handler", "Route", "json_response"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CONTEXT: web.AppKey[WebContext] = web.AppKey("context", WebContext)
"""The service's parts: ``request.app[CONTEXT]``."""
PUBLIC: web.AppKey[set[web.AbstractRoute]] = web.AppKey("public", set)
"""The routes answered without the token."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    method: str
    path: str
    handler: Handler
    public: bool = False
    """Answered without the token (``/healthz``, the login form)."""


def json_response(body: object, *, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})
