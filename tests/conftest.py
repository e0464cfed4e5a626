"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.httpserver import ServerFactory
from tests.support.postgres import Cluster, PostgresUnavailable, database


@pytest.fixture
async def http_server() -> AsyncIterator[ServerFactory]:
    """``await http_server(routes)`` starts a loopback server; all are closed at teardown."""
    factory = ServerFactory()
    try:
        yield factory
    finally:
        await factory.aclose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The DSN of a throwaway PostgreSQL cluster, one for the session.

    ``tests.support.postgres.database(postgres_server)`` makes a database on it for a wider
    scope than one test. When no cluster can be started, a test that needs one fails under
    ``CI=true`` and is skipped, with the reason, elsewhere.
    """
    try:
        cluster = Cluster.start()
    except PostgresUnavailable as exc:
        message = f"PostgreSQL could not be started for this test: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(f"SKIPPED, NOT PASSED: {message} (with CI=true this fails)")
    try:
        yield cluster.dsn()
    finally:
        cluster.stop()


@pytest.fixture
def postgres_dsn(postgres_server: str) -> Iterator[str]:
    """The DSN of a fresh, empty database on the session's cluster, dropped after the test."""
    with database(postgres_server) as dsn:
        yield dsn
