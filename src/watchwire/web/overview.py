"""``/`` (and ``/overview``): sources by health, what the last two weeks brought, the outbox,
the latest alerts. Refreshes itself every 30 s when scripts run (``watchwire.js``)."""

from __future__ import annotations

from aiohttp import web

from watchwire import queries
from watchwire.timeutil import utcnow
from watchwire.web.chart import bar_chart
from watchwire.web.render import answer
from watchwire.web.routes import CONTEXT, Route, twins

__all__ = ["ROUTES"]

REFRESH = 30
"""Seconds between two refreshes of an open overview."""


async def overview(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    view = await queries.overview(ctx.snapshot().config, ctx.store, now=utcnow())
    days = [(d.day.strftime("%b %d"), d) for d in view.activity]
    return answer(
        request, "overview.html", queries.overview_json(view),
        title="Overview", section="overview", view=view, refresh=REFRESH,
        articles=bar_chart([(label, d.articles) for label, d in days]),
        alerts=bar_chart([(label, d.alerts) for label, d in days]),
    )  # fmt: skip


ROUTES = (
    *twins("GET", "/overview", overview),
    Route(method="GET", path="/", handler=overview),
)
