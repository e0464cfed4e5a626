"""Storage: the store's roles (``roles``), the values crossing them, and ``open_store``.

Backends live in their own packages (``sqlite``); nothing outside this package names one.
"""

from __future__ import annotations

from watchwire.store.dryrun import DryRunStore, WouldAlert
from watchwire.store.factory import StoreLocation, locate_store, open_store
from watchwire.store.ids import new_id
from watchwire.store.roles import (
    ArticleStore,
    Maintenance,
    OutboxStore,
    PollStore,
    Retention,
    SearchStore,
    SourceStore,
    Store,
)
from watchwire.store.values import (
    AlertIntent,
    ArticlePreview,
    ArticleRow,
    CachedValidators,
    DayActivity,
    DeliveryAttempt,
    FetchRecord,
    GivenUp,
    HealthIntent,
    HealthRecord,
    NewArticle,
    OutboxKey,
    OutboxRow,
    PollRecord,
    SearchKey,
    SourceHealth,
    SourceState,
    StoreCheck,
    StoryAlert,
    StoryCopy,
    StoryDetail,
    StorySummary,
)

__all__ = [
    "AlertIntent",
    "ArticlePreview",
    "ArticleRow",
    "ArticleStore",
    "CachedValidators",
    "DayActivity",
    "DeliveryAttempt",
    "DryRunStore",
    "FetchRecord",
    "GivenUp",
    "HealthIntent",
    "HealthRecord",
    "Maintenance",
    "NewArticle",
    "OutboxKey",
    "OutboxRow",
    "OutboxStore",
    "PollRecord",
    "PollStore",
    "Retention",
    "SearchKey",
    "SearchStore",
    "SourceHealth",
    "SourceState",
    "SourceStore",
    "Store",
    "StoreCheck",
    "StoreLocation",
    "StoryAlert",
    "StoryCopy",
    "StoryDetail",
    "StorySummary",
    "WouldAlert",
    "locate_store",
    "new_id",
    "open_store",
]
