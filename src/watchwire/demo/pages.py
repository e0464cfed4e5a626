"""What the demo news site serves, rendered as text: article pages, listing, RSS, sitemap.

The pages are built the way real news sites build them (UNN's pages were the model): the
article sits among currency tickers, a headline ticker, menus, share buttons, a "Latest news"
sidebar, inline "Read also" teasers, related-story teasers and a footer. That chrome names
other stories, keywords and all; watchwire must read the article and ignore the rest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape

from watchwire.demo.stories import Story, Teaser

__all__ = [
    "SiteInfo",
    "article_page",
    "listing_page",
    "not_found_page",
    "robots_txt",
    "rss_feed",
    "sitemap",
]

_LABELS = {
    "en": {
        "read_also": "Read also", "recall": "Recall", "latest": "Latest news",
        "related": "Related news", "views": "views", "news": "News", "home": "Home",
        "ticker": "Breaking", "outages": "Electricity outage schedules", "search": "Search",
        "subscribe": "Subscribe to our Telegram channel", "more": "Older news",
    },
    "uk": {
        "read_also": "Читайте також", "recall": "Нагадаємо", "latest": "Останні новини",
        "related": "Новини на тему", "views": "переглядів", "news": "Новини", "home": "Головна",
        "ticker": "Терміново", "outages": "Графіки відключень світла", "search": "Пошук",
        "subscribe": "Підписуйтеся на наш Telegram-канал", "more": "Старіші новини",
    },
}  # fmt: skip
_MENU = ("Politics", "Economics", "War", "Society", "Kyiv", "World")
_LATEST = 6
"""Headlines in the sidebar and the ticker of every page."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteInfo:
    name: str
    base_url: str
    """``http://127.0.0.1:<port>``, no trailing slash."""
    language: str = "en"
    charset: str = "utf-8"
    description: str = "Demo news agency"

    def story_url(self, slug: str) -> str:
        return f"{self.base_url}/news/{slug}"


def _labels(language: str) -> dict[str, str]:
    return _LABELS.get(language, _LABELS["en"])


KYIV = timezone(timedelta(hours=2), "EET")
"""The site's clock: pages say local time with its offset, as Ukrainian sites do."""


def _local(when: datetime) -> datetime:
    return when.astimezone(KYIV).replace(microsecond=0)


def _iso(when: datetime) -> str:
    return _local(when).isoformat()


def _human(when: datetime) -> str:
    return _local(when).strftime("%d.%m.%y, %H:%M")


def _rfc822(when: datetime) -> str:
    return format_datetime(_local(when))


def _e(text: str) -> str:
    return escape(text, quote=True)


# --- HTML -------------------------------------------------------------------------------------


def _head(site: SiteInfo, title: str, extra: str = "", *, language: str | None = None) -> str:
    return f"""<!DOCTYPE html>
<html lang="{_e(language or site.language)}">
<head>
<meta charset="{_e(site.charset)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<link rel="alternate" type="application/rss+xml" title="{_e(site.name)}" href="/rss.xml">
{extra}<style>body{{font-family:sans-serif;max-width:70em;margin:auto}}
.currency-ticker,.news-ticker{{display:flex;gap:1em;font-size:small}}</style>
</head>
"""


def _header(site: SiteInfo, latest: Sequence[Story], language: str) -> str:
    lb = _labels(language)
    menu = "".join(f'<li><a href="/{m.lower()}">{m}</a></li>' for m in _MENU)
    ticker = " ".join(
        f'<a href="/news/{s.slug}">{_e(s.title)}</a>' for s in latest[:3]
    )  # the newest headlines: keywords in the chrome of every page
    return f"""<body class="page lang-{_e(language)}">
<header class="site-header">
  <div class="top-bar">
    <a class="logo" href="/">{_e(site.name)}</a>
    <div class="currency-ticker">
      <div class="currency-item"><span class="currency-symbol">$</span><span class="currency-value">42.18</span><span class="currency-change up">0.02</span></div>
      <div class="currency-item"><span class="currency-symbol">€</span><span class="currency-value">49.23</span><span class="currency-change">0.00</span></div>
    </div>
    <a class="outage-link" href="/energy/outages">{lb["outages"]}</a>
    <form class="search-form" action="/search"><input type="search" name="q"><button>{lb["search"]}</button></form>
  </div>
  <nav class="main-menu"><ul><li><a href="/news/">{lb["news"]}</a></li>{menu}</ul></nav>
  <div class="news-ticker"><span class="ticker-label">{lb["ticker"]}:</span> {ticker}</div>
</header>
"""  # noqa: E501


def _sidebar(latest: Sequence[Story], language: str) -> str:
    items = "".join(
        f'<li><a href="/news/{s.slug}"><time>{_local(s.published_at):%H:%M}</time> '
        f"{_e(s.title)}</a></li>"
        for s in latest[:_LATEST]
    )
    return f"""<aside class="sidebar">
  <div class="latest-news"><h3>{_labels(language)["latest"]}</h3><ul>{items}</ul></div>
</aside>
"""


def _footer(site: SiteInfo) -> str:
    return f"""<footer class="site-footer">
  <div class="footer-links"><a href="/about">About</a> <a href="/contacts">Contacts</a> <a href="/privacy">Privacy policy</a> <a href="/rss.xml">RSS</a></div>
  <p class="copyright">© {_e(site.name)}, a demo site served by watchwire on this machine. The UNN article on Belarus is quoted from unn.ua; the other stories are made up for the demo.</p>
</footer>
<div class="cookie-banner" id="cookie-consent">We use cookies to make the site work better for you. <button>OK</button></div>
</body>
</html>
"""  # noqa: E501


def _teaser_block(teaser: Teaser, language: str) -> str:
    label = _labels(language)["read_also"]
    return (
        f'<div class="read-also"><span class="read-also-label">{label}:</span> '
        f'<a href="/news/{_e(teaser.slug)}">{_e(teaser.title)}</a></div>'
    )


def _block(block: str, language: str) -> str:
    if block.startswith("## "):
        return f"<h2>{_e(block[3:])}</h2>"
    if block.startswith("> "):
        return f"<blockquote><p>{_e(block[2:])}</p></blockquote>"
    if block.startswith("read-also:"):
        title, _, slug = block.removeprefix("read-also:").rpartition("->")
        return _teaser_block(Teaser(title.strip(), slug.strip()), language)
    if block.startswith("recall:"):
        label = _labels(language)["recall"]
        text = block.removeprefix("recall:").strip()
        return f"<p><strong>{label}</strong></p>\n<p>{_e(text)}</p>"
    return f"<p>{_e(block)}</p>"


def _json_ld(site: SiteInfo, story: Story) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": site.story_url(story.slug)},
        "headline": story.title,
        "description": story.lead,
        "datePublished": _iso(story.published_at),
        "dateModified": _iso(story.last_change),
        "author": [{"@type": "Person", "name": story.author}] if story.author else [],
        "publisher": {"@type": "Organization", "name": site.name, "url": site.base_url + "/"},
        "inLanguage": story.language,
        "articleSection": story.section,
        "keywords": list(story.tags),
    }
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>\n'


def article_page(site: SiteInfo, story: Story, latest: Sequence[Story]) -> str:
    """The page of one story, in its chrome. ``latest`` feeds the ticker and the sidebar."""
    lb = _labels(story.language)
    url = site.story_url(story.slug)
    meta = f"""<meta name="description" content="{_e(story.lead)}">
<link rel="canonical" href="{_e(url)}">
<meta property="og:site_name" content="{_e(site.name)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{_e(story.title)}">
<meta property="og:description" content="{_e(story.lead)}">
<meta property="og:url" content="{_e(url)}">
<meta property="article:published_time" content="{_iso(story.published_at)}">
<meta property="article:modified_time" content="{_iso(story.last_change)}">
<meta property="article:section" content="{_e(story.section)}">
""" + "".join(f'<meta property="article:tag" content="{_e(t)}">\n' for t in story.tags)
    others = [s for s in latest if s.slug != story.slug]
    body = "\n".join(_block(b, story.language) for b in story.body)
    tags = " ".join(f'<a href="/tags/{_e(t.lower())}">{_e(t)}</a>' for t in story.tags)
    related = "".join(
        f'<div class="related-item"><a class="related-link" href="/news/{_e(t.slug)}">'
        f'<span class="related-title">{_e(t.title)}</span></a></div>'
        for t in story.related
    )
    author = f'<span class="news-author">{_e(story.author)}</span> • ' if story.author else ""
    where = f"{_e(story.location)} • " if story.location else ""
    return (
        _head(
            site,
            f"{story.title} | {site.name}",
            meta + _json_ld(site, story),
            language=story.language,
        )
        + _header(site, others, story.language)
        + f"""<main class="main-container">
  <div class="breadcrumbs"><a href="/">{lb["home"]}</a> › <a href="/news/">{lb["news"]}</a></div>
  <div class="content-columns">
    <article class="news-article">
      <h1 class="news-title">{_e(story.title)}</h1>
      <div class="news-info">{where}{author}<time class="news-date" datetime="{_iso(story.published_at)}">{_human(story.published_at)}</time><span class="news-views"> • {story.views} {lb["views"]}</span></div>
      <div class="share-buttons"><a class="share-fb" href="https://www.facebook.com/sharer/sharer.php">Facebook</a> <a class="share-tg" href="https://t.me/share/url">Telegram</a></div>
      <div class="news-lead"><p><strong>{_e(story.lead)}</strong></p></div>
      <div class="news-text">
{body}
      </div>
      <div class="news-tags">{tags}</div>
      <div class="subscribe-promo">{lb["subscribe"]}</div>
    </article>
{_sidebar(others, story.language)}  </div>
  <section class="related-news"><h3>{lb["related"]}</h3>{related}</section>
</main>
"""  # noqa: E501
        + _footer(site)
    )


def listing_page(site: SiteInfo, stories: Sequence[Story]) -> str:
    """The news section: one card per story, newest first."""
    lb = _labels(site.language)
    cards = "\n".join(
        f"""    <li class="news-item"><article class="news-card">
      <h2><a href="/news/{_e(s.slug)}">{_e(s.title)}</a></h2>
      <time datetime="{_iso(s.published_at)}">{_human(s.published_at)}</time>
      <p class="news-card-lead">{_e(s.lead)}</p>
    </article></li>"""
        for s in stories
    )
    return (
        _head(site, f"{lb['news']} | {site.name}")
        + _header(site, stories, site.language)
        + f"""<main class="main-container">
  <h1>{lb["news"]}</h1>
  <ul class="news-list">
{cards}
  </ul>
  <nav class="pagination"><a href="/news/?page=2">{lb["more"]} ›</a></nav>
</main>
"""
        + _sidebar(stories, site.language)
        + _footer(site)
    )


def not_found_page(site: SiteInfo) -> str:
    return (
        _head(site, f"Not found | {site.name}")
        + _header(site, (), site.language)
        + "<main><h1>Page not found</h1></main>\n"
        + _footer(site)
    )


# --- feeds ------------------------------------------------------------------------------------


def rss_feed(site: SiteInfo, stories: Sequence[Story], *, link_query: str = "") -> str:
    """RSS 2.0, newest first; an edited story carries ``atom:updated``.

    ``link_query`` is appended to every item link, as sites tag their feed traffic
    (``utm_source=rss``); the page's canonical URL stays clean.
    """
    items = []
    for s in stories:
        url = _e(site.story_url(s.slug) + (f"?{link_query}" if link_query else ""))
        updated = f"<atom:updated>{_iso(s.modified_at)}</atom:updated>" if s.modified_at else ""
        creator = f"<dc:creator>{_e(s.author)}</dc:creator>" if s.author else ""
        items.append(
            f"""<item><title>{_e(s.title)}</title><link>{url}</link>
  <guid isPermaLink="true">{url}</guid>
  <pubDate>{_rfc822(s.published_at)}</pubDate>{updated}
  {creator}<category>{_e(s.section)}</category><description>{_e(s.lead)}</description></item>"""
        )
    built = max((s.last_change for s in stories), default=datetime(2000, 1, 1, tzinfo=UTC))
    return f"""<?xml version="1.0" encoding="{site.charset}"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>{_e(site.name)}</title>
<link>{_e(site.base_url)}/</link>
<description>{_e(site.description)}</description>
<language>{_e(site.language)}</language>
<atom:link href="{_e(site.base_url)}/rss.xml" rel="self" type="application/rss+xml"/>
<lastBuildDate>{_rfc822(built)}</lastBuildDate>
{chr(10).join(items)}
</channel>
</rss>
"""


def sitemap(site: SiteInfo, stories: Sequence[Story]) -> str:
    """A Google News sitemap: ``lastmod`` moves when a story is edited."""
    urls = "\n".join(
        f"""<url><loc>{_e(site.story_url(s.slug))}</loc><lastmod>{_iso(s.last_change)}</lastmod>
  <news:news><news:publication><news:name>{_e(site.name)}</news:name><news:language>{_e(s.language)}</news:language></news:publication>
  <news:publication_date>{_iso(s.published_at)}</news:publication_date><news:title>{_e(s.title)}</news:title></news:news></url>"""
        for s in stories
    )
    return f"""<?xml version="1.0" encoding="{site.charset}"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{urls}
</urlset>
"""


def robots_txt(site: SiteInfo) -> str:
    return f"""# {site.name}: crawlers welcome, except in the back office
User-agent: *
Disallow: /private/
Disallow: /search

Sitemap: {site.base_url}/sitemap.xml
"""
