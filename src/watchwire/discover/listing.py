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
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from watchwire.charset import normalize_charset
from watchwire.discover.common import LinkList, UrlResolver, clean_text, resolve_url
from watchwire.models import Link

__all__ = [
    "ARTICLE_CHROME_LINKS",
    "CHROME_LINKS",
    "CLASSED_CHROME_LINKS",
    "FEED_TYPES",
    "NOT_ARTICLE_EXTENSIONS",
    "NOT_ARTICLE_SEGMENTS",
    "ArticleUrlFilter",
    "HtmlResult",
    "is_article_url",
    "parse_html",
]

# --- the heuristic, as data ----------------------------------------------------------------------

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json"})
"""``<link rel="alternate" type=…>`` types that announce a feed. Plain ``application/json``
counts only when its href or title says "feed": WordPress announces its REST API
(``/wp-json/wp/v2/pages/2``) the same way on every page."""

CHROME_LINKS = (
    "header a[href], nav a[href], footer a[href], aside a[href], "
    "[role=navigation] a[href], [role=banner] a[href], [role=contentinfo] a[href], "
    "[role=search] a[href]"
)
"""Links in the page chrome, by element and ARIA role..."""
CLASSED_CHROME_LINKS = (
    "[class*=breadcrumb] a[href], [class*=pagination] a[href], "
    "[class*=menu] a[href], [id*=menu] a[href]"
)
"""...and by class or id, which is less certain: some themes wrap the whole page in an
``off-canvas-menu-wrap``. When excluding them leaves no article at all, they are let back in."""
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
_HTTP_URL = re.compile(r"https?://([^/?#]*)([^?#]*)(?:\?([^#]*))?")
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
        links = _heuristic_links(tree, url=url, base=base, max_links=max_links)
    return HtmlResult(links.to_tuple(), feeds, links.error())


def _heuristic_links(tree: LexborHTMLParser, *, url: str, base: str, max_links: int) -> LinkList:
    card_chrome = {node.mem_id for node in tree.css(ARTICLE_CHROME_LINKS)}
    chrome = {node.mem_id for node in tree.css(CHROME_LINKS)} - card_chrome
    classed = {node.mem_id for node in tree.css(CLASSED_CHROME_LINKS)} - card_chrome
    anchors = tree.css("a[href]")
    keep = ArticleUrlFilter(url)
    # Strictest first; relax only when it leaves nothing (a page-wide "menu" wrapper).
    for excluded in (chrome | classed, chrome, set()):
        links = LinkList(max_links)
        _collect([a for a in anchors if a.mem_id not in excluded], base, links, keep=keep)
        if links:
            break
    return links


def _decode(content: bytes, charset: str | None) -> str:
    """Lexbor reads bytes as UTF-8; windows-1251 and koi8-r pages need decoding first."""
    if content.startswith(b"\xef\xbb\xbf"):
        charset = "utf-8"
    elif charset is None and (meta := _META_CHARSET.search(content, 0, 4096)):
        charset = meta.group(1).decode("ascii")
    # Only WHATWG encodings: a page declaring utf-7 is not decoded as utf-7.
    return content.decode(normalize_charset(charset) or "utf-8", errors="replace")


def _feeds(tree: LexborHTMLParser, base: str) -> tuple[str, ...]:
    """Announced feeds in page order, each once; comment feeds after the others (the
    pipeline follows the first)."""
    found: dict[str, bool] = {}
    for node in tree.css("link[rel][href]"):
        attributes = node.attributes
        rel = (attributes.get("rel") or "").lower().split()
        kind = (attributes.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rel:
            continue
        href = attributes.get("href") or ""
        label = f"{href} {attributes.get('title') or ''}".lower()
        if kind in FEED_TYPES or (kind == "application/json" and "feed" in label):
            target = resolve_url(base, href)
            if target:
                found.setdefault(target, "comment" in label)
    return tuple(sorted(found, key=found.__getitem__))  # stable: page order otherwise


def _collect(
    anchors: list[LexborNode], base: str, links: LinkList, keep: Callable[[str], bool] | None
) -> None:
    """Each URL once in first-seen order, titled by its longest anchor text (a card often
    links twice: an image without text, then the headline)."""
    titles: dict[str, str | None] = {}
    resolve = UrlResolver(base)
    for node in anchors:
        anchor = node if node.tag == "a" else node.css_first("a[href]")
        if anchor is None:
            continue
        target = resolve(anchor.attributes.get("href"))
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


class ArticleUrlFilter:
    """Whether a URL found on one page looks like an article of the same site.

    Built once per page: the page's host and path are split once, and each distinct host's
    verdict is remembered (a listing's thousands of links sit on a handful of hosts).
    """

    __slots__ = ("_hosts", "_page_host", "_page_path", "_page_query")

    def __init__(self, page_url: str) -> None:
        page = urlsplit(page_url)
        self._page_host = _bare(page.hostname or "")
        self._page_path = page.path.rstrip("/")
        self._page_query = page.query
        self._hosts: dict[str, bool] = {}

    def __call__(self, url: str) -> bool:
        # URLs here come out of resolve_url: absolute http(s), no fragment; a regex splits them
        # at a fraction of urlsplit's cost.
        match = _HTTP_URL.match(url)
        if match is None:
            return False
        netloc, path, query = match.group(1, 2, 3)
        same_site = self._hosts.get(netloc)
        if same_site is None:
            same_site = self._hosts[netloc] = self._same_site(urlsplit(url).hostname or "")
        if not same_site:
            return False
        if "%" in path:
            path = unquote(path)
        if path.rstrip("/") == self._page_path and (query or "") == self._page_query:
            return False  # the page itself
        return _looks_like_article(path.lower(), query or "")

    def _same_site(self, host: str) -> bool:
        host, page = _bare(host), self._page_host
        if host == page:
            return True
        # A sibling or parent host of the same site, but never a bare public suffix ("org").
        return "." in host and (host.endswith("." + page) or page.endswith("." + host))


def is_article_url(url: str, *, page_url: str) -> bool:
    """Whether ``url``, found on ``page_url``, looks like an article of the same site."""
    return ArticleUrlFilter(page_url)(url)


def _looks_like_article(path: str, query: str) -> bool:
    if path.endswith(NOT_ARTICLE_EXTENSIONS):
        return False
    segments = [segment for segment in path.split("/") if segment]
    if not segments or any(segment in NOT_ARTICLE_SEGMENTS for segment in segments):
        return False
    last = segments[-1]
    if _DATE_IN_PATH.search(path):
        # /2025/06/02/slug, /2025-06-02-slug; not the /2025/06/ archive itself
        return not (last.isdigit() and len(last) <= 4)
    if _LONG_ID.search(path) or _LONG_ID.search(query):
        return True  # /news/123456, /a/123456-slug.html, /article.php?id=123456
    if _SHORT_ID.search(_strip_years(segments)):
        return True  # /news/1234
    words = [word for word in _SLUG_WORD_SEPARATORS.split(last.rsplit(".", 1)[0]) if word]
    return len(words) >= _MIN_SLUG_WORDS and sum(word.isalpha() for word in words) >= 2


def _bare(host: str) -> str:
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def _strip_years(segments: list[str]) -> str:
    """The path without year-only segments: /2025/ is an archive, not an id."""
    return "/".join(segment for segment in segments if not _YEAR.fullmatch(segment))
