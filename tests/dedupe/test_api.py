"""The dedupe package's public surface."""

from __future__ import annotations

import watchwire.dedupe as dedupe


def test_all_is_sorted() -> None:
    """``__all__`` is sorted, so additions land in one obvious place."""
    assert dedupe.__all__ == sorted(dedupe.__all__)


def test_all_names_exist() -> None:
    """Every exported name resolves."""
    for name in dedupe.__all__:
        assert hasattr(dedupe, name), name


def test_fingerprint_agrees_with_the_single_functions() -> None:
    """``fingerprint`` normalises once but gives what the separate functions give."""
    text = "The same story, syndicated.\n\nSecond paragraph — with “quotes”."
    fp = dedupe.fingerprint(text)
    assert fp.content_hash == dedupe.content_hash(text)
    assert fp.simhash == dedupe.simhash(text)
    assert fp.word_count == len(dedupe.normalize_text(text).split())
    assert fp.band_keys == dedupe.band_keys(fp.simhash)
    assert not fp.near_dup_eligible
