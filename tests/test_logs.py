"""Logging: secrets stay out, one JSON object per line when asked."""

from __future__ import annotations

import io
import json
import logging

import pytest

from watchwire.logs import redact_url, setup_logging


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pw@news.example.org/rss", "https://***@news.example.org/rss"),
        (
            "https://a.example/feed?token=abc&page=2",
            "https://a.example/feed?token=%2A%2A%2A&page=2",
        ),
        ("https://a.example/feed?api_key=k", "https://a.example/feed?api_key=%2A%2A%2A"),
        ("https://a.example/news?id=5", "https://a.example/news?id=5"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_json_log_lines_carry_the_source() -> None:
    stream = io.StringIO()
    setup_logging("info", "json", stream=stream)
    try:
        logging.getLogger("watchwire.test").warning("poll failed: %s", "boom",
                                                    extra={"source": "unn-en"})  # fmt: skip
        logging.getLogger("httpx").info("HTTP Request: GET https://a.example/?token=secret")
    finally:
        logging.getLogger().handlers.clear()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, "library INFO logs (full URLs) are kept out"
    record = json.loads(lines[0])
    assert record["message"] == "poll failed: boom"
    assert record["source"] == "unn-en"
    assert record["level"] == "warning"
