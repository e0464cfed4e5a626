"""Storage: the narrow ``Store`` interface and its embedded SQLite implementation."""

from __future__ import annotations

from watchwire.store.base import (
    AlertContext,
    AlertIntent,
    ArticleRow,
    CachedValidators,
    NewArticle,
    OutboxRow,
    SourceHealth,
    SourceState,
    Store,
)
from watchwire.store.sqlite import SqliteStore, new_id

__all__ = [
    "AlertContext",
    "AlertIntent",
    "ArticleRow",
    "CachedValidators",
    "NewArticle",
    "OutboxRow",
    "SourceHealth",
    "SourceState",
    "SqliteStore",
    "Store",
    "new_id",
]
