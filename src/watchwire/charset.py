"""Turning a page's bytes into text: which charset, decided the way browsers decide.

Order (WHATWG "encoding sniffing", with detection as the last resort):

1. a byte-order mark (it wins even over the HTTP header, as in browsers);
2. the ``charset`` of the HTTP ``Content-Type`` header — except a header ``utf-8`` that the bytes
   are not valid UTF-8 for (a server default over a page saved in windows-1251 is common);
3. ``<meta charset>`` or ``<meta http-equiv="Content-Type" content="…; charset=…">`` near the top —
   except a single-byte charset (``ISO-8859-1``, ``ISO-8859-2``, …) over bytes that are valid
   UTF-8 with non-ASCII in them: a template's stale meta over a UTF-8 page (``AndrÃ©s`` for
   ``Andrés``); legacy text is practically never valid multi-byte UTF-8;
4. the XML declaration (``<?xml … encoding="…"?>``), for XHTML and feeds;
5. valid UTF-8 is UTF-8; otherwise ``charset_normalizer`` guesses (it tells windows-1251 from
   koi8-r on real text), falling back to windows-1252.

Only the encodings of the WHATWG Encoding Standard are honoured, wherever a label comes from: a
page that declares ``utf-7`` (which browsers refuse, because ``+ADw-script+AD4-`` would decode
to ``<script>``), ``utf-32``, an EBCDIC code page or a bytes-to-bytes codec such as ``base64``
has its label ignored, as if it declared none.

httpx's ``response.text`` looks only at the header, which garbles windows-1251 pages that declare
their charset in ``<meta>`` alone, so the fetcher keeps bytes and decoding happens here.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

import charset_normalizer

__all__ = ["decode_html", "normalize_charset", "sniff_charset"]

_PRESCAN: Final = 4096
"""Bytes searched for ``<meta>``/XML declarations. WHATWG says 1024; real pages put kilobytes
of scripts first, and a false hit this early in a document is rare."""
_DETECT: Final = 64 * 1024
"""Bytes handed to the detector: enough text to judge, bounded cost on big pages."""

_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META: Final = re.compile(rb"<meta\s[^>]*>", re.IGNORECASE)
_META_CHARSET: Final = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_NON_ASCII: Final = re.compile(rb"[\x80-\xff]")
_XML_DECL: Final = re.compile(
    rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""", re.IGNORECASE
)

# WHATWG label quirks that differ from Python's codec names.
_ALIASES: Final = {
    "iso-8859-1": "windows-1252",
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "l1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
    "x-user-defined": "windows-1252",
    "x-cp1251": "windows-1251",
    "win-1251": "windows-1251",
    "unicode-1-1-utf-8": "utf-8",
    "utf8": "utf-8",
}


_WHATWG: Final = frozenset(
    # Python's names for the encodings of https://encoding.spec.whatwg.org/#names-and-labels
    # (and the supersets browsers decode them with: cp932, cp949, big5hkscs).
    [
        "utf-8",
        "utf-8-sig",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "cp866",
        "iso8859-1",
        "iso8859-2",
        "iso8859-3",
        "iso8859-4",
        "iso8859-5",
        "iso8859-6",
        "iso8859-7",
        "iso8859-8",
        "iso8859-9",
        "iso8859-10",
        "iso8859-11",
        "iso8859-13",
        "iso8859-14",
        "iso8859-15",
        "iso8859-16",
        "koi8-r",
        "koi8-u",
        "mac-roman",
        "mac-cyrillic",
        "tis-620",
        "cp874",
        "cp1250",
        "cp1251",
        "cp1252",
        "cp1253",
        "cp1254",
        "cp1255",
        "cp1256",
        "cp1257",
        "cp1258",
        "gbk",
        "gb2312",
        "gb18030",
        "big5",
        "big5hkscs",
        "euc_jp",
        "iso2022_jp",
        "shift_jis",
        "cp932",
        "euc_kr",
        "cp949",
    ]
)


def normalize_charset(label: str | None) -> str | None:
    """A charset label as Python can decode it (``CP1251`` → ``windows-1251``), or None if
    unknown or not an encoding of the WHATWG standard (``utf-7``, ``utf-32``, ``base64``)."""
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    name = _ALIASES.get(key, key)
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    return name if info.name in _WHATWG else None


def _is_utf8(name: str) -> bool:
    return codecs.lookup(name).name == "utf-8"


def _single_byte(name: str) -> bool:
    """A charset with one byte per character (``iso8859-2``, ``cp1251``), by Python's name."""
    return codecs.lookup(name).name.startswith(("iso8859", "cp12", "cp8", "koi8", "latin", "mac"))


def _valid_utf8(content: bytes) -> bool:
    """Valid UTF-8, allowing a sequence cut short at the end (bodies cut at the size cap)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(content, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _declared_in_document(head: bytes) -> str | None:
    for tag in _META.finditer(head):
        m = _META_CHARSET.search(tag.group())
        if m and (name := normalize_charset(m.group(1).decode("ascii"))):
            # A page that calls itself UTF-16 in ASCII-compatible bytes is not UTF-16 (WHATWG).
            return "utf-8" if name.startswith("utf-16") else name
    m = _XML_DECL.match(head)
    if m:
        return normalize_charset(m.group(1).decode("ascii"))
    return None


def sniff_charset(content: bytes, *, charset: str | None = None) -> str:
    """The Python codec name to decode ``content`` with; ``charset`` is the HTTP header's."""
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name
    utf8: bool | None = None

    def valid_utf8() -> bool:
        nonlocal utf8
        if utf8 is None:
            utf8 = _valid_utf8(content)
        return utf8

    header = normalize_charset(charset)
    if header and not (_is_utf8(header) and not valid_utf8()):
        return header
    declared = _declared_in_document(content[:_PRESCAN])
    if declared and _is_utf8(declared):
        if valid_utf8():
            return declared
    elif declared and not (_single_byte(declared) and _NON_ASCII.search(content) and valid_utf8()):
        return declared
    if valid_utf8():
        return "utf-8"
    best = charset_normalizer.from_bytes(content[:_DETECT]).best()
    if best is not None and (guess := normalize_charset(best.encoding)):
        return guess
    return "windows-1252"


def decode_html(content: bytes, *, charset: str | None = None) -> str:
    """Decode an HTML/XML document's bytes to text (see the module docstring for the order).

    Never fails: bytes the chosen charset cannot map become U+FFFD. A BOM is dropped.
    """
    name = sniff_charset(content, charset=charset)
    if name == "utf-8" and content.startswith(codecs.BOM_UTF8):
        name = "utf-8-sig"
    return content.decode(name, errors="replace")
