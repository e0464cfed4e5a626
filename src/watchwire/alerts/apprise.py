"""The Apprise channel (optional extra ``watchwire[apprise]``): ~150 services by URL.

``type: apprise`` with ``urls: [tgram://…, ntfy://…]``. Apprise keeps no queue and reports
only success or failure, so every failure is transient: the outbox and its retries are what make
it reliable. The library is imported lazily, when such a channel is opened, so that watchwire
runs without it; its URLs carry tokens and never appear in our errors or logs.

Apprise's API (``Apprise()``, ``add(url) -> bool``, ``async_notify(body=, title=,
body_format=) -> bool``) is blocking underneath for many services; it runs its plugins in a
thread pool, so the event loop is not held up.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from watchwire.alerts.channel import BuildOptions, ChannelType
from watchwire.alerts.console import console_line
from watchwire.alerts.render import alert_title, matched_words, one_line, snippet_segments
from watchwire.config import AppriseChannel
from watchwire.exceptions import ConfigError, TransientDeliveryError
from watchwire.models import OutboxMessage
from watchwire.payloads import DIGEST_TYPE, alerts_of, as_displayed

__all__ = ["CHANNEL", "AppriseSender", "import_apprise", "notification_for"]

INSTALL_HINT = "pip install 'watchwire[apprise]'"


def import_apprise() -> ModuleType:
    """The ``apprise`` module, or a ConfigError saying how to install it."""
    try:
        return importlib.import_module("apprise")
    except ImportError:
        raise ConfigError(
            f"the apprise channel needs the optional 'apprise' package: {INSTALL_HINT}"
        ) from None


def notification_for(payload: Mapping[str, Any]) -> tuple[str, str]:
    """``(title, markdown body)`` for an alert or a digest."""
    payload = as_displayed(payload)
    alerts = alerts_of(payload)
    if payload.get("type") == DIGEST_TYPE:
        n = len(alerts)
        title = f"[watchwire] digest: {n} alert{'' if n == 1 else 's'}"
        body = "\n".join(f"- {console_line(a)}" for a in alerts)
        return title, body
    article = payload.get("article") or {}
    title = f"[watchwire] {one_line(str(payload.get('rule') or ''))}: {alert_title(payload)}"
    segments = snippet_segments(str(article.get("snippet") or ""), matched_words(payload))
    snippet = "".join(f"**{t}**" if hit else t for t, hit in segments)
    body = "\n\n".join(p for p in (snippet, str(article.get("url") or "")) if p)
    return title, body


class AppriseSender:
    """Notifies every configured Apprise URL; failure of any is a transient error."""

    def __init__(self, name: str, config: AppriseChannel) -> None:
        self.name = name
        apprise = import_apprise()
        self._apprise: Any = apprise.Apprise()
        self._markdown: Any = apprise.NotifyFormat.MARKDOWN
        for i, url in enumerate(config.urls):
            if not self._apprise.add(url):
                # Say which entry, never what it is: the URL holds the service's token.
                raise ConfigError(
                    f"apprise channel {name!r}: urls[{i}] is not a URL Apprise understands"
                )
        self._semaphore = asyncio.Semaphore(config.concurrency)

    async def send(self, message: OutboxMessage) -> str:
        title, body = notification_for(message.payload)
        async with self._semaphore:
            ok = await self._apprise.async_notify(
                body=body, title=title, body_format=self._markdown
            )
        if not ok:
            raise TransientDeliveryError("apprise reported a failed notification")
        return "apprise reported success"


def _build(name: str, config: AppriseChannel, options: BuildOptions) -> AppriseSender:
    try:
        return AppriseSender(name, config)
    except ConfigError as exc:  # a missing package or a bad URL: say which channel
        raise ConfigError(exc.message, path=f"channels.{name}") from None


CHANNEL = ChannelType(
    config=AppriseChannel, build=_build, target=lambda config: f"{len(config.urls)} apprise URL(s)"
)
