"""``/static/NAME``: the dashboard's stylesheet, script and icon, shipped in the package.

Nothing is loaded from anywhere else (the Content-Security-Policy allows only this server).
Files are read once; a page links each with its content's hash (``asset_url``), so a browser
may keep them for a long time and still never shows a stale one after an upgrade.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from aiohttp import web

from watchwire.web.routes import Route

__all__ = ["ROUTES", "asset_url"]

_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True, slots=True)
class _Asset:
    body: bytes
    content_type: str
    version: str


@cache
def _assets() -> dict[str, _Asset]:
    out: dict[str, _Asset] = {}
    for entry in files("watchwire.web").joinpath("static").iterdir():
        suffix = "." + entry.name.rpartition(".")[2]
        if suffix not in _TYPES or not entry.is_file():
            continue
        body = entry.read_bytes()
        version = hashlib.sha256(body).hexdigest()[:12]
        out[entry.name] = _Asset(body=body, content_type=_TYPES[suffix], version=version)
    return out


def asset_url(name: str) -> str:
    """The path of a shipped file, with its version (KeyError: no such file)."""
    return f"/static/{name}?v={_assets()[name].version}"


async def asset(request: web.Request) -> web.StreamResponse:
    found = _assets().get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound()
    return web.Response(
        body=found.body,
        headers={
            "Content-Type": found.content_type,
            "Cache-Control": "public, max-age=604800, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


ROUTES = (Route(method="GET", path="/static/{name}", handler=asset, public=True),)
