"""Every store backend behind one fixture, so that one suite holds each to the contract."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from watchwire.store import Store, locate_store, open_store

StoreOpener = Callable[..., AbstractAsyncContextManager[Store]]
"""Opens the test's store (the same one each time: a second call is a restart)."""

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def open_backend(request: pytest.FixtureRequest, tmp_path: Path) -> StoreOpener:
    backend: str = request.param
    if backend == "sqlite":
        location = locate_store(tmp_path / "w.db")
    elif backend == "postgresql":
        # A fresh database on the session's throwaway cluster (skipped loudly without one).
        location = locate_store(request.getfixturevalue("postgres_dsn"))
    else:  # pragma: no cover - every backend in BACKENDS has a branch
        raise AssertionError(backend)
    return lambda **options: open_store(location, **options)


@pytest.fixture
async def store(open_backend: StoreOpener) -> AsyncIterator[Store]:
    async with open_backend() as opened:
        yield opened
