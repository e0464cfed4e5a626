"""Dedupe's tunables as named data: tracking parameters, fingerprint geometry, thresholds.

The numbers here were chosen by measurement (``bench/README.md``, section *Dedupe*); change
them only with a new measurement.
"""

from __future__ import annotations

__all__ = [
    "BANDS",
    "BAND_BITS",
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

SHINGLE_WORDS = 3
"""Words per SimHash shingle."""

BANDS = 4
"""Band tables for candidate lookup: ``FINGERPRINT_BITS // BANDS``-bit blocks. By pigeonhole,
two fingerprints fewer than ``BANDS`` bits apart agree exactly on at least one block."""

BAND_BITS = FINGERPRINT_BITS // BANDS

NEAR_DUPLICATE_DISTANCE = 3
"""Default Hamming distance at or below which two fingerprints are one story."""

MIN_WORDS_FOR_NEAR_DUP = 40
"""Texts with fewer words get a fingerprint but take no part in near-duplicate matching:
a handful of words cannot tell a copy from a coincidence. Exact hashes still apply."""
