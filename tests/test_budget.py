"""The budget of a parse on the event loop: bytes and tags, counted without parsing."""

from __future__ import annotations

from watchwire.budget import INLINE_MAX_BYTES, INLINE_MAX_TAGS, fits_inline


def test_no_document_fits() -> None:
    assert fits_inline(None)
    assert fits_inline(b"")


def test_a_real_sized_page_fits() -> None:
    page = b"<html><body>" + b"<p>Some text of the article, a sentence long.</p>" * 2000
    assert len(page) < INLINE_MAX_BYTES
    assert fits_inline(page) and fits_inline(page.decode())


def test_too_many_bytes_do_not_fit() -> None:
    assert fits_inline(b"x" * INLINE_MAX_BYTES)
    assert not fits_inline(b"x" * (INLINE_MAX_BYTES + 1))


def test_too_many_tags_do_not_fit_however_small() -> None:
    """A few kilobytes of unclosed tags cost an HTML parser more than a megabyte of text."""
    assert fits_inline(b"<b>" * INLINE_MAX_TAGS)
    assert not fits_inline(b"<b>" * (INLINE_MAX_TAGS + 1))
    assert not fits_inline("<b>" * (INLINE_MAX_TAGS + 1))
