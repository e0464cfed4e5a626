"""What a document may be to be parsed on the event loop: the cheap check before any parser.

The service parses feeds, sitemaps, listings and article pages from sites it does not control.
A parser's cost is not the document's size: 4.8 MB of unclosed elements cost feedparser 24 s
and 1.3 GB; 4.7 MB of unclosed ``<b>`` cost the extractor 5 s and 0.9 GB. Such a document must
never reach a parser on the loop, and a hostile one must meet a hard bound wherever it is
parsed. So a document is parsed here only when it is small in the two measures that bound
every parser we run (bytes, and tags — each ``<`` is at most one element), counted at C speed
without building anything; anything else goes to a sandbox process with a time and memory bound
(``watchwire.sandbox``).

Measured on the worst shapes we know (deep nesting just under the extractor's flattening
threshold, unclosed formatting elements, anchors by the thousand; ``bench/README.md``), a
document within these limits costs the extractor or a listing under 0.1 s and a few tens of MB;
ElementTree on a feed or sitemap a fraction of that. 99 % of real article pages in the team's
data sets are within them (the largest real page seen: 1.5 MB and 12,000 tags).
"""

from __future__ import annotations

from typing import Final

__all__ = ["INLINE_MAX_BYTES", "INLINE_MAX_TAGS", "NeedsSandbox", "fits_inline"]

INLINE_MAX_BYTES: Final = 1 << 20
"""Largest document parsed on the event loop (1 MiB)."""
INLINE_MAX_TAGS: Final = 8_000
"""Most ``<`` a document parsed on the event loop may hold: an HTML parser's cost grows with
the square of the nesting depth, and every tag may nest."""


class NeedsSandbox(Exception):
    """This document may cost more than a parse on the event loop may: parse it in a sandbox."""


def fits_inline(content: bytes | str | None) -> bool:
    """Whether ``content`` is small enough, in bytes and in tags, to parse on the event loop."""
    if content is None:
        return True
    if len(content) > INLINE_MAX_BYTES:
        return False
    tags = content.count(b"<") if isinstance(content, bytes) else content.count("<")
    return tags <= INLINE_MAX_TAGS
