"""The channel types, one line each; ``build_channel`` and ``open_channels`` build a config's
channels from them, and ``channel_target`` says where one sends (for ``watchwire validate``).

A new channel type is a module in this package (its sender and a ``CHANNEL = ChannelType(...)``)
plus one line in ``CHANNEL_TYPES`` below; its config model joins ``config.ChannelConfig``, which
pydantic needs declared statically, and whose ``type:`` tags config's messages list.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, TextIO

from watchwire.alerts import apprise, console, email, webhook
from watchwire.alerts.channel import BuildOptions, Channel, ChannelType
from watchwire.config import ChannelConfig, Config
from watchwire.exceptions import ConfigError

__all__ = ["CHANNEL_TYPES", "build_channel", "channel_target", "check_channels", "open_channels"]

CHANNEL_TYPES: Mapping[str, ChannelType[Any]] = {
    kind.name: kind
    for kind in (
        webhook.CHANNEL,
        email.CHANNEL,
        console.CHANNEL,
        apprise.CHANNEL,
    )
}
"""Every channel type by its ``type:`` tag."""


def _type_of(config: ChannelConfig, name: str) -> ChannelType[Any]:
    kind = CHANNEL_TYPES.get(config.type)
    if kind is None or not isinstance(config, kind.config):
        raise ConfigError(
            f"unsupported channel type {type(config).__name__}", path=f"channels.{name}"
        )
    return kind


def build_channel(
    name: str,
    config: ChannelConfig,
    *,
    console_stream: TextIO | None = None,
    smtp_tls_context: ssl.SSLContext | None = None,
) -> Channel:
    """One channel from its config; raises ConfigError for what validation could not see."""
    options = BuildOptions(console_stream=console_stream, smtp_tls_context=smtp_tls_context)
    return _type_of(config, name).build(name, config, options)


def check_channels(config: Config) -> list[ConfigError]:
    """What opening ``config``'s channels would refuse (an optional package missing, a URL
    Apprise does not know), each at its place in the file: built here, never opened."""
    errors: list[ConfigError] = []
    for name, channel in config.channels.items():
        try:
            build_channel(name, channel)
        except ConfigError as exc:
            errors.append(config.error_at(("channels", name), exc.message))
    return errors


def channel_target(name: str, config: ChannelConfig) -> str:
    """Where channel ``name`` sends, without its secrets (``watchwire validate`` prints it)."""
    return _type_of(config, name).target(config)


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
