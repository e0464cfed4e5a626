"""The document's windows: each word's sentence or paragraph, found the cheap ways."""

from __future__ import annotations

from bisect import bisect_right
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from watchwire.rules import document, tokenize
from watchwire.rules.document import SPACING, Document
from watchwire.rules.tokens import paragraph_breaks, sentence_breaks

from .helpers import article

# Words of three letters or more are found by searching the text; shorter ones (and text that
# needs normalising) make the document find every word's offset instead.
_LONG = st.sampled_from(["Belarus", "potash", "Санкції", "білорусі", "x1y", "sanctions"])
_WORDS = st.one_of(_LONG, _LONG, _LONG, st.sampled_from(["a", "ab", "ß", "ﬁx"]))
_GLUE = st.sampled_from([" ", " ", ", ", "-", ". ", "! ", "\n", "\n\n", "… ", ". «", "'"])
_TEXT = st.lists(st.tuples(_WORDS, _GLUE), max_size=30).map(
    lambda parts: "".join(w.capitalize() if i % 3 == 0 else w + g for i, (w, g) in enumerate(parts))
)


def _reference(text: str, kind: str, body: bool) -> list[int]:
    """Window number of each word: its offset among the window starts."""
    breaks = paragraph_breaks(text) if body else []
    if kind == "sentence":
        breaks = sorted({*breaks, *sentence_breaks(text)})
    return [bisect_right(breaks, t.start) for t in tokenize(text)]


@settings(max_examples=150, deadline=None)
@given(_TEXT, _TEXT, st.sampled_from(["sentence", "paragraph"]), st.sampled_from([0, 1, 32]))
def test_windows_of_words(body: str, title: str, kind: str, limit: int) -> None:
    """``window_index`` numbers each word's window; ``window_range`` spans exactly its words."""
    with patch.object(document, "LOCATE_LIMIT", limit):
        doc = Document(article(body, title=title))
        for f, text in ((0, title), (2, body)):
            expected = _reference(text, kind, f == 2)
            if kind == "paragraph" and f == 0:
                expected = [0] * len(expected)
            base = f * SPACING
            got = [doc.window_index(kind, base + i)[1] for i in range(len(expected))]
            assert got == expected
            for i, n in enumerate(expected):
                lo, hi = doc.window_range(kind, base + i)
                assert [k for k, m in enumerate(expected) if m == n] == list(
                    range(lo - base, hi - base)
                )
