"""Logging set-up: one line per event, text or JSON, with secrets kept out.

Every log line goes through ``redact_text`` on its way out, tracebacks included: each URL in
it loses its user info, query values and fragment (``redact_url``). Source URLs may carry
tokens or credentials, and logs travel further than configs. Channel URLs (whose paths are
credentials) are never logged at all; ``redact_endpoint`` is how ``validate`` shows them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

__all__ = ["JsonFormatter", "redact_endpoint", "redact_text", "redact_url", "setup_logging"]

_MASK = "***"
_ANY_URL = re.compile(r"""\b([A-Za-z][A-Za-z0-9+.-]{1,15})://[^\s'"<>]+""")
_LOUD_LIBRARIES = ("httpx", "httpcore", "apscheduler", "asyncio", "aiosmtplib")


def redact_url(url: str) -> str:
    """A URL fit for logs and the store: user info dropped, every query value and the fragment
    masked (``https://***@host/p?token=***&page=***``). The path stays: it names the document.

    Every value, not only those named like secrets: ``pass``, ``X-Amz-Signature``, ``jwt`` and
    a URL nested in a value all carry credentials under names no list foresees.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    if parts.scheme.lower() not in ("http", "https"):
        return redact_endpoint(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = _MASK + "@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        query = "&".join(
            f"{pair.partition('=')[0]}={_MASK}" if "=" in pair else _MASK
            for pair in query.split("&")
        )
    fragment = _MASK if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def redact_endpoint(url: str) -> str:
    """A receiver's URL with only where it goes: ``https://hooks.slack.com/***``.

    Slack, Discord and most chat webhooks carry their credential in the path, Apprise URLs in
    the host part itself: for those (any scheme but http/https) nothing past the scheme stays.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    if parts.scheme.lower() not in ("http", "https"):
        return f"{parts.scheme}://{_MASK}" if parts.scheme else _MASK
    host = parts.netloc.rsplit("@", 1)[-1]
    rest = parts.path not in ("", "/") or parts.query or parts.fragment
    return f"{parts.scheme}://{host}/{_MASK if rest else ''}"


def redact_text(text: str) -> str:
    """``text`` with every URL in it passed through ``redact_url`` (log lines, tracebacks)."""
    if "://" not in text:
        return text
    return _ANY_URL.sub(lambda m: redact_url(m.group()), text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    _STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact_text(record.getMessage()),
        }
        out.update(
            (k, v) for k, v in vars(record).items() if k not in self._STANDARD and k[0] != "_"
        )
        if record.exc_info:
            out["exception"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


class _TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = redact_text(super().format(record))
        source = getattr(record, "source", None)
        if source and f"[{source}]" not in line:
            line = line.replace(": ", f": [{source}] ", 1)
        return line


def setup_logging(level: str = "info", fmt: str = "text", stream: TextIO | None = None) -> None:
    """Configure the root logger once, at the CLI's entry."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else _TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries log full URLs (tokens included) at INFO; keep them to warnings.
    for name in _LOUD_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
