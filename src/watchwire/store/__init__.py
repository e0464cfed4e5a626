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
from watchwire.store.sqlite import DEFAULT_NEAR_DISTANCE, SqliteStore, new_id

__all__ = [
    "DEFAULT_NEAR_DISTANCE",
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
