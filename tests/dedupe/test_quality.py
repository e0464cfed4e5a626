"""Precision and recall of near-duplicate detection on pairs built from the dev-set texts.

The floors sit a little under the figures measured at the default threshold
(bench/README.md, section Dedupe), so a change to shingles, threshold or bands that makes
detection worse fails here.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from watchwire.dedupe import (
    MIN_WORDS_FOR_NEAR_DUP,
    NEAR_DUPLICATE_DISTANCE,
    TextFingerprint,
    band_keys,
    fingerprint,
    hamming,
)

from .pairs import Pair, load_articles, negative_pairs, positive_pairs


def _same_story(a: TextFingerprint, b: TextFingerprint, *, via_index: bool) -> bool:
    """What the store decides: same text, or SimHash within the threshold (and, as the store
    looks it up, sharing a band key)."""
    if a.content_hash == b.content_hash:
        return True
    if hamming(a.simhash, b.simhash) > NEAR_DUPLICATE_DISTANCE:
        return False
    return not via_index or any(
        x == y for x, y in zip(band_keys(a.simhash), band_keys(b.simhash), strict=True)
    )


@pytest.fixture(scope="module")
def pairs() -> tuple[list[Pair], list[Pair]]:
    articles = load_articles()
    return (
        list(positive_pairs(articles, MIN_WORDS_FOR_NEAR_DUP)),
        list(negative_pairs(articles, MIN_WORDS_FOR_NEAR_DUP)),
    )


@pytest.fixture(scope="module")
def fingerprints(pairs: tuple[list[Pair], list[Pair]]) -> dict[str, TextFingerprint]:
    texts = {t for group in pairs for p in group for t in (p.a, p.b)}
    return {t: fingerprint(t) for t in texts}


def test_the_pair_set_is_what_the_readme_describes(
    pairs: tuple[list[Pair], list[Pair]],
) -> None:
    """Six perturbations of 90 articles; every pair of different articles."""
    positives, negatives = pairs
    assert len(positives) == 6 * 90
    assert len(negatives) == 90 * 89 // 2


def test_no_different_articles_are_merged(
    pairs: tuple[list[Pair], list[Pair]], fingerprints: dict[str, TextFingerprint]
) -> None:
    """Precision 1.0: none of the 4,005 pairs of different articles is one story, and none
    comes within twice the threshold (some are on one topic)."""
    _, negatives = pairs
    closest = min(hamming(fingerprints[p.a].simhash, fingerprints[p.b].simhash) for p in negatives)
    assert closest > 2 * NEAR_DUPLICATE_DISTANCE
    assert not any(
        _same_story(fingerprints[p.a], fingerprints[p.b], via_index=True) for p in negatives
    )


def test_recall_of_perturbed_copies(
    pairs: tuple[list[Pair], list[Pair]], fingerprints: dict[str, TextFingerprint]
) -> None:
    """Recall over all perturbations: fingerprint alone, and as the store finds them."""
    positives, _ = pairs
    direct = [_same_story(fingerprints[p.a], fingerprints[p.b], via_index=False) for p in positives]
    indexed = [_same_story(fingerprints[p.a], fingerprints[p.b], via_index=True) for p in positives]
    assert sum(direct) / len(direct) >= 0.86
    assert sum(indexed) / len(indexed) >= 0.77


def test_recall_per_perturbation(
    pairs: tuple[list[Pair], list[Pair]], fingerprints: dict[str, TextFingerprint]
) -> None:
    """The store finds most copies of each kind; re-wrapped ones by the exact hash."""
    positives, _ = pairs
    found: dict[str, list[bool]] = defaultdict(list)
    for p in positives:
        found[p.kind].append(_same_story(fingerprints[p.a], fingerprints[p.b], via_index=True))
    recall = {kind: sum(v) / len(v) for kind, v in found.items()}
    assert recall["re-wrapped"] == 1.0
    assert min(recall.values()) >= 0.4, recall
