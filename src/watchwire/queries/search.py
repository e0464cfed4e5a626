"""Search: stored articles a rule matches, newest first, a page at a time; a query or a
configured rule replayed (``search_rules``); positions in the results as URL-safe text."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from watchwire.config import Config, RuleConfig
from watchwire.models import Match
from watchwire.queries.common import KEY_TIME, BadRequest
from watchwire.rules import RuleSet, compile_rules
from watchwire.store import (
    ArticleRow,
    SearchKey,
    SearchStore,
)
from watchwire.timeutil import iso_z

__all__ = ["Hit", "SearchResult", "hit_json", "key_text", "parse_key", "search", "search_rules"]

FIRST_PAGE_MARGIN = 10
"""Candidates read beyond the limit on the first page: the index's superset is rarely wider."""
MAX_PAGE = 1000
"""Candidates read at once, at most: pages double up to it while matches are sparse."""


# --- search -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """A stored article that a rule matches, with what it matched."""

    row: ArticleRow
    match: Match


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchResult:
    hits: tuple[Hit, ...]
    candidates: int
    """Articles the store's index offered, of which the rules engine kept ``hits``."""
    seconds: float
    """Time the search took, the store's and the engine's."""
    next: SearchKey | None
    """Where the next page starts (``search(..., before=next)``); None after the last."""


async def search(
    store: SearchStore,
    rules: RuleSet,
    rule: str,
    *,
    since: datetime | None = None,
    before: SearchKey | None = None,
    limit: int = 50,
    clock: Callable[[], float] = time.perf_counter,
) -> SearchResult:
    """Up to ``limit`` stored articles that ``rule`` (one of ``rules``) matches, newest first.

    The store's index gives candidates page by page; the rules engine decides. Reading stops
    as soon as ``limit`` articles matched, so a common query reads about ``limit`` rows, not
    the whole history.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    started = clock()
    query = rules.search_query(rule)
    hits: list[Hit] = []
    candidates = 0
    page = limit + FIRST_PAGE_MARGIN
    cursor = before
    while True:
        rows = await store.search(query, since=since, before=cursor, limit=page)
        candidates += len(rows)
        for row in rows:
            match = next((m for m in rules.match(row.article, source=row.source)
                          if m.rule == rule), None)  # fmt: skip
            if match is None:
                continue
            hits.append(Hit(row=row, match=match))
            if len(hits) == limit:
                return SearchResult(hits=tuple(hits), candidates=candidates,
                                    seconds=clock() - started, next=row.search_key)  # fmt: skip
        if len(rows) < page:
            return SearchResult(hits=tuple(hits), candidates=candidates,
                                seconds=clock() - started, next=None)  # fmt: skip
        cursor = rows[-1].search_key
        page = min(page * 2, MAX_PAGE)


def hit_json(hit: Hit) -> dict[str, Any]:
    row, a = hit.row, hit.row.article
    return {
        "url": row.url,
        "title": a.title,
        "source": row.source,
        "published_at": iso_z(a.published_at),
        "story_id": row.story_id,
        "matches": [
            {"field": s.field, "text": s.text, "start": s.start, "end": s.end}
            for s in hit.match.spans
        ],
        "snippet": hit.match.snippet,
    }


def search_rules(
    config: Config, *, query: str | None = None, rule: str | None = None
) -> tuple[RuleSet, str]:
    """The rules to search with and the name to search for: ``query`` as a rule of its own
    (the config's ``terms:`` apply), or the configured ``rule`` replayed over history (enabled
    and for every source, as when it is tried before it is switched on). Raises BadRequest,
    or QuerySyntaxError for a query that does not parse."""
    query = (query or "").strip() or None
    if rule and query:
        raise BadRequest("give a query or a rule to replay, not both")
    if rule:
        found = [r for r in config.rules if r.name == rule]
        if not found:
            names = ", ".join(r.name for r in config.rules) or "none"
            raise BadRequest(f"no rule named '{rule}' (rules: {names})")
        spec = found[0].model_copy(update={"enabled": True, "sources": None})
    elif query:
        spec = RuleConfig(name="query", query=query)
    else:
        raise BadRequest("search needs a query or a rule to replay")
    return compile_rules([spec], config.terms), spec.name


def key_text(key: SearchKey) -> str:
    """A search position as text (a page's ``before=``, JSON's ``next``): URL-safe."""
    return f"{key[0].astimezone(UTC).strftime(KEY_TIME)}~{key[1]}"


def parse_key(text: str) -> SearchKey:
    """The position ``key_text`` wrote; BadRequest for anything else."""
    when, _, ident = text.partition("~")
    try:
        at = datetime.strptime(when, KEY_TIME).replace(tzinfo=UTC)
        if not ident.isdigit():
            raise ValueError(text)
    except ValueError:
        raise BadRequest(f"'{text}' is not a position in the results") from None
    return (at, int(ident))
