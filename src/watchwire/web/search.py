"""``/search``: the rule language over stored articles, newest first, a page at a time, with
the matched words ``<mark>``ed; or a configured rule replayed over history (``rule=`` and
``since=``, as ``watchwire search --rule NAME --since 7d``). A plain GET form: it works
without scripts, and a search is a link that can be kept."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from watchwire import queries
from watchwire.alerts.render import one_line, snippet_segments
from watchwire.exceptions import QuerySyntaxError
from watchwire.timeutil import utcnow
from watchwire.web.params import bad_request, duration_param
from watchwire.web.render import answer
from watchwire.web.routes import CONTEXT, twins

__all__ = ["PAGE", "ROUTES"]

PAGE = 20
"""Hits a page shows: the engine stops confirming candidates there."""


async def search(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    config = ctx.snapshot().config
    text = request.query.get("q", "").strip()
    rule = request.query.get("rule", "").strip() or None
    since = duration_param(request, "since")
    before = request.query.get("before", "").strip()
    form = {"q": text, "rule": rule or "", "since": request.query.get("since", "").strip()}
    context: dict[str, Any] = {
        "title": "Search", "section": "search", "form": form, "rules": config.rules,
        "result": None, "hits": [], "error": None, "caret": None,
    }  # fmt: skip
    if not (text or rule):
        return answer(request, "search.html", {"hits": [], "next": None}, **context)
    try:
        rules, name = queries.search_rules(config, query=text, rule=rule)
        key = queries.parse_key(before) if before else None
        result = await queries.search(
            ctx.store, rules, name, since=utcnow() - since if since else None, before=key,
            limit=PAGE,
        )  # fmt: skip
    except queries.BadRequest as exc:
        raise bad_request(request, str(exc)) from None
    except QuerySyntaxError as exc:
        context.update(error=f"The query does not parse: {exc}", caret=exc.caret())
        return answer(request, "search.html", {"error": str(exc)}, status=400, **context)
    hits = [
        (
            hit,
            snippet_segments(
                hit.match.snippet, {one_line(s.text).casefold() for s in hit.match.spans}
            ),
        )
        for hit in result.hits
    ]
    body: dict[str, Any] = {
        "query": text or None, "rule": rule, "since": form["since"] or None,
        "hits": [queries.hit_json(h) for h in result.hits],
        "candidates": result.candidates, "seconds": round(result.seconds, 4),
        "next": queries.key_text(result.next) if result.next else None,
    }  # fmt: skip
    context.update(result=result, hits=hits, paged=bool(before),
                   next_key=body["next"], ms=result.seconds * 1000)  # fmt: skip
    return answer(request, "search.html", body, **context)


ROUTES = twins("GET", "/search", search)
