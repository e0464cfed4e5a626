"""What every delivery channel is: a name and an ``async send(message)``.

A channel delivers one outbox message (an alert or a digest) or raises:

- ``TransientDeliveryError`` — the receiver may take it later (timeouts, 5xx, 429); its
  ``retry_after`` carries a ``Retry-After`` in seconds when the receiver sent one;
- ``PermanentDeliveryError`` — trying again as is will not help (410 Gone, a 4xx rejection).

Anything else a channel raises is a bug; the dispatcher treats it as transient (logged with its
traceback) so the alert is retried, not lost. Channels that own a resource (an HTTP client) are
async context managers; ``open_channels`` enters them. Channels never log or raise their
secrets or their URLs, which for Slack, Discord and Apprise carry tokens.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from watchwire.models import OutboxMessage

__all__ = ["Channel"]


@runtime_checkable
class Channel(Protocol):
    """A way out for alerts: webhook, email, console, Apprise."""

    name: str
    """The channel's key in ``channels:``."""

    async def send(self, message: OutboxMessage) -> None:
        """Deliver ``message`` once, or raise a ``DeliveryError``."""
        ...
