"""``open_channels``: the channels of a config, built and opened, closed on the way out."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TextIO

from watchwire.alerts.apprise import AppriseSender
from watchwire.alerts.channel import Channel
from watchwire.alerts.console import ConsoleSender
from watchwire.alerts.email import EmailSender
from watchwire.alerts.webhook import WebhookSender
from watchwire.config import (
    AppriseChannel,
    ChannelConfig,
    ConsoleChannel,
    EmailChannel,
    WebhookChannel,
)
from watchwire.exceptions import ConfigError

__all__ = ["build_channel", "open_channels"]


def build_channel(
    name: str,
    config: ChannelConfig,
    *,
    console_stream: TextIO | None = None,
    smtp_tls_context: ssl.SSLContext | None = None,
) -> Channel:
    """One channel from its config; raises ConfigError for what validation could not see."""
    if isinstance(config, WebhookChannel):
        return WebhookSender(name, config)
    if isinstance(config, EmailChannel):
        return EmailSender(name, config, tls_context=smtp_tls_context)
    if isinstance(config, ConsoleChannel):
        return ConsoleSender(name, stream=console_stream)
    if isinstance(config, AppriseChannel):
        try:
            return AppriseSender(name, config)
        except ConfigError as exc:
            raise ConfigError(exc.message, path=f"channels.{name}") from None
    raise ConfigError(f"unsupported channel type {type(config).__name__}", path=f"channels.{name}")


@asynccontextmanager
async def open_channels(
    channels: Mapping[str, ChannelConfig],
    *,
    console_stream: TextIO | None = None,
    smtp_tls_context: ssl.SSLContext | None = None,
) -> AsyncIterator[dict[str, Channel]]:
    """Build every channel, enter those that hold a resource, and close them all at the end.

    ``console_stream`` (default standard output) and ``smtp_tls_context`` (default: the system's
    trust store) are for embedding and tests.
    """
    async with AsyncExitStack() as stack:
        opened: dict[str, Channel] = {}
        for name, config in channels.items():
            channel = build_channel(
                name, config, console_stream=console_stream, smtp_tls_context=smtp_tls_context
            )
            if isinstance(channel, AbstractAsyncContextManager):
                channel = await stack.enter_async_context(channel)
            opened[name] = channel
        yield opened
