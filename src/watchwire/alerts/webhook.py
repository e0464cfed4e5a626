"""The webhook channel: POST the alert as JSON, Slack or Discord, signed per Standard Webhooks.

Signing (https://www.standardwebhooks.com): with a ``whsec_…`` secret every request carries
``webhook-id`` (the outbox message id: the same on every retry, so receivers can dedupe),
``webhook-timestamp`` (Unix seconds, real time: receivers reject stale ones) and
``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` keyed with the
base64-decoded secret.

Outcomes: 2xx delivered; 3xx is a failure (redirects are not followed: a moved endpoint is a
config to fix, and following it would send the body where nobody checked); 410 Gone and other
4xx are permanent, except 408, 425 and 429; 5xx, timeouts and network errors are transient;
``Retry-After`` is read on every failure. The URL never appears in errors or logs: for Slack and
Discord the path is the credential.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import httpx

from watchwire import __version__
from watchwire.alerts.channel import BuildOptions, ChannelType
from watchwire.alerts.chat import discord_body, slack_body
from watchwire.alerts.render import one_line, truncate
from watchwire.backoff import parse_retry_after
from watchwire.config import WebhookChannel, decode_webhook_secret
from watchwire.exceptions import ConfigError, PermanentDeliveryError, TransientDeliveryError
from watchwire.logs import redact_endpoint
from watchwire.models import OutboxMessage

__all__ = ["CHANNEL", "WebhookSender", "decode_secret", "describe", "render_body", "sign"]

RETRYABLE_4XX = frozenset({408, 425, 429})
_ERROR_BODY_MAX = 2048
"""Bytes of a failure response read for the error message; the rest is not our business."""


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (the prefix is optional); the config
    already refused a bad one at load, with its place in the file."""
    try:
        return decode_webhook_secret(secret)
    except ValueError as exc:
        raise ConfigError(f"webhook {exc}") from None


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``{id}.{timestamp}.{body}``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def render_body(message: OutboxMessage, fmt: str) -> bytes:
    """The request body for ``fmt`` (``json``, ``slack`` or ``discord``), UTF-8 JSON."""
    body: Mapping[str, Any]
    if fmt == "slack":
        body = slack_body(message.payload)
    elif fmt == "discord":
        body = discord_body(message.payload)
    else:
        body = message.payload
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


class WebhookSender:
    """POSTs outbox messages to one URL, at most ``concurrency`` at a time."""

    def __init__(
        self,
        name: str,
        config: WebhookChannel,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self._config = config
        self._key = decode_secret(config.secret.get_secret_value()) if config.secret else None
        self._transport = transport
        self._wall_clock = wall_clock
        self._semaphore = asyncio.Semaphore(config.concurrency)
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Self:
        timeout = self._config.timeout.total_seconds()
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=self._transport,
            limits=httpx.Limits(max_connections=self._config.concurrency),
            headers={"User-Agent": f"watchwire/{__version__} (webhook)"},
            trust_env=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _headers(self, message: OutboxMessage, body: bytes) -> dict[str, str]:
        headers = {**self._config.headers, "Content-Type": "application/json"}
        if self._key is not None:
            timestamp = int(self._wall_clock())
            headers["webhook-id"] = message.id
            headers["webhook-timestamp"] = str(timestamp)
            headers["webhook-signature"] = sign(self._key, message.id, timestamp, body)
        return headers

    async def send(self, message: OutboxMessage) -> str:
        """POST it; the receiver's answer is its status line and the start of its body."""
        if self._client is None:
            raise RuntimeError(f"webhook channel {self.name!r} used outside `async with`")
        body = render_body(message, self._config.format)
        async with self._semaphore:
            # Signed after waiting for a slot, so the timestamp is fresh when it leaves.
            headers = self._headers(message, body)
            timeout = self._config.timeout.total_seconds()
            try:
                async with asyncio.timeout(timeout):
                    return await self._post(self._client, body, headers)
            except TimeoutError:
                raise TransientDeliveryError(f"timed out after {timeout:g} s") from None
            except httpx.TimeoutException:
                raise TransientDeliveryError(f"timed out after {timeout:g} s") from None
            except httpx.TransportError as exc:
                detail = truncate(one_line(str(exc)), 200)
                raise TransientDeliveryError(f"{type(exc).__name__}: {detail}") from None

    async def _post(self, client: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> str:
        async with client.stream("POST", self._config.url, content=body, headers=headers) as r:
            excerpt = b""
            async for chunk in r.aiter_bytes():
                excerpt += chunk
                if len(excerpt) >= _ERROR_BODY_MAX:
                    break
            if r.is_success:
                return _answer(r, excerpt)
        raise _failure(r, excerpt)


def _answer(response: httpx.Response, excerpt: bytes) -> str:
    """``HTTP 200 OK: <the start of the body>``, on one line."""
    text = truncate(one_line(excerpt.decode("utf-8", "replace")), 200)
    status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    return status + (f": {text}" if text else "")


def _failure(response: httpx.Response, excerpt: bytes) -> Exception:
    status = response.status_code
    now = datetime.now(UTC)  # Retry-After dates are wall-clock dates
    retry_after = parse_retry_after(response.headers.get("Retry-After"), now=now)
    message = _answer(response, excerpt)
    if 300 <= status < 400:
        return TransientDeliveryError(
            f"{message} (redirect not followed: point the channel at the final URL)",
            retry_after=retry_after,
        )
    if status == 410:
        return PermanentDeliveryError(f"{message} (the receiver is gone)")
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        return PermanentDeliveryError(message)
    return TransientDeliveryError(message, retry_after=retry_after)


def describe(config: WebhookChannel) -> str:
    """Where it posts (the URL redacted: for Slack and Discord the path is the credential)."""
    signed = "signed" if config.secret is not None else "unsigned"
    return f"{redact_endpoint(config.url)} ({config.format}, {signed})"


def _build(name: str, config: WebhookChannel, options: BuildOptions) -> WebhookSender:
    return WebhookSender(name, config)


CHANNEL = ChannelType(config=WebhookChannel, build=_build, target=describe)
