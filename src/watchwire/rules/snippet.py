"""Snippets: a short excerpt of an article with the matched words marked «like this».

The excerpt is taken from the field with the most matched spans (the body wins ties, being the
most telling), as context around the first spans, cut at word boundaries and joined with ``…``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from watchwire.models import Span

__all__ = ["snippet"]

CONTEXT: Final = 60
"""Characters of context on each side of a span."""
MAX_LENGTH: Final = 300
"""Characters of the excerpt, marks and ellipses aside (at least one span is always shown)."""
_PRIORITY = {"body": 0, "lead": 1, "title": 2}


def snippet(texts: dict[str, str], spans: Sequence[Span]) -> str:
    """An excerpt around ``spans`` with each marked «…»; the text's start when there are none."""
    if not spans:
        for name in ("lead", "body", "title"):
            text = texts.get(name, "")
            if text.strip():
                return _clip(text, 0, min(len(text), 2 * CONTEXT), marks=[])
        return ""
    counts: dict[str, int] = {}
    for s in spans:
        counts[s.field] = counts.get(s.field, 0) + 1
    name = min(counts, key=lambda f: (-counts[f], _PRIORITY.get(f, 9)))
    text = texts[name]
    marks = _merge(sorted((s.start, s.end) for s in spans if s.field == name))
    # Context windows around the marks, merged, until the length budget is spent.
    pieces: list[tuple[int, int]] = []
    used = 0
    for start, end in marks:
        lo, hi = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
        if pieces and lo <= pieces[-1][1]:
            lo = pieces[-1][0]
            used -= pieces[-1][1] - pieces[-1][0]
            pieces.pop()
        if pieces and used + (hi - lo) > MAX_LENGTH:
            break
        pieces.append((lo, hi))
        used += hi - lo
    return "".join(_clip(text, lo, hi, marks) for lo, hi in pieces).replace("……", "…")


def _merge(marks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in marks:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _clip(text: str, lo: int, hi: int, marks: list[tuple[int, int]]) -> str:
    """``text[lo:hi]`` widened/narrowed to word boundaries, marked, with ellipses."""
    if lo > 0:
        space = text.rfind(" ", max(0, lo - 15), lo)
        lo = space + 1 if space >= 0 else lo
    if hi < len(text):
        space = text.find(" ", hi, hi + 15)
        hi = space if space >= 0 else hi
    out: list[str] = ["…" if lo > 0 else ""]
    at = lo
    for start, end in marks:
        if end <= lo or start >= hi:
            continue
        start, end = max(start, lo), min(end, hi)
        out += [text[at:start], "«", text[start:end], "»"]
        at = end
    out.append(text[at:hi])
    out.append("…" if hi < len(text) else "")
    return " ".join("".join(out).split())
