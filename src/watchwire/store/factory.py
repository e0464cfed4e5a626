"""``open_store``: the backend a ``storage`` setting names, opened.

``storage`` is a path (relative to the config file), or a URL: ``sqlite:PATH`` (``sqlite:``
followed by ``///`` for an absolute path, like ``file:`` URLs), or ``postgresql://…`` /
``postgres://…`` for a PostgreSQL server. Nothing outside ``watchwire.store`` names a backend.
"""

from __future__ import annotations

import re
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from watchwire.dedupe import NEAR_DUPLICATE_DISTANCE
from watchwire.exceptions import StoreError
from watchwire.store.roles import Store

__all__ = ["StoreLocation", "locate_store", "open_store"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreLocation:
    """Where a store lives: a SQLite file, or a server's URL."""

    backend: Literal["sqlite", "postgresql"]
    path: Path | None = None
    """The SQLite file (``:memory:`` for a private in-memory database)."""
    url: str | None = None

    def exists(self) -> bool:
        """Whether there is a store to read: a file that exists; a server is taken to."""
        if self.path is not None:
            return str(self.path) == ":memory:" or self.path.exists()
        return True

    def backup_instead(self) -> str | None:
        """Why ``watchwire backup`` (SQLite's online backup) does not apply to this store, and
        what to use instead, in words; None where it applies."""
        if self.backend == "sqlite":
            return None
        return (
            f"the store is the PostgreSQL database at {self}: `watchwire backup` copies an "
            "SQLite file. Back a database up with PostgreSQL's own tools, e.g. `pg_dump "
            "--format=custom --file=watchwire.dump DATABASE-URL` (one consistent snapshot while "
            "the workers keep writing), restored with `pg_restore --dbname=EMPTY-DATABASE-URL "
            "watchwire.dump` (docs/deploy.md, Backups and restore)"
        )

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else _without_password(self.url or "")


def locate_store(storage: str | Path, *, relative_to: Path | None = None) -> StoreLocation:
    """Read a ``storage`` setting. Raises StoreError for a URL of no known backend."""
    text = str(storage).strip()
    scheme = _SCHEME.match(text)
    if scheme is not None and len(scheme[1]) > 1:  # `C:` is a drive, not a scheme
        name = scheme[1].lower()
        rest = text[scheme.end() :]
        if name in ("postgresql", "postgres"):
            return StoreLocation(backend="postgresql", url=text)
        if name != "sqlite":
            raise StoreError(
                f"storage {_without_password(text)!r}: unknown kind of store '{name}:' "
                "(a file path, sqlite:PATH or postgresql://…)"
            )
        text = rest[2:] if rest.startswith("///") else rest
    if text == ":memory:":
        return StoreLocation(backend="sqlite", path=Path(text))
    path = Path(text).expanduser()
    if not path.is_absolute() and relative_to is not None:
        path = relative_to / path
    return StoreLocation(backend="sqlite", path=path)


def open_store(
    location: StoreLocation,
    *,
    near_distance: int = NEAR_DUPLICATE_DISTANCE,
    service: bool = False,
) -> AbstractAsyncContextManager[Store]:
    """Open the store at ``location`` (``async with open_store(...) as store``); migrates
    its schema on the way in, closes it cleanly on the way out.

    ``service``: opened by a service (``run``, ``once``), which polls and delivers. The
    embedded store admits one at a time (StoreError naming the other otherwise) and looks for
    damage first; read-only commands open it beside a running service.
    """
    if location.backend == "sqlite":
        from watchwire.store.sqlite import SqliteStore

        assert location.path is not None
        return SqliteStore.open(location.path, near_distance=near_distance, service=service)
    assert location.url is not None
    try:
        from watchwire.store.postgres.store import PostgresStore
    except ImportError as exc:  # the driver is an extra
        raise StoreError(
            f"storage {location}: PostgreSQL needs its driver: pip install 'watchwire[postgresql]'"
        ) from exc
    return PostgresStore.open(location.url, near_distance=near_distance)


def _without_password(url: str) -> str:
    return re.sub(r"(//[^/:@]*):[^/@]*@", r"\1:***@", url)
