"""Dedupe's tunables as named data: tracking parameters, fingerprint geometry, thresholds.

The numbers here were chosen by measurement (``bench/README.md``, section *Dedupe*); change
them only with a new measurement.
"""

from __future__ import annotations

__all__ = [
    "BANDS",
    "BLOCKS_PER_KEY",
    "BLOCK_WIDTHS",
    "FINGERPRINT_BITS",
    "MIN_WORDS_FOR_NEAR_DUP",
    "NEAR_DUPLICATE_DISTANCE",
    "SHINGLE_WORDS",
    "TRACKING_PARAMS",
]

TRACKING_PARAMS: tuple[str, ...] = (
    # Analytics campaign tags: Google, Matomo/Piwik, Adobe, HubSpot, Mailchimp, Marketo, ...
    "utm_*",
    "mtm_*",
    "pk_*",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "__hstc",
    "__hssc",
    "__hsfp",
    "hsctatracking",
    "mc_cid",
    "mc_eid",
    "mkt_tok",
    "s_cid",
    "s_kwcid",
    "cmpid",
    "icid",
    "ocid",
    "ito",
    "wt_mc",
    "wt.mc_id",
    "oly_anon_id",
    "oly_enc_id",
    "vero_conv",
    "vero_id",
    "rb_clickid",
    "ns_campaign",
    "ns_mchannel",
    "ns_source",
    "ns_linkname",
    "ns_fee",
    # Click identifiers added by ad and social platforms.
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "yclid",
    "msclkid",
    "ttclid",
    "twclid",
    "igshid",
    "igsh",
    "li_fat_id",
    "srsltid",
    # Referrer and share markers.
    "ref",
    "ref_src",
    "ref_url",
    "referrer",
    "share",
    "smid",
    "cmp",
    "xtor",
    "at_medium",
    "at_campaign",
    "__twitter_impression",
)
"""Query parameters that never change which article a URL names. ``prefix_*`` is a wildcard;
names compare case-insensitively. ``dedupe.tracking_params`` in the config adds to these."""

FINGERPRINT_BITS = 64
"""SimHash width. Stored as a signed SQLite INTEGER (see ``to_signed``)."""

SHINGLE_WORDS = 2
"""Words per SimHash shingle. Measured: 2 tolerates edits best while keeping different
articles on one topic apart (single words do not; 3 or more make copies drift further)."""

NEAR_DUPLICATE_DISTANCE = 8
"""Default Hamming distance at or below which two fingerprints are one story. Measured: no
false match among the dev set's 4,005 pairs of different articles up to 16 bits, but among
1,000,000 stored fingerprints a random one comes within 8 bits (and shares a band key) of
about one article in 7,000; within 10, one in 500. A false merge hides an alert, a missed
copy sends one more: precision wins."""

BLOCK_WIDTHS: tuple[int, ...] = (11, 11, 11, 11, 10, 10)
"""The fingerprint cut into blocks for the band tables (low bits first)."""

BLOCKS_PER_KEY = 2
"""Blocks concatenated into one band key: one table for each choice of blocks."""

BANDS = 15
"""Band tables: C(len(BLOCK_WIDTHS), BLOCKS_PER_KEY). Any two fingerprints at most
``len(BLOCK_WIDTHS) - BLOCKS_PER_KEY`` (4) bits apart share a key in some table."""

MIN_WORDS_FOR_NEAR_DUP = 40
"""Texts with fewer words get a fingerprint but take no part in near-duplicate matching:
a handful of words cannot tell a copy from a coincidence. Exact hashes still apply."""
