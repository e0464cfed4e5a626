"""gzip *files* held in memory (a ``sitemap.xml.gz``, a ``page.html.gz``): knowing one by its
magic bytes, and inflating it in bounded pieces so that a gzip bomb stops at a cap.

HTTP ``Content-Encoding: gzip`` is another matter, undone while the body streams in
(``fetch/body.py``); a gzip file is what is left when a server sends one as its content, or a
user hands one to the command line.

One contract for every caller: the whole file, or as much as a cap allows and a flag saying it
was cut; a file that is corrupt or ends inside a member raises ``GzipError`` (a file cut short
is broken, wherever it is found). Every member of a multi-member file is read (concatenated
``.gz`` files are valid gzip); bytes after the last member are ignored, as browsers do.
Inflated by ISA-L (``isal_zlib``, zlib's API at 2.5x its speed: ``bench/README.md``, *Fetch*).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from isal import isal_zlib

__all__ = ["GZIP_MAGIC", "GzipError", "gunzip_capped", "is_gzip", "iter_gunzip"]

GZIP_MAGIC: Final = b"\x1f\x8b"
CHUNK: Final = 256 * 1024
"""The largest piece ``iter_gunzip`` yields by default."""

_GZIP_WBITS: Final = 16 + isal_zlib.MAX_WBITS  # gzip only: a zlib stream is not a gzip file
_InflateError: type[Exception] = isal_zlib.error  # type: ignore[assignment]  # stub: an instance


class GzipError(ValueError):
    """The data is not a whole gzip file: corrupt, or cut short."""


def is_gzip(data: bytes) -> bool:
    """Whether ``data`` starts like a gzip file (or member)."""
    return data.startswith(GZIP_MAGIC)


def iter_gunzip(content: bytes, *, chunk: int = CHUNK) -> Iterator[bytes]:
    """The inflated file in pieces of at most ``chunk`` bytes, so that a caller may stop at a
    cap with memory bounded by it. Raises ``GzipError`` (after the pieces before the fault)
    when the data is corrupt or ends inside a member."""
    inflater = isal_zlib.decompressobj(_GZIP_WBITS)
    pending = content
    while True:
        try:
            out = inflater.decompress(pending, chunk)
        except _InflateError as exc:
            raise GzipError(str(exc)) from None
        pending = inflater.unconsumed_tail
        if out:
            yield out
        if inflater.eof:
            rest = inflater.unused_data
            if not is_gzip(rest):
                return  # the end, or trailing garbage after the last member
            inflater = isal_zlib.decompressobj(_GZIP_WBITS)
            pending = rest
        elif not pending and not out:
            raise GzipError("truncated gzip stream")


def gunzip_capped(content: bytes, cap: int) -> tuple[bytes, bool]:
    """At most ``cap`` bytes of the inflated file, and whether there was more (it was cut).

    Memory stays within ``cap`` plus one piece whatever the file inflates to. Raises
    ``GzipError`` for a corrupt file or one cut short (found only when under the cap).
    """
    parts: list[bytes] = []
    size = 0
    for part in iter_gunzip(content, chunk=min(CHUNK, cap + 1)):
        parts.append(part)
        size += len(part)
        if size > cap:
            return b"".join(parts)[:cap], True
    return b"".join(parts), False
