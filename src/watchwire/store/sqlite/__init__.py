"""The embedded backend: every store role on one SQLite file (WAL, FTS5, group commit)."""

from __future__ import annotations

from watchwire.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
