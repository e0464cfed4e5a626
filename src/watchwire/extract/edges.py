"""Trimming the edges of a story: chrome that lives inside the article element.

Above the first paragraph: the title repeated, datelines, bylines, labels. Below the last:
datelines, calls to action ("Follow us", "Subscribe"), labels and runs of teaser links. Only
the edges are trimmed, and only short blocks: a sentence in the middle of a story that
mentions Twitter or a time of day is story.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchwire.extract import selectors as sel

if TYPE_CHECKING:
    from watchwire.extract.blocks import Block

__all__ = ["trim_edges"]


def _is_dateline(text: str) -> bool:
    return len(text) <= sel.DATELINE_CHARS and sel.DATELINE.search(text) is not None


def _is_label(block: Block) -> bool:
    """A short line that does not read as a sentence: "SUBSCRIBE", "More Great Stories"."""
    text = block.text
    return len(text) < sel.MIN_PARAGRAPH_CHARS and sel.SENTENCE_END.search(text) is None


def _same_words(a: str, b: str) -> bool:
    return bool(a) and bool(b) and (a in b or b in a) and min(len(a), len(b)) >= 10


def _head_chrome(block: Block, title_key: str, normal: str) -> bool:
    text = block.text
    if len(text) > sel.EDGE_CHARS:
        return False
    return (
        _same_words(normal, title_key)
        or _is_dateline(text)
        or sel.BYLINE.match(text) is not None
        or sel.CALL_TO_ACTION.match(text) is not None
        or _is_label(block)
    )


def _tail_chrome(block: Block, in_quote: bool) -> bool:
    text = block.text
    if in_quote or len(text) > sel.EDGE_CHARS:  # an embedded post ends with author and date
        return False
    return _is_dateline(text) or sel.CALL_TO_ACTION.match(text) is not None or _is_label(block)


def _is_teaser(block: Block, quoted: bool) -> bool:
    """A short item with a link in it; list items may be longer (a headline and a blurb)."""
    limit = sel.EDGE_CHARS if block.tag == "li" else sel.TEASER_CHARS
    return not quoted and block.link_chars > 0 and len(block.text) <= limit


def _teaser_run(blocks: list[Block], quoted: list[bool], end: int) -> int:
    """Where a run of teasers ending at ``end`` starts (``end`` if none)."""
    start = end
    while start > 0 and _is_teaser(blocks[start - 1], quoted[start - 1]):
        start -= 1
    return start if end - start >= sel.TEASER_RUN else end


def trim_edges(
    blocks: list[Block], title_key: str, normals: list[str], quoted: list[bool]
) -> list[Block]:
    """``blocks`` without the chrome at their start and end.

    ``normals`` are the blocks' texts normalised as ``title_key`` is; ``quoted`` says which
    blocks are inside a ``<blockquote>``.
    """
    start, end = 0, len(blocks)
    while start < end and _head_chrome(blocks[start], title_key, normals[start]):
        start += 1
    while end > start:
        if _tail_chrome(blocks[end - 1], quoted[end - 1]):
            end -= 1
        elif (run := _teaser_run(blocks, quoted, end)) < end:
            end = max(run, start)
        else:
            break
    return blocks[start:end]
