"""Turning a page's bytes (or text) into a Lexbor document, whatever its encoding.

The order follows the HTML Standard, then guesses: a byte-order mark, then a ``<meta charset>``
or ``http-equiv`` declaration within the first 1024 bytes (both honoured by Lexbor itself when
asked to detect), then UTF-8 when the bytes are valid UTF-8, and only then charset_normalizer's
detection. windows-1251 and koi8-r pages that declare nothing are common on the sites watchwire
is for. A page that declares UTF-8 but is not is detected too.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

import charset_normalizer
from selectolax.lexbor import LexborHTMLParser

from watchwire.extract.nesting import flatten_deep_nesting

__all__ = ["declared_encoding", "parse_html"]

SNIFF_BYTES: Final = 1024
"""Where the HTML Standard stops looking for a declaration."""
_DECLARATION: Final = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([a-zA-Z0-9_:.-]+)", re.I)
_BOMS: Final = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_FALLBACK: Final = "windows-1252"
"""What browsers assume of undeclared, undetectable pages."""


def declared_encoding(data: bytes) -> str | None:
    """The codec a page's BOM or ``<meta>`` names, normalised (``utf-8``, ``cp1251``), if known."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    match = _DECLARATION.search(data[:SNIFF_BYTES])
    if not match:
        return None
    try:
        return codecs.lookup(match[1].decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _detect(data: bytes) -> str:
    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode(_FALLBACK, errors="replace")


def parse_html(data: str | bytes) -> LexborHTMLParser:
    """A parsed document; never raises on odd input."""
    if isinstance(data, str):
        data = flatten_deep_nesting(data)
        try:
            return LexborHTMLParser(data)
        except UnicodeEncodeError:  # lone surrogates cannot be encoded for Lexbor
            return LexborHTMLParser(data.encode("utf-8", errors="replace"))
    data = flatten_deep_nesting(data)
    declared = declared_encoding(data)
    if data.startswith(_BOMS) or (declared is not None and declared != "utf-8"):
        return LexborHTMLParser(data, encoding=True)
    if _is_utf8(data):
        return LexborHTMLParser(data)
    return LexborHTMLParser(_detect(data))
