"""What every delivery channel is: a name and an ``async send(message)``.

A channel delivers one outbox message (an alert or a digest) and returns the receiver's answer
in one line (``HTTP 202 Accepted``, ``250 2.0.0 queued as 4F1``: ``alerts show`` and
``notify-test`` print it; None when there is none to give), or raises:

- ``TransientDeliveryError`` — the receiver may take it later (timeouts, 5xx, 429); its
  ``retry_after`` carries a ``Retry-After`` in seconds when the receiver sent one;
- ``PermanentDeliveryError`` — trying again as is will not help (410 Gone, a 4xx rejection).

Anything else a channel raises is a bug; the dispatcher treats it as transient (logged with its
traceback) so the alert is retried, not lost. Channels that own a resource (an HTTP client) are
async context managers; ``open_channels`` enters them. Channels never log or raise their
secrets or their URLs, which for Slack, Discord and Apprise carry tokens.

Each channel type's module also declares a ``ChannelType``: its config model, how to build a
channel from it, and how ``watchwire validate`` describes where it sends. ``factory.py`` lists
them, one line each.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TextIO, TypeVar, runtime_checkable

from pydantic import BaseModel

from watchwire.config import channel_type_name
from watchwire.models import OutboxMessage

__all__ = ["BuildOptions", "Channel", "ChannelType"]

C = TypeVar("C", bound=BaseModel)


@runtime_checkable
class Channel(Protocol):
    """A way out for alerts: webhook, email, console, Apprise."""

    name: str
    """The channel's key in ``channels:``."""

    async def send(self, message: OutboxMessage) -> str | None:
        """Deliver ``message`` once and return the receiver's answer, or raise a
        ``DeliveryError``."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildOptions:
    """What the embedder may hand to the channels it builds (tests, mostly)."""

    console_stream: TextIO | None = None
    """Where console channels write (default: standard output)."""
    smtp_tls_context: ssl.SSLContext | None = None
    """How email channels check SMTP servers (default: the system's trust store)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelType(Generic[C]):
    """One kind of channel: the ``type:`` of a ``channels:`` entry."""

    config: type[C]
    """Its config model, a member of ``config.ChannelConfig``."""
    build: Callable[[str, C, BuildOptions], Channel]
    """A channel named ``name`` from its config; raises ConfigError for what validation could
    not see."""
    target: Callable[[C], str]
    """Where it sends, for ``watchwire validate``: no secrets, no tokens."""

    @property
    def name(self) -> str:
        """Its ``type:`` tag, from the config model's ``type`` literal."""
        return channel_type_name(self.config)
