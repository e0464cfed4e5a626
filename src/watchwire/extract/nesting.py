"""A guard against absurdly deep markup, applied before parsing.

An HTML parser checks the stack of open elements when it opens a block element, so a document
nesting blocks 100,000 deep costs quadratic time to parse (Lexbor: ~15 s). No real page nests
more than a few dozen blocks, and browsers cap the depth too. When a page has many tags at all,
a cheap regex scan counts block nesting and drops the tags that go deeper than ``MAX_NESTING``:
their text stays, joined to the innermost kept block.
"""

from __future__ import annotations

import re
from typing import Final, TypeVar

__all__ = ["MAX_NESTING", "SCAN_ABOVE_TAGS", "flatten_deep_nesting"]

T = TypeVar("T", str, bytes)

MAX_NESTING: Final = 512
"""Block nesting kept; deeper block tags are dropped (browsers stop nesting near here too)."""
SCAN_ABOVE_TAGS: Final = 10_000
"""Pages with fewer ``<`` than this cannot be deep enough to matter and are not scanned."""

# Containers the parser never closes implicitly (unlike p, li, td, ...), so an unclosed run of
# them really is that deep.
_CONTAINERS: Final = (
    "div|section|article|main|ul|ol|dl|blockquote|table|aside|nav|header|footer|form|fieldset|"
    "figure|address|details|center|menu|hgroup|search|dir"
)
_TAG_BYTES: Final = re.compile(rb"<(/?)(?:" + _CONTAINERS.encode() + rb")(?![\w-])[^>]*>", re.I)
_TAG_TEXT: Final = re.compile(r"<(/?)(?:" + _CONTAINERS + r")(?![\w-])[^>]*>", re.I)


def _too_deep(spans: list[tuple[bool, int, int]]) -> list[tuple[int, int]]:
    depth = 0
    drop: list[tuple[int, int]] = []
    for closing, start, end in spans:
        if closing:
            if depth > MAX_NESTING:
                drop.append((start, end))
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > MAX_NESTING:
                drop.append((start, end))
    return drop


def flatten_deep_nesting(data: T) -> T:
    """``data`` with block tags nested deeper than ``MAX_NESTING`` removed."""
    if isinstance(data, bytes):
        if data.count(b"<") <= SCAN_ABOVE_TAGS:
            return data
        spans = [(bool(m[1]), m.start(), m.end()) for m in _TAG_BYTES.finditer(data)]
    else:
        if data.count("<") <= SCAN_ABOVE_TAGS:
            return data
        spans = [(bool(m[1]), m.start(), m.end()) for m in _TAG_TEXT.finditer(data)]
    drop = _too_deep(spans)
    if not drop:
        return data
    pieces: list[T] = []
    position = 0
    for start, end in drop:
        pieces.append(data[position:start])
        position = end
    pieces.append(data[position:])
    return data[:0].join(pieces)
