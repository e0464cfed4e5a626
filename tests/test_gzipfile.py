"""gzip files in memory: one magic check, one capped inflater, one error for broken files."""

from __future__ import annotations

import gzip

import pytest

from watchwire.gzipfile import GzipError, gunzip_capped, is_gzip, iter_gunzip

XML = b'<?xml version="1.0"?><urlset>' + b"".join(
    b"<url><loc>https://a.example/%d</loc></url>" % i for i in range(2000)
)


def test_is_gzip_looks_at_the_magic_bytes() -> None:
    assert is_gzip(gzip.compress(b""))
    assert not is_gzip(XML)
    assert not is_gzip(b"\x1f")
    assert not is_gzip(b"")


def test_gunzip_capped_returns_a_whole_file_uncut() -> None:
    assert gunzip_capped(gzip.compress(XML), 10**6) == (XML, False)
    assert gunzip_capped(gzip.compress(XML), len(XML)) == (XML, False)


def test_gunzip_capped_stops_a_bomb_at_the_cap() -> None:
    content, cut = gunzip_capped(gzip.compress(bytes(10**7)), 1000)
    assert cut
    assert content == bytes(1000)


def test_every_member_is_read_and_trailing_garbage_dropped() -> None:
    """Concatenated .gz files are one valid gzip file; junk after the last member is not."""
    data = gzip.compress(b"one ") + gzip.compress(b"two") + b"\0\0junk"
    assert gunzip_capped(data, 100) == (b"one two", False)


@pytest.mark.parametrize(
    "data",
    [
        gzip.compress(XML)[:-30],  # cut short inside the stream
        gzip.compress(XML)[:5],  # cut short inside the header
        b"\x1f\x8b",
        b"\x1f\x8b" + bytes(100),  # corrupt header
        b"\x1f\x8bnot really gzip at all",
    ],
)
def test_a_broken_file_raises_gzip_error(data: bytes) -> None:
    with pytest.raises(GzipError):
        gunzip_capped(data, 10**6)


def test_iter_gunzip_yields_bounded_pieces_before_the_fault() -> None:
    """A reader (the sitemap parser) keeps what came before a cut, then hears of it."""
    packed = gzip.compress(XML)
    pieces = iter_gunzip(packed[: len(packed) // 2], chunk=1000)
    read = [next(pieces) for _ in range(5)]
    assert all(len(p) == 1000 for p in read)
    with pytest.raises(GzipError, match="truncated"):
        read.extend(pieces)
    assert len(read) > 5
    assert XML.startswith(b"".join(read))


def test_a_cut_past_the_cap_is_a_cut_not_an_error() -> None:
    """What lies beyond the cap is never read, broken or not."""
    packed = gzip.compress(XML)
    content, cut = gunzip_capped(packed[: len(packed) // 2], 100)
    assert cut
    assert content == XML[:100]
