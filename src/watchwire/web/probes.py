"""``/healthz`` (is the process alive: its loop answers, its store answers in time) and
``/readyz`` (is it doing its job: config loaded, scheduler running). JSON with the detail;
200 when all holds, 503 when not."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from watchwire.timeutil import iso_z, utcnow
from watchwire.web.routes import CONTEXT, Route, json_response

__all__ = ["ROUTES", "STORE_BOUND"]

STORE_BOUND = 2.0
"""Seconds the store has to answer ``/healthz``."""


async def healthz(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    started = time.perf_counter()
    try:
        async with asyncio.timeout(STORE_BOUND):
            await ctx.store.oldest_pending_at()  # a query, on the connection pages use
        store: dict[str, object] = {"ok": True}
    except TimeoutError:
        store = {"ok": False, "error": f"no answer within {STORE_BOUND:g}s"}
    except Exception as exc:  # the probe reports the store's trouble, it does not crash on it
        store = {"ok": False, "error": str(exc) or type(exc).__name__}
    store["ms"] = round(1000 * (time.perf_counter() - started), 1)
    ok = bool(store["ok"])
    body = {
        "status": "ok" if ok else "failing",
        "loop": {"ok": True},
        "store": store,
        "started_at": iso_z(ctx.started_at),
        "uptime_seconds": int((utcnow() - ctx.started_at).total_seconds()),
    }
    return json_response(body, status=200 if ok else 503)


async def readyz(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    checks = dict(ctx.readiness())
    ready = all(checks.values())
    snap = ctx.snapshot()
    body = {
        "status": "ready" if ready else "not ready",
        "checks": checks,
        "config": {
            "path": str(snap.config.path) if snap.config.path else None,
            "sources": sum(s.enabled for s in snap.config.sources),
            "rules": len(snap.rules),
            "channels": len(snap.config.channels),
        },
    }
    return json_response(body, status=200 if ready else 503)


ROUTES = (
    Route(method="GET", path="/healthz", handler=healthz, public=True),
    Route(method="GET", path="/readyz", handler=readyz),
)
