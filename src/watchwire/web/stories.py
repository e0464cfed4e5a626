"""``/stories`` (the newest stories, with how many copies and sources each has) and
``/stories/ID`` (one story: every copy across sources, first seen first, and which alerted)."""

from __future__ import annotations

from aiohttp import web

from watchwire import queries
from watchwire.web.params import int_param
from watchwire.web.render import answer
from watchwire.web.routes import CONTEXT, twins

__all__ = ["PAGE", "ROUTES"]

PAGE = 50


async def story_list(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    before = int_param(request, "before", default=0, low=1) or None
    found = await queries.stories(ctx.store, before=before, limit=PAGE)
    return answer(
        request, "stories.html", queries.story_list_json(found),
        title="Stories", section="stories", found=found, paged=before is not None,
    )  # fmt: skip


async def story(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    text = request.match_info["id"]
    detail = await queries.story_detail(ctx.store, int(text)) if text.isdigit() else None
    if detail is None:
        raise web.HTTPNotFound(text=f"There is no story {text}: the stories page lists them.")
    return answer(
        request, "story.html", queries.story_detail_json(detail),
        title=f"Story {detail.id}", section="stories", story=detail,
        alerted={a.article_id for a in detail.alerts},
    )  # fmt: skip


ROUTES = (
    *twins("GET", "/stories", story_list),
    *twins("GET", "/stories/{id}", story),
)
