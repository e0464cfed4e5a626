"""``/sources`` (every configured source, those that need a person first, a page at a time) and
``/sources/NAME`` (one source: its state, its recent polls with their fetches, the links
given up on). The same rows as ``watchwire sources --json``."""

from __future__ import annotations

from aiohttp import web

from watchwire import queries
from watchwire.timeutil import utcnow
from watchwire.web.params import bad_request, int_param
from watchwire.web.render import answer
from watchwire.web.routes import CONTEXT, twins

__all__ = ["PAGE", "ROUTES"]

PAGE = 50
"""Sources a page shows."""


async def source_list(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    state = request.query.get("state") or None
    offset = int_param(request, "offset", default=0, low=0)
    try:
        page = await queries.source_page(ctx.snapshot().config, ctx.store, now=utcnow(),
                                         state=state, offset=offset, limit=PAGE)  # fmt: skip
    except queries.BadRequest as exc:
        raise bad_request(request, str(exc)) from None
    return answer(
        request, "sources.html", queries.source_page_json(page),
        title="Sources", section="sources", page=page, state_filter=state,
        states=queries.STATE_ORDER,
    )  # fmt: skip


async def source(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    name = request.match_info["name"]
    try:
        detail = await queries.source_detail(ctx.snapshot().config, ctx.store, name, now=utcnow())
    except queries.BadRequest as exc:
        raise web.HTTPNotFound(text=f"{exc}: the sources page lists them all.") from None
    return answer(
        request, "source.html", queries.source_detail_json(detail),
        title=f"Source {name}", section="sources", detail=detail,
    )  # fmt: skip


ROUTES = (
    *twins("GET", "/sources", source_list),
    *twins("GET", "/sources/{name}", source),
)
