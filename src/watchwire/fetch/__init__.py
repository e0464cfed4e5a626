"""Fetching pages and feeds, politely and robustly: the one room that imports httpx for crawling.

``Fetcher`` turns a URL into a ``FetchResult`` (never an exception); ``decode_html`` turns the
bytes of a page into text by header, BOM, ``<meta>``, XML declaration, then detection.
"""

from watchwire.charset import decode_html, normalize_charset, sniff_charset
from watchwire.fetch.client import Fetcher
from watchwire.fetch.media import Purpose
from watchwire.fetch.transport import keepalive_for

__all__ = [
    "Fetcher",
    "Purpose",
    "decode_html",
    "keepalive_for",
    "normalize_charset",
    "sniff_charset",
]
