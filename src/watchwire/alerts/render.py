"""Text helpers shared by the channels: one-line titles, truncation, highlighted segments.

A payload says what matched in two ways: ``matches`` (spans with offsets into a field's text)
and ``article.snippet`` (an excerpt with matched words between « and »). Both are turned into
*segments*, ``(text, highlighted)`` pairs, and each format escapes and marks them its own way
(``<mark>`` in HTML, ``*bold*`` in Slack, ``**bold**`` in Discord). Guillemets that are plain
typography (Ukrainian and Russian quote with «») are only highlighted when what they enclose is
one of the matched words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "Segment",
    "alert_title",
    "field_segments",
    "join_segments",
    "join_segments_within",
    "matched_words",
    "one_line",
    "snippet_segments",
    "truncate",
]

Segment = tuple[str, bool]
"""A piece of text and whether it is a matched word."""

_SPACE = re.compile(r"\s+")
_MARKED = re.compile(r"«([^«»]{1,200})»")


def one_line(text: str) -> str:
    """Every run of whitespace (newlines, tabs, U+2028…) as one space: safe for headers."""
    return _SPACE.sub(" ", text).strip()


def truncate(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """At most ``limit`` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return text[:limit]
    return text[: limit - len(ellipsis)].rstrip() + ellipsis


def alert_title(alert: Mapping[str, Any]) -> str:
    """The article's title on one line, else its URL, else a placeholder."""
    article = alert.get("article") or {}
    return one_line(str(article.get("title") or "")) or str(article.get("url") or "(untitled)")


def matched_words(alert: Mapping[str, Any]) -> set[str]:
    """The matched texts of an alert, casefolded."""
    return {one_line(str(m.get("text", ""))).casefold() for m in alert.get("matches") or ()}


def snippet_segments(snippet: str, words: set[str]) -> list[Segment]:
    """Split a «marked» snippet; marks around anything but a matched word stay as text."""
    out: list[Segment] = []
    pos = 0
    for m in _MARKED.finditer(snippet):
        inner = m[1]
        if words and one_line(inner).casefold() not in words:
            continue
        if m.start() > pos:
            out.append((snippet[pos : m.start()], False))
        out.append((inner, True))
        pos = m.end()
    if pos < len(snippet):
        out.append((snippet[pos:], False))
    return _merge(out)


def field_segments(alert: Mapping[str, Any], field: str, text: str) -> list[Segment]:
    """Highlight ``text`` (the alert's ``field``) at the spans the rule matched there.

    Offsets that no longer fit the text (an edited title) are ignored rather than trusted.
    """
    ranges: list[tuple[int, int]] = []
    for m in alert.get("matches") or ():
        if m.get("field") != field:
            continue
        start, end = m.get("start"), m.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            continue
        if text[start:end].casefold() == str(m.get("text", "")).casefold():
            ranges.append((start, end))
    out: list[Segment] = []
    pos = 0
    for start, end in sorted(ranges):
        if start < pos:
            continue  # overlapping spans: the first one wins
        out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    out.append((text[pos:], False))
    return _merge([s for s in out if s[0]])


def join_segments(
    segments: list[Segment], escape: Callable[[str], str], mark: Callable[[str], str]
) -> str:
    """Render segments: ``escape`` every piece, then ``mark`` the highlighted ones."""
    return "".join(mark(escape(t)) if hit else escape(t) for t, hit in segments)


def join_segments_within(
    segments: list[Segment],
    escape: Callable[[str], str],
    mark: Callable[[str], str],
    limit: int,
    *,
    ellipsis: str = "…",
) -> str:
    """Like ``join_segments`` but at most ``limit`` characters *after* escaping.

    Cuts between escaped characters, never inside an entity or a pair of marks, so that a
    truncated Slack section or Discord description is still well-formed.
    """
    full = join_segments(segments, escape, mark)
    if len(full) <= limit:
        return full
    budget = limit - len(ellipsis)
    out: list[str] = []
    used = 0
    for text, hit in segments:
        piece = mark(escape(text)) if hit else escape(text)
        if used + len(piece) <= budget:
            out.append(piece)
            used += len(piece)
            continue
        if not hit:
            for ch in text:
                esc = escape(ch)
                if used + len(esc) > budget:
                    break
                out.append(esc)
                used += len(esc)
        break
    return "".join(out).rstrip() + ellipsis


def _merge(segments: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for text, hit in segments:
        if out and out[-1][1] == hit:
            out[-1] = (out[-1][0] + text, hit)
        else:
            out.append((text, hit))
    return out
