"""Reading a response body: streamed, decompressed incrementally, cut at a size cap.

httpx decodes ``Content-Encoding`` in one go with no size cap (a 51 KB gzip body became a
single 50 MiB chunk), so the fetcher reads the *raw* stream and decodes it here, asking each
decompressor for at most what is still allowed. A gzip or brotli bomb is therefore cut at the cap
with memory bounded by the cap plus one chunk, and a server that sends more than it may (or lies
in ``Content-Length``) is cut the same way.

gzip and deflate are inflated by ISA-L (``isal.isal_zlib``, zlib's API): 0.12 ms for a 104 KB
news page gzipped at nginx's level, against zlib's 0.29 ms, which was a third of the fetcher's
CPU per page (``bench/README.md``, *Fetch*).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import brotli  # type: ignore[import-untyped, unused-ignore]  # no stubs (override requested)
from isal import isal_zlib

from watchwire.gzipfile import is_gzip

__all__ = [
    "ACCEPT_ENCODING",
    "Body",
    "ContentDecodeError",
    "UnsupportedEncodingError",
    "make_decoders",
    "read_body",
]

ACCEPT_ENCODING: Final = "gzip, deflate, br"

_WBITS: Final = isal_zlib.MAX_WBITS
_InflateError: type[Exception] = isal_zlib.error  # type: ignore[assignment]  # stub: an instance

_PULL: Final = 64 * 1024
"""How much an outer decoder asks of the one beneath it at a time (stacked codings only)."""


class ContentDecodeError(Exception):
    """The body is not valid for its ``Content-Encoding``."""


class UnsupportedEncodingError(Exception):
    """A ``Content-Encoding`` we did not ask for and cannot decode."""


class _Decoder(Protocol):
    def feed(self, data: bytes) -> None: ...

    def read(self, limit: int) -> bytes:
        """Up to about ``limit`` bytes of output from the input fed so far; ``b""`` when it
        needs more input."""
        ...


class _Identity:
    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> None:
        self._buf = self._buf + data if self._buf else data

    def read(self, limit: int) -> bytes:
        out, self._buf = self._buf[:limit], self._buf[limit:]
        return out


class _Zlib:
    """gzip (also multi-member) and deflate (zlib-wrapped, or raw as some servers send)."""

    __slots__ = ("_d", "_gzip", "_started", "_tail")

    def __init__(self, *, gzip: bool) -> None:
        self._gzip = gzip
        # 16 + MAX_WBITS: gzip only; 32 + MAX_WBITS would also take zlib, which helps nobody.
        self._d = isal_zlib.decompressobj(16 + _WBITS if gzip else _WBITS)
        self._tail = b""
        self._started = False

    def feed(self, data: bytes) -> None:
        self._tail = self._tail + data if self._tail else data

    def read(self, limit: int) -> bytes:
        if not self._tail:
            return b""
        try:
            out = self._d.decompress(self._tail, limit)
        except _InflateError as exc:
            if not self._gzip and not self._started:
                # "deflate" sent as a raw deflate stream (no zlib header): start again raw.
                self._d = isal_zlib.decompressobj(-_WBITS)
                self._started = True
                return self.read(limit)
            raise ContentDecodeError(f"invalid {'gzip' if self._gzip else 'deflate'} data") from exc
        self._started = True
        self._tail = self._d.unconsumed_tail
        if self._d.eof:
            rest = self._d.unused_data
            if self._gzip and is_gzip(rest):
                # Another gzip member follows (concatenated .gz files are valid gzip).
                self._d = isal_zlib.decompressobj(16 + _WBITS)
                self._tail = rest + self._tail
            else:
                self._tail = b""  # trailing garbage after the stream: ignored, like browsers
        return out


class _Brotli:
    __slots__ = ("_d", "_pending")

    def __init__(self) -> None:
        self._d = brotli.Decompressor()
        self._pending = b""

    def feed(self, data: bytes) -> None:
        self._pending = self._pending + data if self._pending else data

    def read(self, limit: int) -> bytes:
        try:
            if not self._d.can_accept_more_data():
                # It still holds output from the last call: drain it before new input.
                return bytes(self._d.process(b"", output_buffer_limit=limit))
            if not self._pending or self._d.is_finished():
                self._pending = b""
                return b""
            data, self._pending = self._pending, b""
            return bytes(self._d.process(data, output_buffer_limit=limit))
        except brotli.error as exc:
            raise ContentDecodeError("invalid brotli data") from exc


def make_decoders(codings: Sequence[str]) -> list[_Decoder]:
    """Decoders for a ``Content-Encoding`` list (codings in the order they were applied), in
    the order they must run: the last coding applied is undone first."""
    out: list[_Decoder] = []
    for raw in reversed(codings):
        coding = raw.strip().lower()
        if coding in ("", "identity"):
            continue
        if coding in ("gzip", "x-gzip"):
            out.append(_Zlib(gzip=True))
        elif coding == "deflate":
            out.append(_Zlib(gzip=False))
        elif coding == "br":
            out.append(_Brotli())
        else:
            raise UnsupportedEncodingError(f"unsupported Content-Encoding {raw.strip()!r}")
    return out or [_Identity()]


@dataclass(frozen=True, slots=True)
class Body:
    content: bytes
    """Decoded, at most the cap."""
    truncated: bool
    """More was coming (decoded or raw) than the cap allows."""
    raw_bytes: int
    """Bytes read off the wire."""


class _Chain:
    """Decoders in decoding order: raw bytes go into the first, output is pulled from the last
    (each asking the one before it for a bounded amount, so no stage can balloon)."""

    def __init__(self, decoders: list[_Decoder]) -> None:
        self._decoders = decoders

    def feed(self, data: bytes) -> None:
        self._decoders[0].feed(data)

    def read(self, limit: int, index: int = -1) -> bytes:
        if index < 0:
            index += len(self._decoders)
        decoder = self._decoders[index]
        while True:
            out = decoder.read(limit)
            if out or index == 0:
                return out
            more = self.read(_PULL, index - 1)
            if not more:
                return b""
            decoder.feed(more)


async def read_body(raw: AsyncIterator[bytes], codings: Sequence[str], cap: int) -> Body:
    """Read ``raw`` (the undecoded stream), decode it, and stop once the decoded body (or the
    raw stream) passes ``cap`` bytes.

    Raises ``ContentDecodeError``/``UnsupportedEncodingError`` for bodies that cannot be decoded;
    transport errors from ``raw`` propagate.
    """
    chain = _Chain(make_decoders(codings))
    parts: list[bytes] = []
    size = 0
    raw_bytes = 0
    try:
        async for chunk in raw:
            raw_bytes += len(chunk)
            chain.feed(chunk)
            while out := chain.read(cap - size + 1):
                parts.append(out)
                size += len(out)
                if size > cap:
                    return Body(b"".join(parts)[:cap], True, raw_bytes)
            if raw_bytes > cap:
                # Compressed input that decodes to (almost) nothing: no honest page does that.
                return Body(b"".join(parts), True, raw_bytes)
        return Body(b"".join(parts), False, raw_bytes)
    finally:
        aclose = getattr(raw, "aclose", None)
        if aclose is not None:
            await aclose()
