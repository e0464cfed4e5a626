"""Logging set-up: one line per event, text or JSON, with secrets kept out.

Every log line watchwire emits about a URL goes through ``redact_url``: source URLs may carry
tokens or credentials, and logs travel further than configs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["JsonFormatter", "redact_url", "setup_logging"]

_SECRET_PARAMS = re.compile(
    r"(?i)^(?:.*token.*|.*key|.*secret.*|sig|signature|password|passwd|pwd|auth|code|session.*)$"
)
_LOUD_LIBRARIES = ("httpx", "httpcore", "apscheduler", "asyncio", "aiosmtplib")


def redact_url(url: str) -> str:
    """Drop user info and mask secret-looking query values: ``https://***@host/p?token=***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAMS.match(k) for k, _ in pairs):
            query = urlencode([(k, "***" if _SECRET_PARAMS.match(k) else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    _STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update(
            (k, v) for k, v in vars(record).items() if k not in self._STANDARD and k[0] != "_"
        )
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class _TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
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
