"""A tiny news site for pipeline tests: an RSS feed, a sitemap, a listing and article pages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

from tests.support.httpserver import HttpServer, Request, Response

LOREM = (
    "The city council met on Tuesday to discuss the budget for the coming year. "
    "Members argued over spending on roads, schools and the new library, and agreed "
    "to meet again next month after hearing from residents at a public session."
)


@dataclass(slots=True)
class Page:
    slug: str
    title: str
    paragraphs: list[str]
    published: datetime
    teaser: str = "Read also: weather for the weekend"


@dataclass
class Site:
    """Routes for an ``HttpServer``; ``publish`` adds an article to the feed and the pages."""

    server: HttpServer
    pages: dict[str, Page] = field(default_factory=dict)

    def install(self) -> None:
        s = self.server
        s.route("/robots.txt")(self._robots)
        s.route("/feed.xml")(self._feed)
        s.route("/sitemap.xml")(self._sitemap)
        s.route("/news")(self._listing)
        for page in self.pages.values():
            s.route(f"/news/{page.slug}")(self._article)

    def publish(self, page: Page) -> None:
        self.pages[page.slug] = page
        self.server.route(f"/news/{page.slug}")(self._article)

    def url(self, slug: str) -> str:
        return self.server.url(f"/news/{slug}")

    async def _robots(self, request: Request, response: Response) -> None:
        await response.send(200, b"User-agent: *\nDisallow: /private/\n",
                            {"Content-Type": "text/plain"})  # fmt: skip

    async def _conditional(self, request: Request, response: Response, body: bytes,
                           content_type: str) -> None:  # fmt: skip
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            await response.send(304, b"", {"ETag": etag})
            return
        await response.send(200, body, {"Content-Type": content_type, "ETag": etag})

    def _ordered(self) -> list[Page]:
        return sorted(self.pages.values(), key=lambda p: p.published, reverse=True)

    async def _feed(self, request: Request, response: Response) -> None:
        items = "".join(
            f"<item><title>{escape(p.title)}</title><link>{self.url(p.slug)}</link>"
            f"<guid>{self.url(p.slug)}</guid>"
            f"<pubDate>{format_datetime(p.published)}</pubDate></item>"
            for p in self._ordered()
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Test news</title><link>{self.server.url('/')}</link>{items}"
            "</channel></rss>"
        ).encode()
        await self._conditional(request, response, body, "application/rss+xml; charset=utf-8")

    async def _sitemap(self, request: Request, response: Response) -> None:
        urls = "".join(
            f"<url><loc>{self.url(p.slug)}</loc><lastmod>{p.published.isoformat()}</lastmod></url>"
            for p in self._ordered()
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        ).encode()
        await self._conditional(request, response, body, "application/xml")

    async def _listing(self, request: Request, response: Response) -> None:
        links = "".join(
            f'<article><h2><a href="/news/{p.slug}">{escape(p.title)}</a></h2></article>'
            for p in self._ordered()
        )
        body = (
            "<html><head><title>News</title></head><body>"
            '<nav><a href="/">Home</a> <a href="/tag/world">World</a></nav>'
            f"<main>{links}</main><footer><a href='/about'>About</a></footer></body></html>"
        ).encode()
        await self._conditional(request, response, body, "text/html; charset=utf-8")

    async def _article(self, request: Request, response: Response) -> None:
        page = self.pages[request.path.rsplit("/", 1)[1]]
        paras = "".join(f"<p>{escape(t)}</p>" for t in page.paragraphs)
        body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{escape(page.title)} | Test news</title>
<meta property="article:published_time" content="{page.published.isoformat()}">
<link rel="canonical" href="{self.url(page.slug)}"></head><body>
<header><nav><a href="/">Home</a> <a href="/news">News</a>
Electricity outage schedules</nav></header>
<main><article><h1>{escape(page.title)}</h1>
<time datetime="{page.published.isoformat()}">{page.published:%d.%m.%y, %H:%M}</time>
<div class="article-body">{paras}</div></article>
<aside class="related"><h3>Related</h3><a href="/news/other">{escape(page.teaser)}</a></aside>
</main><footer>© Test news. All rights reserved.</footer></body></html>"""
        await response.send(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


def page(slug: str, title: str, *paragraphs: str, age: timedelta = timedelta(minutes=5),
         teaser: str = "Read also: weather for the weekend") -> Page:  # fmt: skip
    return Page(
        slug=slug,
        title=title,
        paragraphs=list(paragraphs) or [LOREM, LOREM.replace("council", "committee")],
        published=datetime.now(UTC) - age,
        teaser=teaser,
    )
