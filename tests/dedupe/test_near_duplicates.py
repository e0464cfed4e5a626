"""Fingerprints: exact copies, syndicated near-copies, same-topic different stories, bands."""

from __future__ import annotations

import random
import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from watchwire.dedupe import (
    BANDS,
    MIN_WORDS_FOR_NEAR_DUP,
    NEAR_DUPLICATE_DISTANCE,
    band_keys,
    content_hash,
    fingerprint,
    from_signed,
    hamming,
    is_near_duplicate,
    normalize_text,
    simhash,
    to_signed,
)
from watchwire.dedupe.simhash import BAND_LAYOUT

# Two stories on one topic, written for this test: the same people, places and vocabulary,
# different events on different days. They must stay two stories.
BELARUS_MONDAY = """\
The United States is ready to ease sanctions on Belarusian potash exports and on two state \
banks if Minsk releases more political prisoners, a senior State Department official said on \
Monday after talks with Alexander Lukashenko in Minsk.
The official, who spoke on condition of anonymity, said the meeting lasted three hours and \
covered the fate of more than one thousand people the human rights centre Viasna counts as \
political prisoners. Washington wants "many" of them freed before any sanctions relief.
Belarusian potash was a major source of hard currency before the European Union and the \
United States imposed sanctions after the disputed 2020 election. Belavia, the national \
airline, is also seeking relief from sanctions on aircraft parts.
Lukashenko's press service said the talks were "frank and constructive" and that Belarus was \
open to dialogue with Washington without preconditions. Opposition leader Sviatlana \
Tsikhanouskaya warned that sanctions should not be lifted while repression continues.
"""

BELARUS_THURSDAY = """\
The European Union on Thursday added twenty Belarusian officials and six companies to its \
sanctions list, accusing them of helping Russia evade restrictions on military supplies, \
three days after Washington signalled it could ease its own measures against Minsk.
The new package freezes assets of judges and prison governors involved in the prosecution of \
protesters and bans exports of machine tools and electronics that could reach Russian arms \
makers through Belarus. EU foreign ministers approved it without debate in Brussels.
Lithuania and Poland pushed for tougher steps, including a full ban on Belarusian potash \
transit and on trucks with Belarusian plates. Hungary objected to the trucking ban, which was \
dropped from the final text.
Alexander Lukashenko called the decision "economic warfare" and said Belarus would respond. \
Sviatlana Tsikhanouskaya welcomed the sanctions and urged the EU to keep pressure on the \
regime until all political prisoners are released.
"""


def syndicated_copy(text: str) -> str:
    """What a partner site publishes: its own headline, a byline, a "Read also" teaser."""
    return (
        "US offers Minsk sanctions relief in exchange for prisoners\n"
        "By Olena Kovalenko, Kyiv\n\n"
        + text.replace("\n", "\n\n")
        + "\nRead also: Zelensky meets European leaders in Paris to discuss security guarantees."
    )


def test_exact_copy_has_the_same_hash_and_fingerprint() -> None:
    """The same body under another URL is a copy."""
    copy = BELARUS_MONDAY
    assert content_hash(copy) == content_hash(BELARUS_MONDAY)
    assert simhash(copy) == simhash(BELARUS_MONDAY)


def test_reformatting_keeps_the_hash() -> None:
    """Re-wrapping, case, curly quotes and dashes do not change the content hash."""
    reformatted = (
        BELARUS_MONDAY.upper().replace('"', "\u201c").replace("\n", "\n\n  ").replace(" ", "  ")
    )
    assert content_hash(reformatted) == content_hash(BELARUS_MONDAY)


def test_a_changed_word_changes_the_hash() -> None:
    """An edit is a new version, not the same text."""
    assert content_hash(BELARUS_MONDAY.replace("three hours", "four hours")) != content_hash(
        BELARUS_MONDAY
    )


def test_content_hash_is_hex_xxh3_128() -> None:
    """32 lower-case hex digits."""
    digest = content_hash("anything")
    assert len(digest) == 32
    assert int(digest, 16) >= 0


def test_normalize_text_keeps_words_only() -> None:
    """Casefold, NFKC, punctuation out, one space between words; Cyrillic stays."""
    assert normalize_text("«Білорусь» — SANCTIONS,\n\tﬁne-tuned: Straße") == (
        "білорусь sanctions fine tuned strasse"
    )


def test_syndicated_copy_is_a_near_duplicate() -> None:
    """Another headline, an added byline and a trailing "Read also" paragraph: one story."""
    a, b = simhash(BELARUS_MONDAY), simhash(syndicated_copy(BELARUS_MONDAY))
    assert content_hash(BELARUS_MONDAY) != content_hash(syndicated_copy(BELARUS_MONDAY))
    assert is_near_duplicate(a, b), hamming(a, b)
    assert set(enumerate(band_keys(a))) & set(enumerate(band_keys(b)))


def test_two_stories_on_one_topic_are_not_near_duplicates() -> None:
    """Belarus sanctions on Monday and on Thursday: same words, different stories."""
    a, b = simhash(BELARUS_MONDAY), simhash(BELARUS_THURSDAY)
    assert hamming(a, b) > 2 * NEAR_DUPLICATE_DISTANCE
    assert not is_near_duplicate(simhash(syndicated_copy(BELARUS_MONDAY)), b)


def test_the_test_stories_are_long_enough_for_near_duplicate_matching() -> None:
    """Both hand-written stories are over ``MIN_WORDS_FOR_NEAR_DUP`` words."""
    assert fingerprint(BELARUS_MONDAY).near_dup_eligible
    assert fingerprint(BELARUS_THURSDAY).near_dup_eligible


def test_short_texts_get_a_fingerprint_but_are_not_eligible() -> None:
    """A caption still has a SimHash, but too few words to match near-copies on."""
    short = "Lukashenko meets US envoy in Minsk"
    fp = fingerprint(short)
    assert 0 <= fp.simhash < 2**64
    assert fp.word_count == 6 < MIN_WORDS_FOR_NEAR_DUP
    assert not fp.near_dup_eligible


def test_empty_text() -> None:
    """No words: fingerprint zero, still hashable."""
    fp = fingerprint(" \n ")
    assert (fp.simhash, fp.word_count) == (0, 0)
    assert fp.content_hash == content_hash("")


def test_simhash_is_deterministic_across_calls() -> None:
    """Stable hashes (xxh3), not Python's salted ``hash``: stored fingerprints stay valid.

    A change here invalidates every stored fingerprint: it needs a store migration."""
    assert simhash("one two three four") == 0x7C11EE274ACABBAF


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_signed_round_trip(x: int) -> None:
    """``to_signed`` fits SQLite INTEGER and ``from_signed`` undoes it."""
    s = to_signed(x)
    assert -(2**63) <= s < 2**63
    assert from_signed(s) == x
    assert hamming(s, x) == 0


@given(st.text(max_size=300))
def test_simhash_is_unsigned_64_bit(text: str) -> None:
    """Any text gives 0 <= fingerprint < 2**64."""
    assert 0 <= simhash(text) < 2**64


def test_band_keys_shape() -> None:
    """``BANDS`` keys, each small enough for an SQLite INTEGER index."""
    keys = band_keys(2**64 - 1)
    assert len(keys) == BANDS == len(BAND_LAYOUT.tables)
    assert all(0 <= k < 2**32 for k in keys)


@given(
    st.integers(min_value=0, max_value=2**64 - 1),
    st.sets(st.integers(min_value=0, max_value=63), max_size=BAND_LAYOUT.guaranteed_distance),
)
def test_pigeonhole_close_fingerprints_share_a_band(fp: int, bits: set[int]) -> None:
    """Flip up to the layout's guaranteed distance of bits: some band key is unchanged."""
    other = fp
    for bit in bits:
        other ^= 1 << bit
    assert any(x == y for x, y in zip(band_keys(fp), band_keys(other), strict=True))


def test_beyond_the_guarantee_close_pairs_often_share_a_band() -> None:
    """Past the guarantee the lookup is probabilistic: with the threshold's number of random
    flipped bits, about 38% of pairs still share a band (bench/README.md, Dedupe). Real
    near-copies do better, their flips are not all at the threshold."""
    rng = random.Random(9)
    found = 0
    for _ in range(2000):
        fp = rng.getrandbits(64)
        other = fp
        for bit in rng.sample(range(64), NEAR_DUPLICATE_DISTANCE):
            other ^= 1 << bit
        found += any(x == y for x, y in zip(band_keys(fp), band_keys(other), strict=True))
    assert found / 2000 > 0.33


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_normalize_text_is_casefold_nfkc_word_runs(text: str) -> None:
    """The fast tokeniser agrees with its definition, ``re.findall(r"\\w+")`` after casefold
    and NFKC, for any text (mostly ASCII or not)."""
    reference = re.findall(r"\w+", unicodedata.normalize("NFKC", text.casefold()))
    assert normalize_text(text) == " ".join(reference)
