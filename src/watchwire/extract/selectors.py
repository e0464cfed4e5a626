"""The extractor's heuristics as data: tag sets, class/id vocabularies, phrases, weights.

Nothing here is specific to one site. The logic that reads these lives in ``content.py`` (the
text), ``titles.py`` (the headline), ``published.py`` and ``bylines.py`` (the publication date)
and ``metadata.py``; tuning the extractor should mostly mean editing this file (and, for month
names, ``months.py``).
"""

from __future__ import annotations

import re
from typing import Final

# fmt: off
# (The vocabularies below are tables: one item a line would hide them.)

# --- tags -------------------------------------------------------------------------------------

JUNK_TAGS: Final = frozenset({
    "script", "style", "noscript", "template", "svg", "math", "iframe", "frame", "frameset",
    "object", "embed", "applet", "canvas", "video", "audio", "source", "track", "picture", "img",
    "map", "area", "select", "option", "optgroup", "datalist", "button", "input", "textarea",
    "label", "output", "progress", "meter", "head", "title", "meta", "link", "base", "dialog",
})
"""Elements whose content is never article text: skipped with everything inside."""

BOILERPLATE_TAGS: Final = frozenset({"nav", "aside", "footer", "header", "menu", "form"})
"""Page chrome by its element: excluded unless the article root lies inside it."""

SUMMARIZED_TAGS: Final = frozenset({"nav", "aside", "footer", "header"})
"""Chrome by element: weighed by the length of its text, read in one call, and not walked.
(Not ``form``: some sites wrap the whole page in one.)"""

BLOCK_TAGS: Final = frozenset({
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
    "dl", "dd", "dt", "blockquote", "pre", "table", "tbody", "thead", "tfoot", "tr", "td", "th",
    "caption", "figure", "figcaption", "header", "footer", "aside", "nav", "menu", "form",
    "fieldset", "legend", "address", "details", "summary", "center", "hgroup", "body", "html",
})
"""Elements that start and end a paragraph of text."""

PLAIN_TAGS: Final = frozenset({
    "b", "strong", "i", "em", "u", "s", "small", "sup", "sub", "abbr", "cite", "code",
    "time", "font", "mark", "q", "bdi", "bdo", "wbr", "nobr", "tt", "big", "strike", "del", "ins",
    "kbd", "samp", "var", "dfn",
})
"""Inline formatting whose attributes are not worth reading."""

LEAF_TAGS: Final = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dd", "dt", "pre", "blockquote", "th",
    "figcaption", "caption", "address", "summary", "legend", "center", "a", "span",
})
"""Blocks that hold a paragraph, never a story: not candidates for the content root."""

SENTENCE_TAGS: Final = frozenset({"p"})
"""Blocks kept when they read as a sentence even if most of their text is a link."""

HEADING_TAGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
TITLE_TAGS: Final = frozenset({"h1"})
"""Headings that hold the page's title, not a part of the story."""
LINK_TAGS: Final = frozenset({"a"})
CAPTION_TAGS: Final = frozenset({"figcaption", "caption"})
"""Picture and table captions: kept out of the body text."""

BOILERPLATE_ROLES: Final = frozenset({
    "navigation", "banner", "contentinfo", "complementary", "search", "dialog", "menu",
    "menubar", "toolbar", "alert", "alertdialog", "tablist",
})

MAX_DEPTH: Final = 256
"""Nesting below this depth is read as inline text of the deepest tracked block (hostile input)."""

# --- class / id vocabulary --------------------------------------------------------------------

CHROME_SUBSTRINGS: Final = (
    "share", "sharing", "social", "related", "recommend", "newsletter", "subscri", "breadcrumb",
    "cookie", "consent", "privacy", "sidebar", "advert", "sponsor", "promo", "comment", "disqus",
    "outbrain", "taboola", "zergnet", "popular", "trending", "mostread", "most-read", "readmore",
    "read-more", "readalso", "read-also", "also-read", "see-also", "teaser", "paywall", "signup",
    "sign-up", "pagination", "byline", "copyright", "disclaimer", "footnote", "author-bio",
    "authorbio", "navbar", "masthead", "toolbar", "dropdown", "screen-reader", "sr-only",
    "visually-hidden", "skip-link", "caption", "credit", "ticker", "currency", "exchange-rate",
    "viewcount", "view-count", "views-count", "counter", "rating", "login",
)
"""Found anywhere in a class token or id."""
CHROME_WORDS: Final = frozenset({
    "ad", "ads", "adv", "banner", "nav", "menu", "footer", "header", "widget", "widgets", "meta",
    "tags", "tag", "author", "authors", "date", "time", "views", "modal", "popup", "overlay",
    "search", "hidden", "hide", "share", "more", "recall", "rss", "follow", "toc", "aside",
    "print", "info", "links", "tools",
})
"""A whole class token or id, or its last ``-``/``_`` part (``post-tags``, ``main_nav``)."""
CHROME_PREFIXES: Final = frozenset({
    "ad", "ads", "adv", "banner", "nav", "menu", "footer", "header", "widget", "modal", "popup",
    "share", "print",
})
"""The first part of a class token or id (``ad-slot``, ``nav-links``). Not ``tag``, ``author``
or ``category``: WordPress marks the article itself with ``tag-<name>`` classes."""

CONTENT_SUBSTRINGS: Final = ("embed", "tweet", "instagram-media", "label-hidden")
"""Content despite the vocabulary: embedded posts quoted by the story (``social-media-embed``),
a field whose *label* is hidden (Drupal's ``field-label-hidden``)."""
STATE_PREFIXES: Final = ("has-", "with-", "no-", "is-", "enable-", "enabled-", "disable-", "show-")
"""Class tokens that describe a layout state of a wrapper (``has-sidebar``, ``with-header``),
not what the element is: ignored."""

HIDDEN_STYLE: Final = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")

# --- block text -------------------------------------------------------------------------------

BOILERPLATE_PHRASES: Final = frozenset({
    "advertisement", "advertising", "advert", "ad", "sponsored",
    "this slideshow requires javascript", "sponsored content", "share", "share this",
    "share this article", "share this story", "share on facebook", "share on twitter", "tweet",
    "read more", "read also", "see also", "also read", "related", "related articles",
    "related stories", "related news", "more stories", "continue reading", "loading",
    "subscribe", "follow us", "comments", "print", "email", "back to top", "skip to content",
    "реклама", "читайте також", "читайте также", "читати також", "дивіться також",
    "смотрите также", "поділитися", "поделиться", "підписатися", "подписаться",
})
"""Whole-block texts (lower case, punctuation stripped) that are never story text."""

READ_ALSO_PREFIXES: Final = (
    "read also", "read more", "see also", "also read", "related:", "more:", "recommended:",
    "читайте також", "читайте также", "читати також", "дивіться також", "смотрите также",
    "по темі", "по теме",
)
"""A short block starting with one of these is a teaser for another story."""

TAIL_MARKERS: Final = frozenset({
    "recall", "reminder", "нагадаємо", "нагадаем", "напомним", "напомним что", "нагадуємо",
})
"""A block that is only this word opens a "recall" digest of older stories: the story ends."""

VIEW_COUNTER: Final = re.compile(
    r"^[\W\d\s]*\d[\d\s,.  ]*\s*(?:k\s*)?"
    r"(?:views?|reads?|переглядів|перегляди|просмотров|просмотра|просмотр)\W*$",
    re.IGNORECASE,
)

SENTENCE_END: Final = re.compile(r"[.!?…。！？:;»\"”)]\s*$")

# fmt: on

# --- scoring weights --------------------------------------------------------------------------

MIN_PARAGRAPH_CHARS: Final = 40
"""A block at least this long, or ending like a sentence, counts as prose."""
LINK_DENSITY_MAX: Final = 0.5
"""Blocks with more of their text in links than this are navigation."""
MARKED_PENALTY: Final = 0.5
"""Per character of prose inside chrome, charged to every root that would include that chrome."""
MIN_STORY_CHARS: Final = 200
"""Less story than this, beside more text in summarized chrome, makes the walk look inside it."""
SUMMARY_PENALTY: Final = 0.75
"""Per character of a summarized chrome element (``SUMMARIZED_TAGS``), charged like chrome."""
SHORT_PENALTY: Final = 0.3
"""Per character of short non-prose blocks (labels, dates, menus)."""
BODY_HINT_FACTOR: Final = 1.5
"""Bonus for an element marked ``itemprop="articleBody"``: it wins unless clearly outweighed."""
INSIDE_CHROME_FACTOR: Final = 0.3
"""A candidate root inside chrome (comments, sidebars) keeps this share of its worth."""

# --- story edges ------------------------------------------------------------------------------
# The first and last blocks of a chosen root are where chrome hides inside the article element:
# datelines and bylines above the story, calls to action and teaser lists below it.

EDGE_CHARS: Final = 300
"""Only blocks up to this long are judged as edge chrome."""
DATELINE_CHARS: Final = 90
TEASER_CHARS: Final = 150
TEASER_RUN: Final = 3
"""This many short blocks with links in a row, closing the story, are a list of teasers."""
DATELINE: Final = re.compile(
    r"\d{1,2}:\d{2}|\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}"
    r"|\b\d{1,2}\.?\s+(?:de\s+)?[^\W\d_]{3,}\.?,?\s+(?:de\s+)?\d{4}\b",
    re.IGNORECASE,
)
"""A short block with a date or a time of day in it is a dateline, not story text."""
BYLINE: Final = re.compile(
    r"^(?:by|von|par|por|di|door|av|af|przez|автор|авторка|publicado por|posted by|written by)"
    r"\b|^(?:reporting|editing) by\b",
    re.IGNORECASE,
)
CALL_TO_ACTION: Final = re.compile(
    r"^\W*(?:follow|subscribe|sign up|share|like this|get the latest|get our|join|click here|"
    r"chat with us|listen to|watch|download|if you enjoyed|have a tip|don['’]t miss|support|"
    r"become a member|more from|more great|more stories|recommended|see also|read more|"
    r"read also|related|also on|this article (?:was|is)|copyright|©|"
    r"підписуйтесь|підпишіться|стежте|читайте нас|подписывайтесь|подпишитесь|следите)\b",
    re.IGNORECASE,
)
"""A block at the end of the story that starts like this is addressed to the reader, not news."""


# --- metadata ---------------------------------------------------------------------------------
# fmt: off

PUBLISHED_META: Final = (
    "article:published_time", "og:published_time", "og:article:published_time",
    "published_time", "article:published", "article:published_date", "datepublished",
    "pubdate", "publishdate", "publish-date", "publish_date", "published-date",
    "published_date", "publication_date", "date", "dc.date", "dc.date.issued",
    "dc.date.created", "dc.created", "dcterms.created", "dcterms.date", "dcterms.issued",
    "sailthru.date", "parsely-pub-date", "article.published", "og:pubdate", "og:publish_date",
    "cxenseparse:recs:publishtime", "datecreated", "date_published", "citation_date",
    "citation_publication_date", "originalpublicationdate", "displaydate", "release_date",
    "video:release_date", "bt:pubdate", "rnews:datepublished", "article:post_date",
    "twt-published-at", "shareaholic:article_published_time",
)
"""``<meta>`` keys (property, name or itemprop, lower case) for the publication time, in order."""
MODIFIED_META: Final = (
    "article:modified_time", "og:updated_time", "modified_time", "article:modified",
    "datemodified", "last-modified", "dcterms.modified", "article.updated", "dc.date.modified",
    "og:article:modified_time", "bt:moddate",
)
PUBLISHED_META_SUFFIXES: Final = frozenset({
    "published_time", "published", "publish_date", "publishdate", "pubdate", "published_date",
    "date_published", "datepublished", "uploaded", "upload_date", "uploaddate", "created",
    "date_created", "datecreated", "created_at", "release_date", "post_date",
})
"""The last part of site-specific keys (``five_hundred_pixels:uploaded``, ``vr:published_time``)
that name the publication date: read after every key above."""
ZONE_META: Final = (*MODIFIED_META, "article:published_time", "og:published_time")
"""Meta keys whose timestamps, with their offsets, tell the page's time zone."""
PUBLISHED_MARKUP: Final = (
    '[itemprop="datePublished" i], [itemprop="dateCreated" i], time[pubdate], '
    "abbr.published[title], time.entry-date[datetime], time.published[datetime]"
)
"""Elements that say in markup that they hold the publication date."""
AUTHOR_META: Final = (
    "author", "article:author", "byl", "dc.creator", "sailthru.author", "parsely-author",
)
AUTHOR_PREFIX: Final = re.compile(r"^(?:by|von|par|por|di|автор|авторка)\s*:?\s+", re.I)

# --- visible dates ----------------------------------------------------------------------------

VISIBLE_DATE_SELECTOR: Final = ", ".join((
    "time", "abbr[title]", "small", "footer",
    *(f'[class*="{cue}" i]' for cue in (
        "dat",  # date, datum, data (Italian, Portuguese), dateline
        "time", "publi", "posted", "submitted", "meta", "info", "byline", "subline", "author",
        "autor", "fecha", "footer",
    )),
    '[id*="date" i]',
))
"""Elements whose text may be the byline date. Each alternative costs a walk of the tree (about
0.02 ms on a news page): the list is short on purpose."""
DAY_SELECTOR: Final = 'time, [class*="dat" i], [class*="publi" i]'
"""The few elements looked at for the day a UTC timestamp is on (``VISIBLE_DATE_SELECTOR``'s
likeliest part: this check runs on most pages)."""
MONTH_FIRST_LANGUAGES: Final = frozenset({"en", "en-us"})
"""Page languages whose ambiguous numeric dates (``4/5/2020``) put the month first."""
DATE_TRAP_TAGS: Final = frozenset({"aside", "blockquote"})
DATE_TRAP_NAMES: Final = re.compile(
    r"(?:^|[\s_-])(?:comment|most|also|teasers?(?:$|\s|[_-]list))|sidebar|related|popular|"
    r"trending|recommend|recent|latest|more-?news|breaking|ticker|carousel|slider|newsletter|"
    r"promo|advert|outbrain|taboola|repl(?:y|ies)|discussion|forum|embed|tweet|instagram"
)
"""Containers of other stories' and readers' dates: never the page's publication date."""
WRAPPER_SHARE: Final = 0.5
"""A "sidebar" or "teaser" holding more than this share of the page's text is its layout."""
DATE_HEADER_NAMES: Final = re.compile(
    r"navbar|topbar|top-bar|masthead|site-header|menu|widget"
)
"""The site's own chrome, where a "today" date lives: a date of last resort."""
DATE_TAG_SCORES: Final = {"time": 2.0, "abbr": 1.0, "small": 0.5, "footer": 0.0}
DATE_NAME_SCORES: Final = (
    (re.compile(r"publi|posted|pubdate|created|submitted|parution|erschien"), 3.0),
    (re.compile(r"date|datum|fecha|data|time|zeit"), 2.0),
    (re.compile(r"byline|subline|dateline|meta|info|author|autor|detail|credit"), 1.0),
    (re.compile(r"updated|modified|edited|aktualisiert"), -2.0),
)
"""What a candidate's class or id says, each pattern counted once."""
HEADER_PENALTY: Final = 3.0
HEADLINE_LEVELS: Final = 4
"""How many containers up from the headline the byline is looked for before the whole page."""
NEAR_HEADLINE_BONUS: Final = 1.5
BESIDE_HEADLINE_BLOCKS: Final = 8
"""How many blocks under (or above) the headline a dateline with no markup is looked for."""
DATELINE_TAGS: Final = frozenset({
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "span", "time", "small", "li", "td", "address",
})
"""Elements whose text may be a dateline with no markup beside the headline."""
UNDER_HEADLINE_SCORE: Final = 2.0
ABOVE_HEADLINE_SCORE: Final = 1.0
UPDATED_CUE: Final = re.compile(
    r"(?:updated?|aktualisiert|geändert|mis à jour|modifié|actualizado|atualizado|aggiornato|"
    r"bijgewerkt|оновлено|обновлено|zaktualizowano|last modified|last edited|edited|revised|"
    r"modified|änderung)[^\d]{0,20}$"
)
"""Words before a date that make it an update's date (matched on lower-case text)."""
PUBLISHED_CUE: Final = re.compile(
    r"(?:published|publié|publicado|pubblicato|veröffentlicht|erschienen|gepubliceerd|"
    r"opublikowano|опубліковано|опубликовано|posted|datum|date|fecha|data)[^\d]{0,20}$"
)
PUBLISHED_CUE_BONUS: Final = 1.0
UPDATED_PENALTY: Final = 6.0
"""An update's date is a candidate of last resort (a page may show nothing else)."""
TITLE_SEPARATORS: Final = re.compile(r"\s+[|–—·•:~/-]\s+|\s*[|›»]\s*")
"""Between a story's title and the site's name or section in ``<title>``/``og:title``."""
SITE_SEPARATORS: Final = re.compile(r"\s+[|–—·•:~/-]\s+|\s*[|›»]\s*|:\s+")
"""Also ``Example.de: Headline``: a colon ends a part only where that part is the site's name."""
MIN_HEADING_WORDS: Final = 3
"""An ``<h2>`` taken for a post's title when nothing else names it has at least this many words."""
SITE_NAME_CHARS: Final = 30
"""A part of ``<title>`` after its last separator shorter than this is the site's name."""
LOGO_NAMES: Final = re.compile(r"logo|brand|site-?title|site-?name|masthead|nom_site")
"""A heading whose class or id says it is the site's logo or name, not a headline."""
TITLE_CHROME_TAGS: Final = frozenset({"nav", "footer", "aside", "dialog"})
TITLE_CHROME_NAMES: Final = re.compile(
    r"modal|popup|dialog|sr-only|screen-reader|visually-hidden|footer|newsletter|signup|"
    r"subscribe|paywall|adblock|breadcrumb"
)
"""Containers of headings that are not the article's ("Create a new password", "Other
pages", "Subscribe to our Newsletters")."""

# fmt: on
