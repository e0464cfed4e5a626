"""The console channel: one readable line per alert, for trying rules out.

``2026-11-30T07:44:47Z belarus-sanctions [unn-en] US offers Belarus sanctions relief
https://unn.ua/en/…`` — a digest prints one such line per alert it carries.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, TextIO

from watchwire.alerts.channel import BuildOptions, ChannelType
from watchwire.alerts.render import alert_title, one_line
from watchwire.config import ConsoleChannel
from watchwire.models import OutboxMessage
from watchwire.payloads import alerts_of, as_displayed

__all__ = ["CHANNEL", "ConsoleSender", "console_line"]


def console_line(alert: Mapping[str, Any]) -> str:
    """One line for one alert, with no newline inside it."""
    article = alert.get("article") or {}
    parts = [
        str(alert.get("created_at") or ""),
        one_line(str(alert.get("rule") or "")),
        f"[{one_line(str(article.get('source') or ''))}]",
        alert_title(alert),
    ]
    url = one_line(str(article.get("url") or ""))
    if url and url != parts[-1]:
        parts.append(url)
    return " ".join(p for p in parts if p and p != "[]")


class ConsoleSender:
    """Writes alert lines to a text stream (standard output unless told otherwise)."""

    def __init__(self, name: str, *, stream: TextIO | None = None) -> None:
        self.name = name
        self._stream = stream

    async def send(self, message: OutboxMessage) -> str:
        stream = self._stream if self._stream is not None else sys.stdout
        text = "".join(console_line(a) + "\n" for a in alerts_of(as_displayed(message.payload)))
        encoding = getattr(stream, "encoding", None)
        if encoding:
            # A console that cannot show Cyrillic gets '?', not an alert retried until it fails.
            text = text.encode(encoding, errors="replace").decode(encoding)
        stream.write(text)
        stream.flush()
        return "written to the console"


def _build(name: str, config: ConsoleChannel, options: BuildOptions) -> ConsoleSender:
    return ConsoleSender(name, stream=options.console_stream)


CHANNEL = ChannelType(config=ConsoleChannel, build=_build, target=lambda config: "stdout")
