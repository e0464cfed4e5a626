"""extract: an article page in, an ``Article`` out (title, dates, authors, clean body text).

Pure functions on selectolax's Lexbor parser: structured data first (JSON-LD, OpenGraph,
``article:*`` meta, ``<time>``), then the DOM, with the page chrome left out. The heuristics are
data, in ``selectors.py``.
"""

from __future__ import annotations

from watchwire.extract.article import article_to_json, extract_article, read_article

__all__ = ["article_to_json", "extract_article", "read_article"]
