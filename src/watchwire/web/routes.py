"""A page module's routes: what the server mounts, and which need no token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from jinja2 import Environment

from watchwire.web.context import WebContext

__all__ = ["CONTEXT", "PUBLIC", "TEMPLATES", "Handler", "Route", "json_response", "twins"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CONTEXT: web.AppKey[WebContext] = web.AppKey("context", WebContext)
"""The service's parts: ``request.app[CONTEXT]``."""
PUBLIC: web.AppKey[set[web.AbstractRoute]] = web.AppKey("public", set)
"""The routes answered without the token."""
TEMPLATES: web.AppKey[Environment] = web.AppKey("templates", Environment)
"""The pages' templates (``render``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    method: str
    path: str
    handler: Handler
    public: bool = False
    """Answered without the token (``/healthz``, the login form)."""
    csrf: bool = True
    """A POST must prove it comes from one of this server's forms (``csrf``); only the login
    form is exempt (it carries the token itself)."""


def twins(method: str, path: str, handler: Handler, *, public: bool = False) -> tuple[Route, ...]:
    """A page at ``path`` and its JSON twin at ``path`` + ``.json``. The twin comes first, so
    that a variable part (``/sources/{name}``) never swallows the ``.json``."""
    return (
        Route(method=method, path=path + ".json", handler=handler, public=public),
        Route(method=method, path=path, handler=handler, public=public),
    )


def json_response(body: object, *, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})
