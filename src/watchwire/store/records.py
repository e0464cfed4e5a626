"""What a store holds, as records: how ``store copy`` moves a store from one backend to another.

A record is a plain mapping of one row's fields in watchwire's own values (aware datetimes,
lists, payloads as decoded JSON), the same whichever backend wrote it. Kinds go in an order
that keeps every reference valid (a story before its articles, a message before its alerts),
and records of one kind in their key's order, so that a copy can page through them and resume
after its last key. Ids are kept: an alert's payload names its story's id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

__all__ = ["KINDS", "TIMES", "CopyMarker", "Kind", "Record"]

Record = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    key: str
    """The field records are ordered and resumed by (unique, with ``then``)."""
    fields: tuple[str, ...]
    then: str | None = None
    """A second field to order by, where ``key`` alone is not unique."""
    overwrite: bool = False
    """A record replaces the target's (counts the target's triggers made as rows came)."""

    @property
    def order(self) -> tuple[str, ...]:
        """The fields records are ordered by."""
        return (self.key,) if self.then is None else (self.key, self.then)

    def position(self, record: Record) -> Any:
        """Where ``record`` is in the order: its key, or (key, then)."""
        return record[self.key] if self.then is None else (record[self.key], record[self.then])


KINDS: Final = (
    Kind("sources", "name", ("name", "url", "kind", "first_polled_at", "last_polled_at",
                             "last_ok_at", "consecutive_failures", "last_error", "next_poll_at",
                             "state", "state_since", "state_reason", "moved_to", "failing_since",
                             "last_new_at")),
    Kind("http_cache", "url", ("url", "etag", "last_modified", "body_hash", "updated_at")),
    Kind("fetches", "id", ("id", "source", "url", "at", "outcome", "status", "bytes",
                           "elapsed_ms", "error_class", "error")),
    Kind("stories", "id", ("id", "key", "created_at", "closed")),
    Kind("articles", "id", ("id", "url", "story_id", "source", "title", "lead", "body",
                            "published_at", "modified_at", "language", "authors", "section",
                            "tags", "image", "content_hash", "simhash", "version",
                            "first_seen_at", "updated_at", "bands")),
    Kind("given_up", "url", ("url", "source", "reason", "at")),
    Kind("ghost_urls", "key", ("key",)),
    Kind("ghost_texts", "key", ("key",)),
    Kind("ghost_bands", "key", ("key", "simhash"), then="simhash"),
    Kind("outbox", "id", ("id", "channel", "kind", "payload", "state", "attempts", "last_error",
                          "next_attempt_at", "lease_until", "created_at", "updated_at",
                          "delivered_at", "requeued_at")),
    Kind("deliveries", "id", ("id", "message_id", "attempt", "at", "outcome", "answer",
                              "elapsed_ms", "next_attempt_at")),
    Kind("alerts", "id", ("id", "rule", "story_id", "channel", "article_id", "message_id",
                          "payload", "created_at")),
    Kind("polls", "id", ("id", "source", "at", "ok", "error", "kind", "new_articles")),
    # Last: copying articles and alerts counted them again in the target; these are the source's.
    Kind("daily_counts", "day", ("day", "articles", "alerts"), overwrite=True),
)  # fmt: skip
"""Every kind of record, in the order a copy writes them. An article's ``bands`` are its
SimHash band keys, ``[[band, key], …]``; ``authors`` and ``tags`` are lists; payloads dicts;
a story's ``closed`` and a poll's ``ok`` bools, a ``day`` a date. Ghosts (what retention keeps of
pruned articles) are bare keys."""

TIMES: Final = frozenset(
    {"first_polled_at", "last_polled_at", "last_ok_at", "next_poll_at", "updated_at", "at",
     "created_at", "published_at", "modified_at", "first_seen_at", "next_attempt_at",
     "lease_until", "delivered_at", "requeued_at", "state_since", "failing_since", "last_new_at"}
)  # fmt: skip
"""Fields holding a time."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyMarker:
    """A store made by ``store copy``: from where, and whether the copy finished."""

    origin: str
    started_at: datetime
    finished_at: datetime | None
