"""Storage: the store's roles (``roles``), the values crossing them, and ``open_store``.

Backends live in their own packages (``sqlite``, ``postgres``); nothing outside this package
names one.
"""

from __future__ import annotations

from watchwire.store.dryrun import DryRunStore, WouldAlert
from watchwire.store.factory import StoreLocation, locate_store, open_store
from watchwire.store.ids import new_id
from watchwire.store.roles import (
    ArticleStore,
    HostLeaseStore,
    LeaseKeeper,
    Maintenance,
    OutboxStore,
    PageLeaseStore,
    PollStore,
    Retention,
    ScheduleStore,
    SearchStore,
    SourceStore,
    Store,
)
from watchwire.store.values import (
    AlertIntent,
    ArticlePreview,
    ArticleRow,
    CachedValidators,
    ClaimedSources,
    DeliveryAttempt,
    GivenUp,
    HealthIntent,
    HealthRecord,
    NewArticle,
    OutboxRow,
    PageClaim,
    SearchKey,
    SourceHealth,
    SourceLease,
    SourcePlan,
    SourceState,
    StoreCheck,
)

__all__ = [
    "AlertIntent",
    "ArticlePreview",
    "ArticleRow",
    "ArticleStore",
    "CachedValidators",
    "ClaimedSources",
    "DeliveryAttempt",
    "DryRunStore",
    "GivenUp",
    "HealthIntent",
    "HealthRecord",
    "HostLeaseStore",
    "LeaseKeeper",
    "Maintenance",
    "NewArticle",
    "OutboxRow",
    "OutboxStore",
    "PageClaim",
    "PageLeaseStore",
    "PollStore",
    "Retention",
    "ScheduleStore",
    "SearchKey",
    "SearchStore",
    "SourceHealth",
    "SourceLease",
    "SourcePlan",
    "SourceState",
    "SourceStore",
    "Store",
    "StoreCheck",
    "StoreLocation",
    "WouldAlert",
    "locate_store",
    "new_id",
    "open_store",
]
