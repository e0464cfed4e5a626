from __future__ import annotations

from datetime import timedelta

import pytest

from watchwire.config import CrawlSettings


def make_settings(**overrides: object) -> CrawlSettings:
    """Crawl settings with small timeouts and no politeness delay, for fast tests."""
    values: dict[str, object] = {
        "interval": timedelta(minutes=10),
        "user_agent": "watchwire-test/0.1 (+https://example.org/bot)",
        "timeout": timedelta(seconds=2),
        "connect_timeout": timedelta(seconds=1),
        "max_body": 1_000_000,
        "max_redirects": 5,
        "retries": 2,
        "per_host_concurrency": 2,
        "per_host_delay": timedelta(0),
        "respect_robots": True,
        "backfill": timedelta(hours=24),
        "max_articles_per_poll": 200,
        "max_backoff": timedelta(hours=6),
    }
    values.update(overrides)
    return CrawlSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings() -> CrawlSettings:
    return make_settings()
