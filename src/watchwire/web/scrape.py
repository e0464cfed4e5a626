"""``/metrics``: Prometheus's text format, the store's gauges read at each scrape."""

from __future__ import annotations

from aiohttp import web

from watchwire import queries
from watchwire.metrics import CONTENT_TYPE, ScrapeState, UnhealthySource
from watchwire.timeutil import utcnow
from watchwire.web.routes import CONTEXT, Route

__all__ = ["ROUTES"]


async def metrics(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    snap = ctx.snapshot()
    store = ctx.store
    outbox = await store.outbox_counts()
    oldest = await store.oldest_pending_at()
    overview = await queries.health_overview(snap.config, store)
    state = ScrapeState(
        outbox=outbox,
        oldest_pending_age=(utcnow() - oldest).total_seconds() if oldest else None,
        source_states=overview.counts,
        unhealthy=[
            UnhealthySource(name=name, state=st, since=since.timestamp() if since else 0.0)
            for name, st, since in overview.unhealthy
        ],
        store_bytes=await store.storage_bytes(),
        workers=ctx.workers(),
        rules=len(snap.rules),
    )
    body = ctx.metrics.render(state)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


ROUTES = (Route(method="GET", path="/metrics", handler=metrics),)
