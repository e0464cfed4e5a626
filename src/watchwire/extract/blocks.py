"""Reading a page into blocks: one walk over the DOM, no recursion.

A *block* is a run of text between block-level tags. Each knows the chain of tracked elements
above it (block elements, and inline ones that look like chrome) and the depth of the innermost
one that looks like chrome (by tag, ARIA role, or class/id vocabulary). Hidden elements and
junk (scripts, styles, forms' controls, media) are skipped with everything inside. What the
blocks are worth is decided in ``content.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from watchwire.extract import selectors as sel
from watchwire.extract.classes import is_chrome_name

if TYPE_CHECKING:
    from collections.abc import Iterator

    from selectolax.lexbor import LexborNode

__all__ = ["Block", "Page", "read_blocks"]

# What closing an element on the walk's stack must undo.
_POP_BLOCK = 1
_POP_LINK = 2
_POP_MARK = 4
_POP_CAPTION = 8

# What a tag is, as bits.
_BLOCK = 1
_LINK = 2
_CAPTION = 4
_SKIP = 8
_PLAIN = 16
_CHROME_TAG = 32
_SUMMARIZE = 64

# What an element's attributes make it.
_CHROME = 1
_HIDDEN = 2


@dataclass(slots=True)
class Block:
    """A run of text between block boundaries."""

    text: str
    tag: str
    """The innermost block element holding it."""
    link_chars: int
    chain: tuple[int, ...]
    """Ids of the enclosing block elements, outermost first; the index is the depth."""
    mark_depth: int
    """Depth of the innermost chrome-marked element in ``chain``, or -1."""
    caption: bool = False
    summary_chars: int = 0
    """For a chrome element read as a whole without a walk (``<nav>``...): its text length.
    Such a block only weighs on the choice of root; its ``text`` is empty."""

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


def _chrome_or_hidden(tag: str, attrs: dict[str, str | None], memo: dict[str, bool]) -> int:
    """``_HIDDEN``, ``_CHROME`` (by element, ARIA role, or class/id vocabulary) or 0.

    ``memo`` caches the class/id verdicts: pages repeat the same few classes hundreds of times.
    """
    if "hidden" in attrs:
        return _HIDDEN
    style = attrs.get("style")
    if style:
        style = style.lower()
        if ("none" in style or "hidden" in style) and sel.HIDDEN_STYLE.search(style):
            return _HIDDEN
    if tag in sel.BOILERPLATE_TAGS:
        return _CHROME
    role = attrs.get("role")
    if role and role.lower() in sel.BOILERPLATE_ROLES:
        return _CHROME
    for name in (attrs.get("class"), attrs.get("id")):
        if name:
            found = memo.get(name)
            if found is None:
                found = memo[name] = is_chrome_name(name)
            if found:
                return _CHROME
    return 0


@dataclass(frozen=True, slots=True)
class Page:
    """A page read into blocks, with what is known of its tracked elements (by id).

    Ids are given in document order, so an element's id is greater than its parent's.
    """

    blocks: list[Block]
    tags: list[str]
    parents: list[int]
    """The parent of each tracked element (-1 for the root)."""
    marked: list[bool]
    """Whether each element itself looks like chrome."""
    in_chrome: list[bool]
    """Whether each element is chrome or inside chrome."""
    hinted: list[int]
    """Elements the page marks as the article body (``itemprop="articleBody"``)."""


def _kind(tag: str) -> int:
    kind = 0
    if tag in sel.BLOCK_TAGS:
        kind |= _BLOCK
    if tag in sel.LINK_TAGS:
        kind |= _LINK
    if tag in sel.CAPTION_TAGS:
        kind |= _CAPTION
    if tag in sel.JUNK_TAGS or tag.startswith("-"):
        kind |= _SKIP
    if tag in sel.PLAIN_TAGS:
        kind |= _PLAIN
    if tag in sel.BOILERPLATE_TAGS:
        kind |= _CHROME_TAG
    if tag in sel.SUMMARIZED_TAGS:
        kind |= _SUMMARIZE
    return kind


_KINDS: Final = MappingProxyType(
    {
        tag: _kind(tag)
        for tag in sel.BLOCK_TAGS
        | sel.LINK_TAGS
        | sel.CAPTION_TAGS
        | sel.JUNK_TAGS
        | sel.PLAIN_TAGS
        | sel.BOILERPLATE_TAGS
        | {"span", "-comment", "-doctype"}
    }
)
"""``_kind`` of the tags we know; others (custom elements) are worked out when met."""


class _Walk:
    """Mutable state of one walk over the DOM: the open block chain and the pending text."""

    __slots__ = (
        "blocks",
        "hinted",
        "in_caption",
        "in_chrome",
        "link_parts",
        "marked",
        "marks",
        "open_ids",
        "parents",
        "parts",
        "tags",
    )

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.tags: list[str] = []
        self.parents: list[int] = []
        self.marked: list[bool] = []
        self.in_chrome: list[bool] = []
        self.hinted: list[int] = []
        self.open_ids: list[int] = []
        self.marks: list[int] = []
        self.parts: list[str] = []
        self.link_parts: list[str] = []
        self.in_caption = 0

    def flush(self) -> None:
        raw = "".join(self.parts)
        self.parts.clear()
        if "\x00" in raw:  # <br> inside the block: keep its lines
            lines = [" ".join(line.split()) for line in raw.split("\x00")]
            text = "\n".join(line for line in lines if line)
        else:
            text = " ".join(raw.split())
        if self.link_parts:
            link_chars = len(" ".join("".join(self.link_parts).split()))
            self.link_parts.clear()
        else:
            link_chars = 0
        if text:
            self.blocks.append(
                Block(
                    text=text,
                    tag=self.tags[self.open_ids[-1]],
                    link_chars=min(link_chars, len(text)),
                    chain=tuple(self.open_ids),
                    mark_depth=self.marks[-1] if self.marks else -1,
                    caption=self.in_caption > 0,
                )
            )

    def summarize(self, tag: str, chars: int) -> None:
        """Track a chrome element read as a whole, standing for its text by its length."""
        self.open(tag, marked=True)
        self.blocks.append(
            Block(
                text="",
                tag=tag,
                link_chars=0,
                chain=tuple(self.open_ids),
                mark_depth=len(self.open_ids) - 1,
                summary_chars=chars,
            )
        )
        self.open_ids.pop()
        self.marks.pop()

    def open(self, tag: str, *, marked: bool) -> None:
        if self.parts:
            self.flush()
        self.parents.append(self.open_ids[-1] if self.open_ids else -1)
        self.tags.append(tag)
        self.marked.append(marked)
        self.in_chrome.append(marked or bool(self.marks))
        self.open_ids.append(len(self.tags) - 1)
        if marked:
            self.marks.append(len(self.open_ids) - 1)

    def close(self, flags: int) -> None:
        if flags & _POP_BLOCK:
            if self.parts:
                self.flush()
            self.open_ids.pop()
        if flags & _POP_MARK:
            self.marks.pop()
        if flags & _POP_CAPTION:
            self.in_caption -= 1


def read_blocks(body: LexborNode, *, summarize: bool = True) -> Page:
    """Walk ``body`` once, depth first and without recursion, into blocks.

    With ``summarize``, chrome elements of ``SUMMARIZED_TAGS`` are not walked but weighed by
    their text length: about 40% of a typical page's nodes are in its nav, header, footer and
    asides.
    """
    walk = _Walk()
    walk.open(body.tag or "body", marked=False)
    parts, link_parts, kinds = walk.parts, walk.link_parts, _KINDS
    in_link = 0
    memo: dict[str, bool] = {}
    stack: list[tuple[Iterator[LexborNode], int]] = [(body.iter(include_text=True), _POP_BLOCK)]
    while stack:
        children, flags = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
            if flags & _POP_LINK:
                in_link -= 1
            if flags & ~_POP_LINK:
                walk.close(flags)
            continue
        tag = node.tag or "-"
        if tag == "-text":
            text = node.text_content or ""
            if text.isspace():  # between tags: a word break at most
                if parts:
                    parts.append(" ")
                continue
            parts.append(text)
            if in_link:
                link_parts.append(text)
            continue
        if tag == "br":
            parts.append("\x00")
            continue
        kind = kinds.get(tag)
        if kind is None:
            kind = _kind(tag)
        if kind & _SKIP:
            continue
        attrs = None if kind & _PLAIN else node.attributes
        if attrs:
            state = _chrome_or_hidden(tag, attrs, memo)
            if state == _HIDDEN:
                continue
            marked = state == _CHROME
        else:
            marked = bool(kind & _CHROME_TAG)
        if summarize and kind & _SUMMARIZE and marked and len(walk.open_ids) < sel.MAX_DEPTH:
            walk.summarize(tag, len(node.text(deep=True, strip=True)))
            continue
        child_flags = 0
        if kind & _BLOCK or marked:
            if len(walk.open_ids) < sel.MAX_DEPTH:
                walk.open(tag, marked=marked)
                if attrs and attrs.get("itemprop") == "articleBody":
                    walk.hinted.append(len(walk.tags) - 1)
                child_flags = _POP_BLOCK | (_POP_MARK if marked else 0)
            else:
                parts.append("\x00")
        if kind & _LINK:
            in_link += 1
            child_flags |= _POP_LINK
        if kind & _CAPTION:
            walk.in_caption += 1
            child_flags |= _POP_CAPTION
        stack.append((node.iter(include_text=True), child_flags))
    return Page(walk.blocks, walk.tags, walk.parents, walk.marked, walk.in_chrome, walk.hinted)
