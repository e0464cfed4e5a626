"""Logging: secrets stay out, one JSON object per line when asked."""

from __future__ import annotations

import io
import json
import logging

import pytest

from watchwire.logs import redact_endpoint, redact_url, setup_logging


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pw@news.example.org/rss", "https://***@news.example.org/rss"),
        ("https://a.example/feed?token=abc&page=2", "https://a.example/feed?token=***&page=***"),
        ("https://a.example/feed?api_key=k", "https://a.example/feed?api_key=***"),
        # Names no list foresees, and a URL nested in a value with its own credentials.
        (
            "https://a.example/f?pass=s3&X-Amz-Signature=ab&jwt=e",
            "https://a.example/f?pass=***&X-Amz-Signature=***&jwt=***",
        ),
        ("https://a.example/f?next=https://u:pw@b.example/", "https://a.example/f?next=***"),
        ("https://a.example/cb#access_token=t", "https://a.example/cb#***"),
        ("https://a.example/news/5", "https://a.example/news/5"),
        ("smtp://user:pw@mail.example", "smtp://***"),
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


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://hooks.slack.com/services/T0/B0/XXXX", "https://hooks.slack.com/***"),
        ("https://discord.com/api/webhooks/1/tok?wait=true", "https://discord.com/***"),
        ("https://u:p@hooks.example.org/", "https://hooks.example.org/"),
        ("tgram://bottoken/chat", "tgram://***"),
    ],
)
def test_redact_endpoint_keeps_only_where_it_goes(url: str, expected: str) -> None:
    assert redact_endpoint(url) == expected


def test_every_url_in_a_log_line_and_its_traceback_is_redacted() -> None:
    stream = io.StringIO()
    setup_logging("debug", "text", stream=stream)
    try:
        try:
            raise ValueError("cannot open https://u:hunter2@a.example/?token=t0k")
        except ValueError:
            logging.getLogger("watchwire.test").exception("at https://a.example/?jwt=j0t")
    finally:
        logging.getLogger().handlers.clear()
    text = stream.getvalue()
    assert "https://a.example/?jwt=***" in text and "https://***@a.example/?token=***" in text
    for secret in ("hunter2", "t0k", "j0t"):
        assert secret not in text
