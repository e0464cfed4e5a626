"""The visible byline date: the date a reader sees by the headline.

Candidates are elements whose class or id says date, time, byline, meta, info, ...; ``<time>``,
``<abbr title>``, ``<small>``. They are looked for in the headline's nearest container that has
any, then in the whole page. Each is scored by what it is (its tag, its class, a cue word such
as "Veröffentlicht am" before the date) and by where it is: never in a comment, a sidebar, a
teaser or "most read" list, an embedded post or a quotation; low in the site's header and
navigation ("today's date"). A date a cue word marks as an update ("Updated", "Stand",
"Aktualisiert") is skipped. The vocabularies are in ``selectors.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from watchwire.extract import selectors as sel
from watchwire.extract.dates import Found, Stamp, find_dates, read_stamp

if TYPE_CHECKING:
    from collections.abc import Iterable

    from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["Candidate", "Traps", "headline_day", "visible_dates"]

MAX_CANDIDATES: Final = 60
MAX_CANDIDATE_CHARS: Final = 400
"""Longer elements are wrappers (of the article, of a list), not a byline."""
_MAX_ANCESTORS: Final = 64
_CUE_WINDOW: Final = 40
"""Characters before a date searched for a cue word."""


@dataclass(frozen=True, slots=True)
class Candidate:
    stamp: Stamp
    score: float
    order: int


def _names(attrs: dict[str, str | None]) -> str:
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower().strip()


class Traps:
    """Whether an element sits in a comment, sidebar, teaser list or the like (memoised).

    Only the containers below the one it shares with the headline count: whatever holds the
    headline holds the article, whatever its class says (``status-publish``, ``has-sidebar``,
    an opinion page's ``commentHeader``). Without a headline, a "sidebar" that holds most of
    the page's text is a layout wrapper, not a sidebar.
    """

    __slots__ = ("_body", "_body_chars", "_memo")

    def __init__(self, headline: LexborNode | None, body: LexborNode | None = None) -> None:
        self._memo: dict[int, int] = {}
        self._body = body
        self._body_chars = -1
        node = headline
        while node is not None:
            self._memo[node.mem_id] = 0
            node = node.parent

    def level(self, node: LexborNode) -> int:
        """0: article matter; 1: the site's header, navigation or widgets; 2: somebody else's
        date (a comment's, a teaser's, a sidebar's, a quoted post's)."""
        path: list[int] = []
        verdict = 0
        current: LexborNode | None = node.parent
        for _ in range(_MAX_ANCESTORS):
            if current is None:
                break
            key = current.mem_id
            if (known := self._memo.get(key)) is not None:
                verdict = max(verdict, known)
                break
            path.append(key)
            verdict = max(verdict, self._own(current))
            if verdict == 2:
                break
            current = current.parent
        for key in path:
            self._memo[key] = verdict
        return verdict

    def _own(self, node: LexborNode) -> int:
        tag = node.tag or ""
        if tag in sel.DATE_TRAP_TAGS:
            return 2
        names = _names(node.attributes)
        if names and sel.DATE_TRAP_NAMES.search(names) and not self._wraps_page(node):
            return 2
        if tag == "nav" or (names and sel.DATE_HEADER_NAMES.search(names)):
            return 1
        return 0

    def _wraps_page(self, node: LexborNode) -> bool:
        if self._body is None:
            return False
        if self._body_chars < 0:
            self._body_chars = len(self._body.text())
        return len(node.text()) > sel.WRAPPER_SHARE * self._body_chars


def _cue_score(node: LexborNode, attrs: dict[str, str | None]) -> float:
    names = _names(attrs)
    score = sel.DATE_TAG_SCORES.get(node.tag or "", 0.0)
    for pattern, weight in sel.DATE_NAME_SCORES:
        if pattern.search(names):
            score += weight
    return score


def _pick(found: list[Found], text: str) -> tuple[Found, float] | None:
    """The first date in a candidate's text that is not an update's, and what its cue word
    adds to its score; an update's date only when there is nothing else, well behind."""
    for item in found:
        before = text[max(0, item.start - _CUE_WINDOW) : item.start].lower()
        if sel.UPDATED_CUE.search(before):
            continue
        bonus = sel.PUBLISHED_CUE_BONUS if sel.PUBLISHED_CUE.search(before) else 0.0
        return item, bonus
    return (found[0], -sel.UPDATED_PENALTY) if found else None


def _candidate(node: LexborNode, month_first: bool) -> tuple[Stamp | None, float]:
    text = node.text(separator=" ")
    if len(text) > MAX_CANDIDATE_CHARS:
        return None, 0.0
    attrs = node.attributes
    if found := find_dates(text, month_first=month_first):
        picked = _pick(found, text)
        if picked is None:
            return None, 0.0
        item, bonus = picked
        score = _cue_score(node, attrs) + bonus
        machine = read_stamp(attrs.get("datetime") or "")
        if machine is not None and machine.timed and machine.day == item.stamp.day:
            return machine, score  # the day a reader sees, with its time and zone
        return item.stamp, score
    for key in ("datetime", "title", "content"):
        if (value := attrs.get(key)) and (stamp := read_stamp(value, month_first=month_first)):
            return stamp, _cue_score(node, attrs)
    return None, 0.0


def _scored(
    nodes: Iterable[LexborNode], month_first: bool, traps: Traps, bonus: float
) -> list[Candidate]:
    candidates: list[Candidate] = []
    for order, node in enumerate(nodes):
        if node.tag == "h1":
            continue
        stamp, score = _candidate(node, month_first)
        if stamp is None:
            continue
        level = traps.level(node)
        if level == 2:
            continue
        candidates.append(Candidate(stamp, score + bonus - level * sel.HEADER_PENALTY, order))
        if len(candidates) >= MAX_CANDIDATES:
            break
    candidates.sort(key=lambda c: (-c.score, c.order))
    return candidates


def _beside_headline(
    scope: LexborNode, headline: LexborNode, traps: Traps, month_first: bool
) -> Candidate | None:
    """A date in the plain text of the blocks right under the headline (or else right above
    it), in ``scope``: a dateline with no markup (``<p>22/11/2020 - 04:30 - Fonte: …</p>``).
    Captions are skipped: a photo's date is not the story's."""
    nodes = [node for node in scope.css("*") if node.tag in sel.DATELINE_TAGS]
    key = headline.mem_id
    at = next((i for i, node in enumerate(nodes) if node.mem_id == key), -1)
    if at < 0:
        return None
    under = nodes[at + 1 : at + 1 + sel.BESIDE_HEADLINE_BLOCKS]
    above = nodes[max(0, at - sel.BESIDE_HEADLINE_BLOCKS) : at][::-1]
    for blocks, score in ((under, sel.UNDER_HEADLINE_SCORE), (above, sel.ABOVE_HEADLINE_SCORE)):
        in_prose: Candidate | None = None
        for node in blocks:
            if node.tag in sel.CAPTION_TAGS or _in_caption(node, scope):
                continue
            text = node.text(deep=node.tag != "div", separator=" ").strip()
            if text and traps.level(node) == 2:
                continue  # the "most read" list after the story
            if len(text) > MAX_CANDIDATE_CHARS:
                continue
            found = find_dates(text, month_first=month_first)
            if not found or (picked := _pick(found, text)) is None:
                continue
            item, bonus = picked
            candidate = Candidate(item.stamp, score + bonus, 0)
            if len(text) <= sel.DATELINE_CHARS or (item.end - item.start) * 2 >= len(text):
                return candidate  # a line that is mostly the date: a dateline
            in_prose = in_prose or candidate  # a date in a sentence (a caption?): if nothing else
        if in_prose is not None:
            return in_prose
    return None


def _in_caption(node: LexborNode, scope: LexborNode) -> bool:
    stop = scope.mem_id
    current = node.parent
    while current is not None and current.mem_id != stop:
        if current.tag in sel.CAPTION_TAGS:
            return True
        current = current.parent
    return False


def headline_day(headline: LexborNode | None, traps: Traps, *, month_first: bool) -> Stamp | None:
    """The first date by the headline, looked for cheaply (only elements that say date or
    time): enough to tell which day a UTC timestamp is on the page."""
    scope = headline.parent if headline is not None else None
    for _ in range(sel.HEADLINE_LEVELS):
        if scope is None or scope.tag in ("body", "html"):
            break
        for node in scope.css(sel.DAY_SELECTOR)[:MAX_CANDIDATES]:
            stamp, _score = _candidate(node, month_first)
            if stamp is not None and traps.level(node) < 2:
                return stamp
        scope = scope.parent
    return None


def visible_dates(
    tree: LexborHTMLParser, headline: LexborNode | None, traps: Traps, *, month_first: bool
) -> list[Candidate]:
    """Dated byline-like elements, best first: those in the headline's nearest container that
    has any (or a date in the plain text beside the headline), else the whole page's."""
    scope = headline.parent if headline is not None else None
    for _ in range(sel.HEADLINE_LEVELS):
        if headline is None or scope is None or scope.tag in ("body", "html"):
            break
        nodes = scope.css(sel.VISIBLE_DATE_SELECTOR)[:MAX_CANDIDATES]
        if found := _scored(nodes, month_first, traps, sel.NEAR_HEADLINE_BONUS):
            return found
        if beside := _beside_headline(scope, headline, traps, month_first):
            return [beside]
        scope = scope.parent
    nodes = tree.css(sel.VISIBLE_DATE_SELECTOR)[: MAX_CANDIDATES * 3]
    return _scored(nodes, month_first, traps, 0.0)
