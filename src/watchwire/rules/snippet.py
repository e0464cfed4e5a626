"""Snippets: a short excerpt of an article with the matched words marked «like this».

The excerpt is taken from the field with the most matched spans (the body wins ties, being the
most telling), as context around the first spans, cut at word boundaries and joined with ``…``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from watchwire.models import Span

__all__ = ["snippet"]

CONTEXT: Final = 60
"""Characters of context on each side of a span."""
MAX_LENGTH: Final = 300
"""Characters of the excerpt, marks and ellipses aside (at least one span is always shown)."""
_PRIORITY: Final = {"body": 0, "lead": 1, "title": 2}


def snippet(texts: Mapping[str, str], spans: Sequence[Span]) -> str:
    """An excerpt around ``spans`` with each marked «…»; the text's start when there are none.

    ``spans`` are in article order (by field, then offset), as matches give them.
    """
    if not spans:
        for name in ("lead", "body", "title"):
            text = texts.get(name, "")
            if text.strip():
                return _piece(text, 0, min(len(text), 2 * CONTEXT), [])
        return ""
    name = spans[0].field
    if spans[-1].field != name:
        counts: dict[str, int] = {}
        for s in spans:
            counts[s.field] = counts.get(s.field, 0) + 1
        name = min(counts, key=lambda f: (-counts[f], _PRIORITY.get(f, 9)))
    text = texts[name]
    # Marks, overlaps merged (a phrase and one of its words may both have matched).
    marks: list[tuple[int, int]] = []
    for mark in sorted((s.start, s.end) for s in spans if s.field == name):
        if marks and mark[0] <= marks[-1][1]:
            marks[-1] = (marks[-1][0], max(marks[-1][1], mark[1]))
        else:
            marks.append(mark)
    # Context windows around the marks, merged, until the length budget is spent; each
    # window takes the marks it holds.
    out: list[str] = []
    lo, hi = max(0, marks[0][0] - CONTEXT), min(len(text), marks[0][1] + CONTEXT)
    held = [marks[0]]
    used = 0
    for start, end in marks[1:]:
        if start - CONTEXT <= hi:
            hi = min(len(text), end + CONTEXT)
            held.append((start, end))
            continue
        used += hi - lo
        out.append(_piece(text, lo, hi, held))
        if used + (end - start) + 2 * CONTEXT > MAX_LENGTH:
            held = []
            break
        lo, hi, held = start - CONTEXT, min(len(text), end + CONTEXT), [(start, end)]
    if held:
        out.append(_piece(text, lo, hi, held))
    return "".join(out).replace("……", "…")


def _piece(text: str, lo: int, hi: int, marks: list[tuple[int, int]]) -> str:
    """``text[lo:hi]`` moved to word boundaries, marked, with ellipses where it was cut.

    Context stops at line breaks: the excerpt keeps to the paragraphs of its marks.
    """
    if marks:
        lo = max(lo, text.rfind("\n", lo, marks[0][0]) + 1)
        stop = text.find("\n", marks[-1][1], hi)
        hi = stop if stop >= 0 else hi
    if lo > 0 and text[lo - 1] != "\n":
        space = text.rfind(" ", max(0, lo - 15), lo)
        lo = space + 1 if space >= 0 else lo
    if hi < len(text) and text[hi] != "\n":
        space = text.find(" ", hi, hi + 15)
        hi = space if space >= 0 else hi
    parts = ["…" if lo > 0 else ""]
    at = lo
    for start, end in marks:
        start, end = max(start, lo), min(end, hi)
        if start >= end:
            continue
        parts += (text[at:start], "«", text[start:end], "»")
        at = end
    parts += (text[at:hi], "…" if hi < len(text) else "")
    # Paragraph breaks become spaces (a full whitespace collapse costs more than it gives).
    return "".join(parts).replace("\n\n", " ").replace("\n", " ").strip()
