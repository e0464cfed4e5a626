"""Time as the store and the payloads write it: UTC, ISO 8601, sortable as text."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["from_iso", "iso_z", "to_iso", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(dt: datetime) -> str:
    """Fixed-width UTC text, so that string order is time order in SQL."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_z(dt: datetime | None) -> str | None:
    """Second-precision ``…Z`` for payloads people read."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
