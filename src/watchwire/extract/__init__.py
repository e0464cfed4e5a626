"""extract: an article page in, an ``Article`` out (title, dates, authors, clean body text).

Pure functions on selectolax's Lexbor parser: structured data first (JSON-LD, OpenGraph,
``article:*`` meta, ``<time>``), then the DOM, with the page chrome left out. The title is the
headline a reader sees (``titles.py``); the publication date is the one the page gives for the
article, on the page's own day (``published.py``, ``bylines.py``, ``zones.py``), and
``read_article`` says where it came from. The heuristics are data, in ``selectors.py``.
"""

from __future__ import annotations

from watchwire.extract.article import Extracted, article_to_json, extract_article, read_article
from watchwire.extract.published import DateSource, Published

__all__ = [
    "DateSource",
    "Extracted",
    "Published",
    "article_to_json",
    "extract_article",
    "read_article",
]
