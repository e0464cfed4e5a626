"""Delivery: the channels alerts leave by, their payloads, retries and the dispatcher.

One module, one job: ``payload`` builds the bodies stored in the outbox, ``retry`` decides when
to try again, ``dispatcher`` drains the outbox through the channels, and each channel type has
its own file (``webhook``, ``email``, ``console``, ``apprise``; ``chat`` renders Slack and Discord
bodies, ``render`` holds the text helpers they share), listed one line each in ``factory``.
"""

from __future__ import annotations

from watchwire.alerts.channel import Channel
from watchwire.alerts.console import ConsoleSender
from watchwire.alerts.dispatcher import Dispatcher, Outbox
from watchwire.alerts.email import EmailSender, build_email
from watchwire.alerts.factory import CHANNEL_TYPES, build_channel, channel_target, open_channels
from watchwire.alerts.payload import alerts_of, build_alert_payload, build_digest_payload
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
    "alerts_of",
    "build_alert_payload",
    "build_channel",
    "build_digest_payload",
    "build_email",
    "channel_target",
    "next_retry_at",
    "open_channels",
    "sign",
]
