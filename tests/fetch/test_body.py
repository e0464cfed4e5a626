"""Streaming decode with a cap: pure, no network."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator, Iterable

import brotli  # type: ignore[import-untyped, unused-ignore]
import pytest

from watchwire.fetch.body import (
    ContentDecodeError,
    UnsupportedEncodingError,
    read_body,
)

TEXT = b"<p>" + b"news " * 2000 + b"</p>"


async def stream(data: bytes, chunk: int = 1000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), chunk):
        yield data[i : i + chunk]


def chunks(parts: Iterable[bytes]) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    return gen()


@pytest.mark.parametrize(
    ("codings", "data"),
    [
        ([], TEXT),
        (["identity"], TEXT),
        (["gzip"], gzip.compress(TEXT)),
        (["x-gzip"], gzip.compress(TEXT)),
        (["deflate"], zlib.compress(TEXT)),
        (["br"], brotli.compress(TEXT)),
        (["gzip", "br"], brotli.compress(gzip.compress(TEXT))),
    ],
    ids=["none", "identity", "gzip", "x-gzip", "deflate", "br", "gzip+br"],
)
async def test_codings_decode(codings: list[str], data: bytes) -> None:
    """Each supported coding, and a stack of two, decodes back to the original."""
    body = await read_body(stream(data), codings, cap=10**6)
    assert body.content == TEXT
    assert not body.truncated
    assert body.raw_bytes == len(data)


async def test_raw_deflate_without_zlib_header_decodes() -> None:
    """Some servers send "deflate" as a raw deflate stream; it is accepted."""
    c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = c.compress(TEXT) + c.flush()
    assert (await read_body(stream(raw), ["deflate"], cap=10**6)).content == TEXT


async def test_concatenated_gzip_members_decode() -> None:
    """A multi-member gzip stream decodes whole."""
    data = gzip.compress(b"first ") + gzip.compress(b"second")
    assert (await read_body(stream(data, 7), ["gzip"], cap=100)).content == b"first second"


async def test_identity_body_cut_at_cap() -> None:
    """An uncompressed body stops at the cap."""
    body = await read_body(stream(TEXT), [], cap=500)
    assert body.truncated
    assert body.content == TEXT[:500]
    assert body.raw_bytes < 2000  # stopped reading soon after the cap


@pytest.mark.parametrize("coding", ["gzip", "br", "deflate"])
async def test_bomb_cut_at_cap_without_decoding_it_all(coding: str) -> None:
    """10 MB of zeros compressed: decoded only as far as the cap."""
    zeros = bytes(10 * 2**20)
    data = {
        "gzip": gzip.compress,
        "br": lambda data: brotli.compress(data, quality=1),
        "deflate": zlib.compress,
    }[coding](zeros)
    body = await read_body(stream(data, 65536), [coding], cap=100_000)
    assert body.truncated
    assert body.content == bytes(100_000)


async def test_unknown_coding_is_refused() -> None:
    with pytest.raises(UnsupportedEncodingError):
        await read_body(stream(b"x"), ["zstd"], cap=10)


async def test_corrupt_gzip_is_a_decode_error() -> None:
    with pytest.raises(ContentDecodeError):
        await read_body(stream(b"\x1f\x8bnot really gzip at all"), ["gzip"], cap=100)


async def test_trailing_garbage_after_gzip_is_ignored() -> None:
    """Bytes after the end of a gzip stream (not another member) are dropped, as browsers do."""
    body = await read_body(chunks([gzip.compress(b"page"), b"\0\0junk"]), ["gzip"], cap=100)
    assert body.content == b"page"
