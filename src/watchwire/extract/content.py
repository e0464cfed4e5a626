"""Main-text selection: which blocks of a page are the story.

The page is read once, depth first, into *blocks* (runs of text between block-level tags), each
knowing the chain of block elements above it and whether one of them looks like chrome (by tag,
ARIA role, or class/id vocabulary). Every block gets a value: prose is worth its characters
outside links; navigation, labels and menus cost theirs. The content root is the element whose
subtree is worth most, where prose inside chrome *below* a candidate counts against it. So a
page wrapped in ``<div class="has-sidebar">`` still works: chrome marks only apply beneath the
chosen root. The story is then the root's blocks minus chrome, link lists, captions and
"read also"/"recall" teasers, in document order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from watchwire.extract import selectors as sel
from watchwire.extract.classes import is_chrome_name
from watchwire.extract.edges import trim_edges

if TYPE_CHECKING:
    from collections.abc import Iterator

    from selectolax.lexbor import LexborNode

__all__ = ["Block", "extract_paragraphs", "read_blocks"]

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

# What an element's attributes make it.
_CHROME = 1
_HIDDEN = 2

_SHORT_TEXT = 200
"""Only blocks up to this long are compared with the phrase lists."""
_NON_WORD = re.compile(r"[\W_]+")


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

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


def _chrome_name(name: str | None, memo: dict[str, bool]) -> bool:
    """Whether a ``class`` or ``id`` value names chrome; ``memo`` caches the verdict, as pages
    repeat the same few classes hundreds of times."""
    if not name:
        return False
    found = memo.get(name)
    if found is None:
        found = is_chrome_name(name)
        memo[name] = found
    return found


def _chrome_or_hidden(tag: str, attrs: dict[str, str | None], memo: dict[str, bool]) -> int:
    """``_HIDDEN``, ``_CHROME`` (by element, ARIA role, or class/id vocabulary) or 0."""
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
    if _chrome_name(attrs.get("class"), memo) or _chrome_name(attrs.get("id"), memo):
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


def read_blocks(body: LexborNode) -> Page:
    """Walk ``body`` once, depth first and without recursion, into blocks."""
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
        child_flags = 0
        if kind & _BLOCK or marked:
            if len(walk.open_ids) < sel.MAX_DEPTH:
                walk.open(tag, marked=marked)
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
    return Page(walk.blocks, walk.tags, walk.parents, walk.marked, walk.in_chrome)


def _is_prose(block: Block) -> bool:
    return (
        len(block.text) >= sel.MIN_PARAGRAPH_CHARS
        or sel.SENTENCE_END.search(block.text) is not None
    )


def _is_linked_sentence(block: Block) -> bool:
    """A paragraph that is a whole sentence, even if linked: story, not navigation."""
    return (
        block.tag in sel.SENTENCE_TAGS
        and len(block.text) >= sel.MIN_PARAGRAPH_CHARS
        and sel.SENTENCE_END.search(block.text) is not None
    )


def _value(block: Block) -> float:
    """What a block is worth to the root that contains it."""
    length = len(block.text)
    if block.tag in sel.HEADING_TAGS or block.caption:
        return 0.0
    if block.link_density > sel.LINK_DENSITY_MAX:
        return 0.0 if _is_linked_sentence(block) else -float(length)
    if not _is_prose(block):
        return -sel.SHORT_PENALTY * length
    return float(length - block.link_chars)


def choose_root(page: Page) -> tuple[int, int]:
    """The id and depth of the element whose subtree is worth most.

    A block is worth its value to the ancestors up to the innermost chrome element holding it,
    and a penalty to those above: a root that would take in chrome pays for it. Sums are built
    bottom-up in one pass over the elements (children have greater ids than their parents).
    """
    n_elements = len(page.tags)
    own = [0.0] * n_elements
    """The value of the blocks directly in each element."""
    penalty = [0.0] * n_elements
    """What the element's whole subtree costs a root above a chrome element holding it."""
    for block in page.blocks:
        value = _value(block)
        eid = block.chain[-1]
        own[eid] += value
        penalty[eid] += -sel.MARKED_PENALTY * value if value > 0 else value
    score = own
    parents, marked = page.parents, page.marked
    for eid in range(n_elements - 1, 0, -1):
        parent = parents[eid]
        if parent >= 0:
            score[parent] += penalty[eid] if marked[eid] else score[eid]
            penalty[parent] += penalty[eid]
    tags, in_chrome = page.tags, page.in_chrome
    best, best_score = 0, float("-inf")
    for eid in range(n_elements):
        if tags[eid] in sel.LEAF_TAGS:
            continue
        worth = score[eid]
        if in_chrome[eid] and worth > 0:
            worth *= sel.INSIDE_CHROME_FACTOR
        if worth > best_score:
            best, best_score = eid, worth
    depth, parent = 0, parents[best]
    while parent >= 0:
        depth, parent = depth + 1, parents[parent]
    return best, depth


def _normal(text: str) -> str:
    """Lower case, words only: for comparing short texts with phrase lists."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def _is_teaser(block: Block, normal: str) -> bool:
    """Chrome recognised by its words: "Advertisement", "Read also: ...", "1234 views"."""
    text = block.text
    if normal in sel.BOILERPLATE_PHRASES or sel.VIEW_COUNTER.match(text):
        return True
    lower = text.lower()
    return any(lower.startswith(p) for p in sel.READ_ALSO_PREFIXES)


def select(page: Page, root: int, root_depth: int, title: str) -> list[str]:
    """The story's paragraphs: the root's blocks that are not chrome."""
    title_key = _normal(title)
    tags = page.tags
    kept: list[Block] = []
    normals: list[str] = []
    for block in page.blocks:
        chain = block.chain
        if len(chain) <= root_depth or chain[root_depth] != root:
            continue
        if block.mark_depth > root_depth or block.caption:
            continue
        if block.link_density > sel.LINK_DENSITY_MAX and not _is_linked_sentence(block):
            continue
        normal = _normal(block.text) if len(block.text) <= _SHORT_TEXT else ""
        if block.tag in sel.HEADING_TAGS and (
            block.tag in sel.TITLE_TAGS or (title_key and normal == title_key)
        ):
            continue
        if normal:
            if kept and normal in sel.TAIL_MARKERS:
                break
            if _is_teaser(block, normal):
                continue
        kept.append(block)
        normals.append(normal)
    quoted = [any(tags[eid] == "blockquote" for eid in b.chain[root_depth:]) for b in kept]
    story = trim_edges(kept, title_key, normals, quoted)
    return [line for block in story for line in block.text.split("\n") if line]


def extract_paragraphs(body: LexborNode | None, title: str = "") -> list[str]:
    """The story's paragraphs under ``body``, in document order."""
    if body is None:
        return []
    page = read_blocks(body)
    if not page.blocks:
        return []
    root, depth = choose_root(page)
    return select(page, root, depth, title)
