"""The service's HTTP endpoint: aiohttp's server, its token, its pages (``server.PAGES``).

The one room besides ``fetch`` that imports aiohttp (its server half). Pages answer from
``queries`` and the service's ``WebContext``; the dashboard's pages (``overview``, ``sources``,
``alerts``, ``stories``, ``search``, ``playground``) are modules here, their templates and
static files in ``templates/`` and ``static/`` (docs/dashboard.md).
"""

from __future__ import annotations

from watchwire.web.context import WebContext
from watchwire.web.server import PAGES, HttpServer, build_app

__all__ = ["PAGES", "HttpServer", "WebContext", "build_app"]
