"""A cheap test of "this feed body is the one we parsed last time".

Many news sites ignore conditional GET and regenerate the feed on every request, often changing
nothing but ``<lastBuildDate>`` or a "served from cache at 10:02:17" comment after the root
element. The fingerprint hashes the body (xxh3-128) with those volatile bits of the channel header
and the trailer left out, so such a body is not parsed again. Item-level dates are kept: an item
whose date changed was updated. Any other document (sitemap, HTML) is hashed whole.
"""

from __future__ import annotations

import re

import xxhash

__all__ = ["feed_fingerprint"]

# Where the channel header ends and the entries begin.
_FIRST_ENTRY = re.compile(rb"<(?:item|entry)[\s>]|\"items\"\s*:")
# Header parts that change on every build without any entry changing.
_VOLATILE = re.compile(
    rb"<lastBuildDate>[^<]*</lastBuildDate>"
    rb"|<(?:\w+:)?(?:updated|pubDate|date|modified)>[^<]*</(?:\w+:)?(?:updated|pubDate|date|modified)>"
    rb"|<!--.*?-->",
    re.DOTALL,
)
_HEADER_SCAN = 16384
_ROOT_ENDS = (b"</rss>", b"</feed>", b"</rdf:RDF>")


def feed_fingerprint(content: bytes) -> str:
    """A 32-hex-digit hash of ``content``, blind to the feed header's build time and comments."""
    entries = _FIRST_ENTRY.search(content, 0, _HEADER_SCAN)
    split = entries.start() if entries else 0
    hasher = xxhash.xxh3_128(_VOLATILE.sub(b"", content[:split]))
    end = max(content.rfind(close, split) + len(close) for close in _ROOT_ENDS)
    hasher.update(content[split:end] if entries and end > split + 6 else content[split:])
    return hasher.hexdigest()
