"""The article's title: its headline as a reader sees it, not the site's name or an SEO line.

The page's own heading wins: the first ``<h1>`` that is the article's (not the logo, the site's
name, a section label, or a heading in navigation or a pop-up), in the page's own words and
typography. Metadata (JSON-LD ``headline``, ``og:title``, ``twitter:title``, ``<title>``)
tells a logo from a headline and stands in when the page has no heading of its own; then the
site's name (``og:site_name``, the host) and the article's section are stripped from either end
(``Headline | Example``, ``Example.de › Headline``, ``Calcio - Headline``), and a heading that
is the same title in the page's typography is preferred (``‘sting jet’`` over ``'sting jet'``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from watchwire.extract import selectors as sel

if TYPE_CHECKING:
    from collections.abc import Iterator

    from selectolax.lexbor import LexborHTMLParser, LexborNode

    from watchwire.extract.metadata import JsonLd, MetaTags

__all__ = ["Headline", "find_title", "same_title"]

MAX_TITLE_CHARS: Final = 500
_MAX_H1: Final = 8
_MAX_HEADINGS: Final = 40
_MAX_ANCESTORS: Final = 12
_NOT_WORD: Final = re.compile(r"[\W_]+")
_TYPOGRAPHY: Final = str.maketrans(
    {
        "‘": '"', "’": '"', "‚": '"', "‛": '"', "′": '"', "`": '"', "´": '"', "'": '"',
        "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
        "–": "-", "—": "-", "‒": "-", "−": "-", "‐": "-", "\xa0": " ",
    }
)  # fmt: skip
"""Quotes, apostrophes and dashes as one of each: a page's typography is a way of writing."""


_UNSEEN_TAGS: Final = frozenset({"svg", "style", "script", "noscript", "template", "button"})


@dataclass(frozen=True, slots=True)
class Headline:
    title: str
    node: LexborNode | None
    """The heading element the title was read from, when it was read from one."""


def _clean(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _heading_text(node: LexborNode) -> str:
    """What a reader sees of a heading: not its icons' styles, buttons or hidden links."""
    return _clean("".join(_seen_text(node)))


def _seen_text(node: LexborNode) -> list[str]:
    """The heading's text pieces in order; a stack, not recursion: hostile pages nest deep."""
    parts: list[str] = []
    stack = [node.iter(include_text=True)]
    while stack:
        for child in stack[-1]:
            if child.tag == "-text":
                parts.append(child.text_content or "")
            elif child.tag == "br":
                parts.append(" ")
            elif child.tag not in _UNSEEN_TAGS and not _hidden(child):
                stack.append(child.iter(include_text=True))
                break
        else:
            stack.pop()
    return parts


def _hidden(node: LexborNode) -> bool:
    style = (node.attributes.get("style") or "").lower()
    return "none" in style and sel.HIDDEN_STYLE.search(style) is not None


def _key(text: str) -> str:
    """Letters and digits only, case-folded: for telling whether two texts say the same."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _NOT_WORD.sub("", text.casefold())


def _loose(text: str) -> str:
    """Typography and case aside: ``‘sting jet’`` and ``'Sting Jet'`` read the same."""
    return " ".join(text.translate(_TYPOGRAPHY).casefold().replace("…", "...").split())


def same_title(a: str, b: str) -> bool:
    return _loose(a) == _loose(b)


class _Site:
    """What names the site rather than the article: its name and its host, and the section."""

    __slots__ = ("keys", "longest", "section")

    def __init__(self, meta: MetaTags, ld: JsonLd, url: str | None) -> None:
        names = [meta.first("og:site_name")]
        host = (urlsplit(url).hostname or "") if url else ""
        host = host.removeprefix("www.").removeprefix("m.")
        if host:
            names.append(host)  # "sportsnet.ca"
            names.append(host.split(".")[0])  # "sportsnet"
        self.keys = {key for name in names if len(key := _key(name)) >= 2}
        self.longest = max(map(len, self.keys), default=0)
        section = ld.section or meta.first("article:section")
        self.section = _key(section.split(",", 1)[0]) if section else ""

    def names(self, part: str) -> bool:
        """Whether a piece of a title is the site's name (``Example.de``, ``CityAM``,
        ``cleveland.com`` for ``cleveland``), not merely starting with it."""
        if len(part) > 3 * self.longest + 12:
            return False  # far longer than any name of the site
        key = _key(part)
        if not key:
            return True  # a bare separator or emoji
        for site in self.keys:
            if key == site:
                return True
            longer, shorter = (key, site) if len(key) > len(site) else (site, key)
            if len(shorter) >= 4 and longer.startswith(shorter) and len(longer) - len(shorter) <= 4:
                return True
        return False

    def labels(self, part: str) -> bool:
        """Whether a piece of a title is the site's name or the article's section."""
        return self.names(part) or (bool(self.section) and _key(part) == self.section)


def _strip_site(title: str, site: _Site) -> str:
    """``Headline | Example`` to ``Headline``: the site's name and section off either end."""
    for _ in range(4):
        separators = list(sel.SITE_SEPARATORS.finditer(title))
        if not separators:
            break
        last, first = separators[-1], separators[0]
        if site.labels(title[last.end() :]):
            title = title[: last.start()].strip()
        elif site.labels(title[: first.start()]):
            title = title[first.end() :].strip()
        else:
            break
    return title


def _metadata_titles(
    tree: LexborHTMLParser, ld: JsonLd, meta: MetaTags, site: _Site
) -> Iterator[str]:
    """The titles the page's metadata gives, most trusted first, the site's name stripped;
    truncated ones last (lazily: most pages need only the first)."""
    truncated: list[str] = []
    for text in dict.fromkeys((ld.headline, meta.first("og:title"), meta.first("twitter:title"))):
        if text and len(text) <= MAX_TITLE_CHARS and not site.names(text):
            if not (title := _strip_site(_clean(text), site)):
                continue
            if title.endswith(("...", "…")):
                truncated.append(title)
            else:
                yield title
    node = tree.css_first("title")
    text = _clean(node.text()) if node is not None else ""
    if text and not site.names(text) and (title := _strip_site(text, site)):
        yield _strip_tail(title)
    yield from truncated


def _strip_tail(title: str) -> str:
    """``<title>``'s last short part after a separator: the site's name even where nothing
    else names the site (``Tram line extended | City News``)."""
    separators = list(sel.TITLE_SEPARATORS.finditer(title))
    if not separators:
        return title
    last = separators[-1]
    head, tail = title[: last.start()], title[last.end() :]
    return head if len(tail) < sel.SITE_NAME_CHARS and len(head) > len(tail) else title


def _is_logo(node: LexborNode, site: _Site, text: str) -> bool:
    """The site's logo or name in a heading, not an article's headline."""
    if site.names(text):
        return True
    names = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}".lower()
    if sel.LOGO_NAMES.search(names):
        return True
    home = node.css_first("a[href]")
    parent = node.parent
    if home is None and parent is not None and parent.tag == "a":
        home = parent
    return home is not None and (home.attributes.get("href") or "").strip() in ("/", "./")


def _in_chrome(node: LexborNode) -> bool:
    """In navigation, a footer, a form, a dialog or a hidden element (an "Other pages" h1)."""
    current: LexborNode | None = node
    for _ in range(_MAX_ANCESTORS):
        if current is None or current.tag in ("body", "html"):
            return False
        if current.tag in sel.TITLE_CHROME_TAGS:
            return True
        names = f"{current.attributes.get('class') or ''} {current.attributes.get('id') or ''}"
        if names.strip() and sel.TITLE_CHROME_NAMES.search(names.lower()):
            return True
        current = current.parent
    return False


def _unrelated(text: str, title: str) -> bool:
    """A short heading that shares no word with the metadata title: a section or a label."""
    if not title or len(text) * 3 >= len(title):
        return False
    words = {w for w in _loose(title).split() if len(w) > 3}
    return not any(w in words for w in _loose(text).split() if len(w) > 3)


def _agrees(text: str, title: str) -> bool:
    """The heading and the metadata title say the same, punctuation aside: one within the
    other, and the larger part of it (not "Reviews" within "Atkins diet: … Reviews")."""
    a, b = _key(text), _key(title)
    if not a or not b:
        return False
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return shorter in longer and 2 * len(shorter) >= len(longer)


def _as_written(heading: str, title: str) -> str:
    """The heading's text, unless it is the metadata title with its punctuation lost (a kicker
    and a headline in two spans, ``Streetart in Bonn Was hinter …``): then the title's."""
    if _key(heading) == _key(title) and _loose(heading) != _loose(title):
        return title
    return heading


def _article_h1(tree: LexborHTMLParser, site: _Site, title: str) -> tuple[str, LexborNode] | None:
    found: tuple[str, LexborNode] | None = None
    for node in tree.css("h1")[:_MAX_H1]:
        text = _heading_text(node)
        if not text or len(text) > MAX_TITLE_CHARS or _is_logo(node, site, text):
            continue
        if _unrelated(text, title) or _in_chrome(node):
            continue
        if _agrees(text, title):
            return _as_written(text, title), node
        found = found or (text, node)
    return found


def _heading_for(tree: LexborHTMLParser, titles: list[str]) -> tuple[str, LexborNode] | None:
    """A lesser heading (``h2``, ``h3``: blogs, pages whose ``h1`` is the site's or a
    breadcrumb's) that is one of the metadata titles, or the larger part of it."""
    if not titles:
        return None
    keys = [_key(title) for title in titles]
    for node in tree.css("h2, h3")[:_MAX_HEADINGS]:
        if not (text := _heading_text(node)):
            continue
        if (key := _key(text)) in keys:  # the very title: written as the metadata has it?
            return _as_written(text, titles[keys.index(key)]), node
        if any(_agrees(text, title) for title in titles):
            return text, node
    return None


def find_title(tree: LexborHTMLParser, ld: JsonLd, meta: MetaTags, url: str | None) -> Headline:
    """The article's headline, and the heading element it was read from (if any)."""
    site = _Site(meta, ld, url)
    more = _metadata_titles(tree, ld, meta, site)
    title = next(more, "")
    if found := _article_h1(tree, site, title):
        return Headline(found[0], found[1])
    if found := _heading_for(tree, [title, *more] if title else []):
        return Headline(found[0], found[1])
    if not title and (found := _first_heading(tree)):
        return Headline(found[0], found[1])
    return Headline(title, None)


def _first_heading(tree: LexborHTMLParser) -> tuple[str, LexborNode] | None:
    """A blog whose metadata names only itself and whose ``<h1>`` is its logo: the post's
    title is its first ``<h2>`` that reads like one (a few words, not in the site's chrome)."""
    for node in tree.css("h2")[:_MAX_HEADINGS]:
        text = _heading_text(node)
        if len(text.split()) >= sel.MIN_HEADING_WORDS and not _in_chrome(node):
            return text, node
    return None
