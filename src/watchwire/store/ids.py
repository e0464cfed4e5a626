"""Ids of alerts and outbox messages: time-ordered, unguessable, the same in every backend."""

from __future__ import annotations

import secrets
from datetime import datetime

from watchwire.timeutil import utcnow

__all__ = ["new_id"]


def new_id(now: datetime | None = None) -> str:
    """12 hex digits of milliseconds, then 20 of randomness: sorts by creation time."""
    ms = int((now or utcnow()).timestamp() * 1000)
    return f"{ms:012x}{secrets.token_hex(10)}"
