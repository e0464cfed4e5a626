"""Fixtures for discovery tests: the saved documents under ``tests/data/discover``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "discover"


@pytest.fixture
def fixture_bytes() -> Callable[[str], bytes]:
    """Read a saved document by file name."""

    def read(name: str) -> bytes:
        return (DATA / name).read_bytes()

    return read
