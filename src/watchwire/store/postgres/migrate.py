"""Bringing a PostgreSQL database to this watchwire's schema, safely when workers start together.

``migrate`` applies every missing migration of ``schema.MIGRATIONS`` in one transaction that
holds an advisory lock (``pg_advisory_xact_lock``): workers starting at once queue on the lock,
the first migrates, the others then find nothing to do. PostgreSQL's DDL is transactional, so
a migration that fails leaves the database as it was, and the lock goes with the transaction
however it ends (a worker killed mid-migration included).

The version is the one row of ``watchwire_schema``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

import psycopg
from psycopg import errors

from watchwire.exceptions import StoreError
from watchwire.store.postgres.schema import MIGRATIONS

__all__ = ["SCHEMA_LOCK", "migrate"]

log = logging.getLogger(__name__)

SCHEMA_LOCK: Final = 0x7761746368776972
"""The advisory lock key of migrations: ``watchwir`` in ASCII, unlikely to meet another's."""

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS watchwire_schema (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    version     integer NOT NULL,
    migrated_at timestamptz NOT NULL DEFAULT now()
)
"""


async def migrate(
    conn: psycopg.AsyncConnection[Any],
    *,
    lock_timeout: float = 300.0,
    migrations: Sequence[str] = MIGRATIONS,
) -> int:
    """Apply the migrations ``conn``'s database lacks; how many were applied (0: up to date).

    ``conn`` must not be inside a transaction. Waits at most ``lock_timeout`` seconds for
    another worker's migration (or any lock a migration needs). Raises :class:`StoreError`
    when the database was migrated by a newer watchwire, when the wait runs out, or when a
    migration fails.
    """
    version = 0
    try:
        async with conn.transaction():
            await conn.execute(f"SET LOCAL lock_timeout = {int(lock_timeout * 1000)}")
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            await conn.execute(_VERSION_TABLE)
            row = await (await conn.execute("SELECT version FROM watchwire_schema")).fetchone()
            version = int(row[0]) if row else 0
            if version > len(migrations):
                raise StoreError(
                    f"the database has schema version {version}, newer than this watchwire "
                    f"({len(migrations)}): upgrade watchwire"
                )
            for number in range(version, len(migrations)):
                log.info("migrating the database to schema version %d", number + 1)
                await conn.execute(migrations[number])
            if version < len(migrations):
                await conn.execute(
                    """INSERT INTO watchwire_schema (version) VALUES (%(v)s)
                       ON CONFLICT (one) DO UPDATE SET version = %(v)s, migrated_at = now()""",
                    {"v": len(migrations)},
                )
    except errors.LockNotAvailable as exc:
        raise StoreError(
            f"waited over {lock_timeout:g} s for a lock to migrate the database (another "
            "watchwire migrating it, or a long query on its tables): try again, or look in "
            "pg_locks for who holds it"
        ) from exc
    except psycopg.Error as exc:
        raise StoreError(f"cannot migrate the database: {exc}") from exc
    return len(migrations) - version
