"""Turning a page's bytes (or text) into a Lexbor document, whatever its encoding.

Bytes are decoded by ``watchwire.charset``, the same sniffing the pipeline applies to fetched
pages (BOM, declaration, valid UTF-8, then detection), so a library caller who hands
``extract_article`` raw bytes gets the same article as the service does.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from watchwire.charset import decode_html
from watchwire.extract.nesting import flatten_deep_nesting

__all__ = ["parse_html"]


def parse_html(data: str | bytes) -> LexborHTMLParser:
    """A parsed document; never raises on odd input."""
    text = flatten_deep_nesting(decode_html(data) if isinstance(data, bytes) else data)
    try:
        return LexborHTMLParser(text)
    except UnicodeEncodeError:  # lone surrogates cannot be encoded for Lexbor
        return LexborHTMLParser(text.encode("utf-8", errors="replace"))
