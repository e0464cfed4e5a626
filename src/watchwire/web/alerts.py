"""``/alerts`` (alerts and digests newest first, filtered by rule, channel, state and day, a
page at a time), ``/alerts/ID`` (one alert: its highlighted snippet, its body, every delivery
try with the receiver's answer) and ``POST /alerts/ID/retry`` — the dashboard's one write: a
failed alert gets a new delivery episode, and the dispatcher is woken to send it at once.
The same rows as ``watchwire alerts list|show --json``; the same requeue as ``alerts retry``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

from watchwire import queries
from watchwire.alerts.render import matched_words, snippet_segments
from watchwire.timeutil import utcnow
from watchwire.web.params import bad_request, date_param
from watchwire.web.render import answer, wants_json
from watchwire.web.routes import CONTEXT, json_response, twins

__all__ = ["PAGE", "ROUTES", "STATES"]

PAGE = 50
STATES = ("pending", "delivering", "delivered", "failed", "queued")


async def alert_list(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    config = ctx.snapshot().config
    query = request.query
    form = {k: query.get(k, "").strip() for k in ("rule", "channel", "state", "date")}
    if form["state"] and form["state"] not in STATES:
        raise bad_request(request, f"'{form['state']}' is not a state ({', '.join(STATES)})")
    day = date_param(request, "date")
    try:
        before = queries.parse_outbox_key(query["before"]) if query.get("before") else None
    except queries.BadRequest as exc:
        raise bad_request(request, str(exc)) from None
    rows = await queries.alerts(
        ctx.store,
        states=[form["state"]] if form["state"] else (),
        rules=[form["rule"]] if form["rule"] else (),
        channels=[form["channel"]] if form["channel"] else (),
        since=day,
        until=day + timedelta(days=1) if day else None,
        before=before,
        limit=PAGE + 1,
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    after = queries.outbox_key_text(rows[-1].key) if more else None
    body = {"alerts": [queries.alert_json(r) for r in rows], "next": after}
    return answer(
        request, "alerts.html", body,
        title="Alerts", section="alerts", rows=rows, form=form, next_key=after,
        paged=before is not None, rules=[r.name for r in config.rules],
        channels=list(config.channels), states=STATES,
        counts=await ctx.store.outbox_counts(),
    )  # fmt: skip


async def alert(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    ident = request.match_info["id"]
    detail = await queries.alert_detail(ctx.store, ident)
    if detail is None:
        raise web.HTTPNotFound(text=f"There is no alert {ident}: the alerts page lists them.")
    payload: dict[str, Any] = dict(detail.row.payload)
    article = payload.get("article") if isinstance(payload.get("article"), dict) else {}
    snippet = str((article or {}).get("snippet") or "")
    return answer(
        request, "alert.html", queries.alert_detail_json(detail),
        title=f"Alert {ident}", section="alerts", detail=detail, article=article or {},
        snippet=snippet_segments(snippet, matched_words(payload)) if snippet else [],
        payload=payload, retried=request.query.get("retried") == "1",
    )  # fmt: skip


async def retry(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    ident = request.match_info["id"]
    done = await queries.requeue(ctx.store, now=utcnow(), ids=[ident])
    if done.unknown:
        raise web.HTTPNotFound(text=f"There is no alert {ident}: nothing to retry.")
    if done.not_failed:
        state = done.not_failed[0][1]
        text = f"Alert {ident} is {state}, not failed: there is nothing to retry."
        if wants_json(request):
            return json_response({"error": text, "requeued": 0}, status=409)
        raise web.HTTPConflict(text=text)
    ctx.wake_dispatcher()
    if wants_json(request):
        return json_response({"requeued": done.requeued, "id": ident})
    # Back to the alert's own page, built from its id: never to an address the form names.
    raise web.HTTPSeeOther(f"/alerts/{quote(ident, safe='')}?retried=1")


ROUTES = (
    *twins("GET", "/alerts", alert_list),
    *twins("POST", "/alerts/{id}/retry", retry),
    *twins("GET", "/alerts/{id}", alert),
)
