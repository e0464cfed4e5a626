"""HTML pages: article links chosen by a CSS selector or by a heuristic, and feed autodiscovery.

The heuristic keeps a link when it stays on the site, is not inside the page chrome (header,
nav, footer, menus, breadcrumbs, pagination) and its path looks like an article: a date, a
numeric id, or a slug of several words. Tag, author, category, login and search pages are not
articles. The rules are data (the constants below), kept apart from the code that applies them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from watchwire.discover.common import LinkList, clean_text, resolve_url
from watchwire.models import Link

__all__ = ["FEED_TYPES", "HtmlResult", "is_article_url", "parse_html"]

# --- the heuristic, as data ----------------------------------------------------------------------

FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)
"""``<link rel="alternate" type=…>`` types that announce a feed."""

CHROME_LINKS = (
    "header a[href], nav a[href], footer a[href], aside a[href], "
    "[role=navigation] a[href], [role=banner] a[href], [role=contentinfo] a[href], "
    "[role=search] a[href], [class*=breadcrumb] a[href], [class*=pagination] a[href], "
    "[class*=menu] a[href], [id*=menu] a[href]"
)
"""Links in the page chrome..."""
ARTICLE_CHROME_LINKS = "article header a[href], article footer a[href]"
"""...except an article card's own header and footer (``<article><header><h2><a>``)."""

NOT_ARTICLE_SEGMENTS = frozenset(
    {
        "about", "about-us", "account", "archive", "archives", "author", "authors", "cart",
        "categories", "category", "contact", "contacts", "cookies", "feed", "feeds", "help",
        "login", "logout", "page", "privacy", "privacy-policy", "profile", "register", "rss",
        "search", "section", "sections", "signin", "sign-in", "signup", "sign-up", "subscribe",
        "subscription", "tag", "tags", "terms", "topic", "topics", "user", "users", "wp-admin",
        "wp-login.php",
    }
)  # fmt: skip
"""A path segment equal to one of these marks a page that lists or serves, not an article."""

NOT_ARTICLE_EXTENSIONS = (
    ".css", ".gif", ".ico", ".jpeg", ".jpg", ".js", ".mp3", ".mp4", ".pdf", ".png", ".rss",
    ".svg", ".webp", ".xml", ".zip",
)  # fmt: skip

_DATE_IN_PATH = re.compile(r"/(?:19|20)\d\d(?:/\d{1,2}/|-\d\d-\d\d|\d{4}(?!\d))")
_LONG_ID = re.compile(r"\d{5,}")
_SHORT_ID = re.compile(r"(?<!\d)\d{4}(?!\d)")
_YEAR = re.compile(r"(?:19|20)\d\d")
_SLUG_WORD_SEPARATORS = re.compile(r"[-_]+")
_MIN_SLUG_WORDS = 3
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class HtmlResult:
    links: tuple[Link, ...]
    feeds: tuple[str, ...]
    error: str | None


def parse_html(
    content: bytes,
    *,
    url: str,
    links_selector: str | None = None,
    charset: str | None = None,
    max_links: int = 50_000,
) -> HtmlResult:
    """Article links (by ``links_selector``, else by the heuristic) and autodiscovered feeds."""
    tree = LexborHTMLParser(_decode(content, charset))
    base_node = tree.css_first("base[href]")
    base = (resolve_url(url, base_node.attributes.get("href")) if base_node else None) or url
    feeds = _feeds(tree, base)
    links = LinkList(max_links)
    if links_selector:
        try:
            anchors = tree.css(links_selector)
        except SelectolaxError as exc:
            return HtmlResult((), feeds, f"bad links selector {links_selector!r}: {exc}")
        _collect(anchors, base, links, keep=None)
        if not links:
            return HtmlResult((), feeds, f"links selector {links_selector!r} matched no links")
    else:
        chrome = {node.mem_id for node in tree.css(CHROME_LINKS)}
        chrome -= {node.mem_id for node in tree.css(ARTICLE_CHROME_LINKS)}
        page = urlsplit(url)
        anchors = [node for node in tree.css("a[href]") if node.mem_id not in chrome]
        _collect(anchors, base, links, keep=lambda target: is_article_url(target, page=page))
    return HtmlResult(links.to_tuple(), feeds, links.truncation_error())


def _decode(content: bytes, charset: str | None) -> str:
    """Lexbor reads bytes as UTF-8; windows-1251 and koi8-r pages need decoding first."""
    if content.startswith(b"\xef\xbb\xbf"):
        charset = "utf-8"
    elif charset is None and (meta := _META_CHARSET.search(content, 0, 4096)):
        charset = meta.group(1).decode("ascii")
    try:
        return content.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return content.decode("utf-8", errors="replace")


def _feeds(tree: LexborHTMLParser, base: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for node in tree.css("link[rel][href]"):
        attributes = node.attributes
        rel = (attributes.get("rel") or "").lower().split()
        kind = (attributes.get("type") or "").split(";")[0].strip().lower()
        if "alternate" in rel and kind in FEED_TYPES:
            target = resolve_url(base, attributes.get("href"))
            if target:
                found.setdefault(target)
    return tuple(found)


def _collect(
    anchors: list[LexborNode], base: str, links: LinkList, keep: Callable[[str], bool] | None
) -> None:
    """Each URL once in first-seen order, titled by its longest anchor text (a card often
    links twice: an image without text, then the headline)."""
    titles: dict[str, str | None] = {}
    for node in anchors:
        anchor = node if node.tag == "a" else node.css_first("a[href]")
        if anchor is None:
            continue
        target = resolve_url(base, anchor.attributes.get("href"))
        if target is None or (keep is not None and target not in titles and not keep(target)):
            continue
        title = clean_text(anchor.text(deep=True, separator=" ", strip=True))
        if title is None:
            title = clean_text(anchor.attributes.get("title"))
        known = titles.get(target)
        if target not in titles or (title and (known is None or len(title) > len(known))):
            titles[target] = title
    for target, title in titles.items():
        if not links.add(Link(url=target, title=title)):
            return


def is_article_url(url: str, *, page: SplitResult) -> bool:
    """Whether ``url``, found on ``page``, looks like an article of the same site."""
    parts = urlsplit(url)
    if not _same_site(parts.hostname or "", page.hostname or ""):
        return False
    path = unquote(parts.path)
    if path.rstrip("/") == page.path.rstrip("/") and parts.query == page.query:
        return False  # the page itself
    lowered = path.lower()
    if lowered.endswith(NOT_ARTICLE_EXTENSIONS):
        return False
    segments = [segment for segment in lowered.split("/") if segment]
    if not segments or any(segment in NOT_ARTICLE_SEGMENTS for segment in segments):
        return False
    last = segments[-1]
    if _DATE_IN_PATH.search(lowered) and not (last.isdigit() and len(last) <= 4):
        return True  # /2025/06/02/slug, /2025-06-02-slug; not the /2025/06/ archive itself
    if _LONG_ID.search(path) or _SHORT_ID.search(_strip_years(segments)):
        return True  # /news/123456, /a/1234-slug.html, ?id=98765 is handled below
    if _LONG_ID.search(parts.query) and len(segments) >= 1:
        return True
    words = [word for word in _SLUG_WORD_SEPARATORS.split(last.rsplit(".", 1)[0]) if word]
    return len(words) >= _MIN_SLUG_WORDS and sum(word.isalpha() for word in words) >= 2


def _same_site(host: str, page_host: str) -> bool:
    host, page_host = _bare(host), _bare(page_host)
    return host == page_host or host.endswith("." + page_host) or page_host.endswith("." + host)


def _bare(host: str) -> str:
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def _strip_years(segments: list[str]) -> str:
    """The path without year-only segments: /2025/ is an archive, not an id."""
    return "/".join(segment for segment in segments if not _YEAR.fullmatch(segment))
