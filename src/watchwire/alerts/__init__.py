"""Delivery: the channels alerts leave by, retries and the dispatcher.

One module, one job: ``retry`` decides when to try again, ``dispatcher`` drains the outbox
through the channels, and each channel type has its own file (``webhook``, ``email``,
``console``, ``apprise``; ``chat`` renders Slack and Discord bodies, ``render`` holds the text
helpers they share), listed one line each in ``factory``. The bodies themselves are built in
``watchwire.payloads``, shared with the pipeline and the store.
"""

from __future__ import annotations

from watchwire.alerts.channel import Channel
from watchwire.alerts.console import ConsoleSender
from watchwire.alerts.dispatcher import Dispatcher, Outbox
from watchwire.alerts.email import EmailSender, build_email
from watchwire.alerts.factory import (
    CHANNEL_TYPES,
    build_channel,
    channel_target,
    check_channels,
    open_channels,
)
from watchwire.alerts.retry import next_retry_at
from watchwire.alerts.webhook import WebhookSender, sign

__all__ = [
    "CHANNEL_TYPES",
    "Channel",
    "ConsoleSender",
    "Dispatcher",
    "EmailSender",
    "Outbox",
    "WebhookSender",
    "build_channel",
    "build_email",
    "channel_target",
    "check_channels",
    "next_retry_at",
    "open_channels",
    "sign",
]
