"""Discovery: from a source document (feed, sitemap, listing or home page) to candidate article
URLs. Pure functions, bytes in and :mod:`watchwire.models` values out.

Modules: ``detect`` (what a document is), ``feeds`` (fast RSS/Atom), ``fallback`` (feedparser),
``jsonfeed``, ``sitemaps``, ``listing`` (HTML links and feed autodiscovery), ``dates``,
``fingerprint`` (unchanged-body check), ``core`` (``discover`` itself).
"""

from __future__ import annotations

from watchwire.discover.core import discover
from watchwire.discover.detect import describe_document, detect_kind
from watchwire.discover.fingerprint import feed_fingerprint
from watchwire.discover.listing import is_article_url
from watchwire.discover.sitemaps import MAX_SITEMAP_BYTES

__all__ = [
    "MAX_SITEMAP_BYTES",
    "describe_document",
    "detect_kind",
    "discover",
    "feed_fingerprint",
    "is_article_url",
]
