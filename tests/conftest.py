"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.httpserver import ServerFactory


@pytest.fixture
async def http_server() -> AsyncIterator[ServerFactory]:
    """``await http_server(routes)`` starts a loopback server; all are closed at teardown."""
    factory = ServerFactory()
    try:
        yield factory
    finally:
        await factory.aclose()
