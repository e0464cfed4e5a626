"""``watchwire store copy``: every record of one store into another, verified by counts.

The target must be empty (its schema is made when it is opened), or an interrupted copy of the
same store: then the copy resumes after the last record of each kind it holds. Records go kind
by kind in an order that keeps references valid (``records.KINDS``), a batch per transaction,
with their ids. The copy is marked finished in the target only once every kind's count matches
the source's; a store that changed meanwhile (a service still running on it) fails that check,
and the copy can be run again to resume once the service is stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from watchwire.exceptions import StoreError
from watchwire.store.records import KINDS, Kind
from watchwire.store.roles import TransferStore
from watchwire.timeutil import utcnow

__all__ = ["BATCH", "CopyReport", "copy_store"]

BATCH: Final = 1000
"""Records per transaction."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyReport:
    counts: dict[str, int]
    """Records of each kind, the same in both stores."""
    copied: int
    """Records written by this run (fewer than the counts' sum when it resumed a copy)."""
    resumed: bool


async def copy_store(
    source: TransferStore,
    target: TransferStore,
    *,
    origin: str,
    into: str = "the target",
    batch: int = BATCH,
    clock: Callable[[], datetime] = utcnow,
    progress: Callable[[Kind, int], None] | None = None,
) -> CopyReport:
    """Copy ``source`` (named ``origin``) into ``target`` (named ``into``, for messages).

    Raises StoreError when the target is not empty and not an unfinished copy of ``origin``,
    or when the counts differ at the end.
    """
    resumed = await _check_target(target, origin=origin, into=into)
    await target.mark_copy(origin, now=clock(), finished=False)
    copied = 0
    for kind in KINDS:
        after = await target.last_key(kind) if resumed else None
        while records := await source.export_records(kind, after=after, limit=batch):
            await target.import_records(kind, records)
            copied += len(records)
            after = kind.position(records[-1])
            if progress is not None:
                progress(kind, len(records))
    counts: dict[str, int] = {}
    differ = []
    for kind in KINDS:
        mine, theirs = await source.count_records(kind), await target.count_records(kind)
        counts[kind.name] = theirs
        if mine != theirs:
            differ.append(f"{kind.name} {mine} in {origin}, {theirs} in {into}")
    if differ:
        raise StoreError(
            "the copy does not match its source (" + "; ".join(differ) + "): was a service "
            "still writing to it? Stop it and run the same copy again to resume"
        )
    await target.mark_copy(origin, now=clock(), finished=True)
    return CopyReport(counts=counts, copied=copied, resumed=resumed)


async def _check_target(target: TransferStore, *, origin: str, into: str) -> bool:
    """Whether the copy resumes an interrupted one; StoreError if it may not go ahead."""
    held = 0
    for kind in KINDS:
        held += await target.count_records(kind)
    marker = await target.copy_marker()
    if marker is not None and marker.finished_at is not None:
        raise StoreError(f"{into} is already a finished copy of {marker.origin}: nothing to do "
                         "(copy into an empty database to make another)")  # fmt: skip
    if not held:
        return False
    if marker is None:
        raise StoreError(f"{into} is not empty ({held} records) and is not a copy being made: "
                         "copy into an empty database")  # fmt: skip
    if marker.origin != origin:
        raise StoreError(f"{into} holds an unfinished copy of {marker.origin}, not of {origin}: "
                         "resume that one, or copy into an empty database")  # fmt: skip
    return True
