"""A small news site on 127.0.0.1: article pages, a listing, RSS, a sitemap and robots.txt.

Used by ``watchwire demo`` and by the end-to-end tests::

    async with NewsSite("Kyiv Wire", stories=load_stories()) as site:
        site.feed_url, site.sitemap_url, site.listing_url
        site.publish(story)             # appears in the feed, sitemap and listing at once
        site.publish(story.edited(...)) # same slug: an edit (modified time moves)
        site.requests                   # what was asked, for assertions

Responses carry a strong ``ETag`` (a hash of the body) and answer ``If-None-Match`` with
``304``; ``HEAD`` works everywhere; text comes with its charset, which may be other than UTF-8
(``charset="windows-1251"``, as many Ukrainian and Russian sites still serve).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from watchwire.demo._http import HttpRequest, HttpResponse, HttpServer
from watchwire.demo.pages import (
    SiteInfo,
    article_page,
    listing_page,
    not_found_page,
    robots_txt,
    rss_feed,
    sitemap,
)
from watchwire.demo.stories import Story

__all__ = ["LoggedRequest", "NewsSite"]

_TYPES = {
    "html": "text/html",
    "rss": "application/rss+xml",
    "xml": "application/xml",
    "text": "text/plain",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedRequest:
    """One request the site answered."""

    method: str
    path: str
    status: int
    at: float
    """``time.time()`` when it arrived."""
    user_agent: str = ""
    conditional: bool = False
    """It carried ``If-None-Match``."""


class NewsSite:
    """A news site with live content; an async context manager that serves it on port 0."""

    def __init__(
        self,
        name: str = "Kyiv Wire",
        *,
        stories: Iterable[Story] = (),
        language: str = "en",
        charset: str = "utf-8",
        feed_size: int = 20,
        feed_link_query: str = "",
        header_charset: bool = True,
        compress: bool = True,
    ) -> None:
        self.name = name
        self.language = language
        self.charset = charset
        self.feed_size = feed_size
        self.feed_link_query = feed_link_query
        """Appended to the feed's item links, e.g. ``utm_source=rss`` (pages ignore it)."""
        self.header_charset = header_charset
        """Say the charset of HTML pages in ``Content-Type`` too (else only in ``<meta>``)."""
        self.compress = compress
        """Gzip responses for clients that accept it."""
        self._stories: dict[str, Story] = {s.slug: s for s in stories}
        self._server = HttpServer(self._handle, name=name)
        self.requests: list[LoggedRequest] = []
        self._listeners: list[Callable[[LoggedRequest], None]] = []
        self._answered = asyncio.Condition()
        self._failures: dict[str, list[int]] = {}

    # --- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self._server.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._server.__aexit__(exc_type, exc, tb)

    # --- addresses ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The home page, ``http://127.0.0.1:<port>/``."""
        return self._server.url + "/"

    @property
    def feed_url(self) -> str:
        return self._server.url + "/rss.xml"

    @property
    def sitemap_url(self) -> str:
        return self._server.url + "/sitemap.xml"

    @property
    def listing_url(self) -> str:
        return self._server.url + "/news/"

    def story_url(self, story: Story | str) -> str:
        return self._info().story_url(story if isinstance(story, str) else story.slug)

    @staticmethod
    def story_path(story: Story | str) -> str:
        return f"/news/{story if isinstance(story, str) else story.slug}"

    # --- content ------------------------------------------------------------------------------

    @property
    def stories(self) -> list[Story]:
        """Newest first, as the feed, the sitemap and the listing show them."""
        return sorted(self._stories.values(), key=lambda s: s.published_at, reverse=True)

    def publish(self, story: Story) -> str:
        """Put ``story`` online (a story with the same slug is replaced: an edit). Its URL."""
        self._stories[story.slug] = story
        return self.story_url(story)

    def unpublish(self, slug: str) -> None:
        self._stories.pop(slug, None)

    def story(self, slug: str) -> Story:
        return self._stories[slug]

    def fail_next(self, path: str, *statuses: int) -> None:
        """Answer the next requests for ``path`` with these statuses (e.g. 503, 503), then heal."""
        self._failures.setdefault(path, []).extend(statuses)

    # --- what was asked -----------------------------------------------------------------------

    def hits(self, path: str, *, method: str = "GET", since: float = 0.0) -> list[LoggedRequest]:
        """Requests for ``path`` (with ``method``) that arrived at or after ``since``."""
        return [r for r in self.requests if r.path == path and r.method == method and r.at >= since]

    async def wait_for_hits(
        self, path: str, *, count: int = 1, method: str = "GET", since: float = 0.0
    ) -> list[LoggedRequest]:
        """Wait until ``count`` requests for ``path`` arrived at or after ``since``.

        Bound it with ``asyncio.timeout``.
        """
        async with self._answered:
            await self._answered.wait_for(
                lambda: len(self.hits(path, method=method, since=since)) >= count
            )
        return self.hits(path, method=method, since=since)

    def subscribe(self, listener: Callable[[LoggedRequest], None]) -> None:
        """Call ``listener`` with every request as it is answered (the demo narrates with it)."""
        self._listeners.append(listener)

    # --- serving ------------------------------------------------------------------------------

    def _info(self) -> SiteInfo:
        return SiteInfo(
            name=self.name, base_url=self._server.url, language=self.language, charset=self.charset
        )

    def _render(self, path: str) -> tuple[int, str, str]:
        """(status, kind, text) for ``path``."""
        info = self._info()
        stories = self.stories
        if path == "/robots.txt":
            return 200, "text", robots_txt(info)
        if path == "/rss.xml":
            return (
                200,
                "rss",
                rss_feed(info, stories[: self.feed_size], link_query=self.feed_link_query),
            )
        if path == "/sitemap.xml":
            return 200, "xml", sitemap(info, stories)
        if path in ("/", "/news", "/news/"):
            return 200, "html", listing_page(info, stories)
        if path.startswith("/news/"):
            story = self._stories.get(path.removeprefix("/news/").strip("/"))
            if story is not None:
                return 200, "html", article_page(info, story, stories)
        return 404, "html", not_found_page(info)

    def _respond(self, request: HttpRequest) -> HttpResponse:
        status, kind, text = self._render(request.path)
        body = text.encode(self.charset, "xmlcharrefreplace")
        etag = hashlib.blake2b(body, digest_size=12).hexdigest()
        content_type = _TYPES[kind]
        if self.header_charset or kind != "html":
            content_type += f"; charset={self.charset}"
        headers = {
            "Content-Type": content_type,
            "Cache-Control": "max-age=0, must-revalidate",
            "Vary": "Accept-Encoding",
        }
        if self.compress and "gzip" in request.headers.get("accept-encoding", "").lower():
            # mtime=0: the same page gives the same bytes, so the ETag holds.
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
            etag += "-gzip"  # each representation has its own strong ETag (RFC 9110 §8.8.3)
        headers["ETag"] = f'"{etag}"'
        if status == 200 and _matches(request.headers.get("if-none-match"), headers["ETag"]):
            return HttpResponse(status=304, headers={"ETag": headers["ETag"]})
        return HttpResponse(status=status, headers=headers, body=body)

    async def _handle(self, request: HttpRequest) -> HttpResponse:
        failing = self._failures.get(request.path)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        elif failing:
            status = failing.pop(0)
            response = HttpResponse(
                status=status,
                headers={"Content-Type": "text/plain; charset=utf-8", "Retry-After": "1"},
                body=f"{status} (injected failure)\n".encode(),
            )
        else:
            response = self._respond(request)
        logged = LoggedRequest(
            method=request.method,
            path=request.path,
            status=response.status,
            at=request.received_at,
            user_agent=request.headers.get("user-agent", ""),
            conditional="if-none-match" in request.headers,
        )
        async with self._answered:
            self.requests.append(logged)
            self._answered.notify_all()
        for listener in self._listeners:
            listener(logged)
        return response


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison against a list of entity tags, or ``*``."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return etag in tags
