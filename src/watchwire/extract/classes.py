"""Reading ``class`` and ``id`` values against the chrome vocabulary of ``selectors.py``.

This runs for every distinct class or id on a page (about two hundred), so it avoids a regex
of a hundred alternatives: whole words and first parts are set lookups, and the substrings
become one regex shaped as a trie, which tries one branch per character instead of all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from watchwire.extract import selectors as sel

__all__ = ["is_chrome_name", "literal_trie"]


def literal_trie(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, with shared prefixes factored out."""
    root: dict[str, dict] = {}  # type: ignore[type-arg]  # a trie is recursive
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    # Build bottom-up without recursion: (node, pattern) per node, children first.
    order: list[dict] = []  # type: ignore[type-arg]
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(child for char, child in node.items() if char)
    pattern: dict[int, str] = {}
    for node in reversed(order):
        alternatives = [re.escape(c) + pattern[id(child)] for c, child in sorted(node.items()) if c]
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        if not alternatives:
            body = ""
        elif "" in node:
            body = f"(?:{body})?"
        pattern[id(node)] = body
    return pattern[id(root)]


_SUBSTRINGS: Final = re.compile(literal_trie(sel.CHROME_SUBSTRINGS))
_CONTENT: Final = re.compile(literal_trie(sel.CONTENT_SUBSTRINGS))


def _names_chrome(lowered: str) -> bool:
    if _SUBSTRINGS.search(lowered) is not None:
        return True
    for token in lowered.split():
        first, _, rest = token.partition("-")
        if token.rpartition("-")[2] in sel.CHROME_WORDS or (rest and first in sel.CHROME_PREFIXES):
            return True
    return False


def is_chrome_name(name: str) -> bool:
    """Whether a ``class`` or ``id`` value names page chrome (and no embedded content)."""
    lowered = name.lower().replace("_", "-")
    if not _names_chrome(lowered):
        return False  # the common case, decided without looking at state tokens
    if any(token.startswith(sel.STATE_PREFIXES) for token in lowered.split()):
        lowered = " ".join(t for t in lowered.split() if not t.startswith(sel.STATE_PREFIXES))
        if not _names_chrome(lowered):
            return False
    return _CONTENT.search(lowered) is None
