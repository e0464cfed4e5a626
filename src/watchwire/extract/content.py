"""Main-text selection: which blocks of a page are the story.

The page is read once into blocks (``blocks.py``). Every block gets a value: prose is worth
its characters outside links; navigation, labels and menus cost theirs. The content root is
the element whose subtree is worth most, where prose inside chrome *below* a candidate counts
against it. So a page wrapped in ``<div class="has-sidebar">`` still works: chrome marks only
apply beneath the chosen root. The story is then the root's blocks minus chrome, link lists,
captions and "read also"/"recall" teasers, in document order, with its edges trimmed
(``edges.py``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from watchwire.extract import selectors as sel
from watchwire.extract.blocks import Block, Page, read_blocks
from watchwire.extract.edges import trim_edges

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

__all__ = ["choose_root", "extract_paragraphs", "select"]

_SHORT_TEXT = 200
"""Only blocks up to this long are compared with the phrase lists."""
_NON_WORD = re.compile(r"[\W_]+")


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
    if block.summary_chars:
        return -sel.SUMMARY_PENALTY * block.summary_chars
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
    for eid in page.hinted:  # the page says where its body is: believe it, within reason
        if score[eid] > 0:
            score[eid] *= sel.BODY_HINT_FACTOR
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
        if block.mark_depth > root_depth or block.caption or block.summary_chars:
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
    story = select(page, *choose_root(page), title) if page.blocks else []
    summarized = max((b.summary_chars for b in page.blocks), default=0)
    if summarized > sel.MIN_STORY_CHARS and sum(map(len, story)) < sel.MIN_STORY_CHARS:
        # Little story outside the nav/header/footer/asides: is it inside one? Walk them too.
        page = read_blocks(body, summarize=False)
        story = select(page, *choose_root(page), title)
    return story
