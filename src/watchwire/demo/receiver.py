"""A webhook receiver on 127.0.0.1 that verifies Standard Webhooks signatures.

What a careful receiver does (https://www.standardwebhooks.com, "Verifying webhooks"): take
``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``; reject a timestamp more than
five minutes away from now (replays); compute
``base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))`` with the base64-decoded ``whsec_``
secret; accept if any ``v1,<signature>`` of the space-separated header equals it (compared in
constant time); and dedupe on ``webhook-id``, since a sender retries until it hears 2xx.
Written from the spec with the standard library only, so the demo carries no test dependency;
the tests check it against the reference library.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from watchwire.demo._http import HttpRequest, HttpResponse, HttpServer

__all__ = [
    "ReceivedWebhook",
    "RejectedWebhook",
    "SignatureError",
    "WebhookReceiver",
    "new_secret",
    "verify_signature",
]

TOLERANCE = 300
"""Seconds a signature's timestamp may be off from now (the spec's recommendation)."""


class SignatureError(Exception):
    """A webhook request whose signature does not verify; the message says why."""


def new_secret() -> str:
    """A fresh ``whsec_`` secret (24 random bytes)."""
    return "whsec_" + base64.b64encode(os.urandom(24)).decode("ascii")


def _key(secret: str) -> bytes:
    raw = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the secret is not whsec_ followed by base64") from None


def verify_signature(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: float = TOLERANCE,
) -> tuple[str, int]:
    """``(webhook_id, timestamp)`` if ``body`` is signed with ``secret``; else SignatureError.

    ``headers`` must have lower-case names.
    """
    msg_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not stamp or not signatures:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError(f"bad webhook-timestamp {stamp!r}") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(f"timestamp {timestamp} is more than {tolerance:g}s from now")
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest())
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode("ascii", "replace"), expected):
            return msg_id, timestamp
    raise SignatureError("no signature matches")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedWebhook:
    """A verified webhook request."""

    id: str
    timestamp: int
    payload: dict[str, Any]
    body: bytes
    headers: Mapping[str, str]
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectedWebhook:
    reason: str
    headers: Mapping[str, str]
    body: bytes


class WebhookReceiver:
    """Records verified alerts; answers 204, or 401 to a bad signature (nothing recorded).

    ``received`` holds the first delivery of each ``webhook-id``; repeats (a sender's retries)
    go to ``duplicates``; ``requests`` has every request, verified or not, as it came.
    """

    def __init__(
        self,
        secret: str | None = None,
        *,
        path: str = "/hooks/watchwire",
        tolerance: float = TOLERANCE,
    ) -> None:
        self.secret = secret or new_secret()
        self.path = path
        self.tolerance = tolerance
        self.received: list[ReceivedWebhook] = []
        self.duplicates: list[ReceivedWebhook] = []
        self.rejected: list[RejectedWebhook] = []
        self.requests: list[HttpRequest] = []
        self._server = HttpServer(self._handle, name="webhook receiver")
        self._arrived = asyncio.Condition()
        self._listeners: list[Callable[[ReceivedWebhook], None]] = []
        self._failures: list[int] = []
        self._stalling = False

    async def __aenter__(self) -> Self:
        await self._server.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._server.__aexit__(exc_type, exc, tb)

    @property
    def url(self) -> str:
        return self._server.url + self.path

    def fail_next(self, *statuses: int) -> None:
        """Answer the next deliveries with these statuses (e.g. 503), recording nothing."""
        self._failures.extend(statuses)

    def heal(self) -> None:
        """Forget the failures still queued by ``fail_next``; answer new deliveries again."""
        self._failures.clear()
        self._stalling = False

    def stall(self) -> None:
        """Hang: take deliveries in and never answer them (until ``heal()``, for new ones).

        A stalled delivery is never recorded as received: its sender gave up on it.
        """
        self._stalling = True

    def subscribe(self, listener: Callable[[ReceivedWebhook], None]) -> None:
        """Call ``listener`` with every newly received (verified, first-time) webhook."""
        self._listeners.append(listener)

    async def wait_for_article(self, url: str) -> ReceivedWebhook:
        """Wait for an alert about the article at ``url`` (bound it with ``asyncio.timeout``)."""

        def find() -> ReceivedWebhook | None:
            for hook in self.received:
                article = hook.payload.get("article")
                if isinstance(article, dict) and article.get("url") == url:
                    return hook
            return None

        async with self._arrived:
            await self._arrived.wait_for(lambda: find() is not None)
        found = find()
        assert found is not None
        return found

    async def wait_for(self, count: int) -> list[ReceivedWebhook]:
        """Wait until ``count`` webhooks were received (bound it with ``asyncio.timeout``)."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)
        return list(self.received)

    async def _handle(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if request.path != self.path:
            return HttpResponse(status=404)
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        if self._stalling:
            await asyncio.Future()  # until the sender hangs up and the server closes
        if self._failures:
            return HttpResponse(status=self._failures.pop(0), body=b"injected failure\n")
        try:
            msg_id, timestamp = verify_signature(
                self.secret, request.headers, request.body, tolerance=self.tolerance
            )
        except SignatureError as exc:
            self.rejected.append(
                RejectedWebhook(reason=str(exc), headers=request.headers, body=request.body)
            )
            return HttpResponse(status=401, body=f"{exc}\n".encode())
        try:
            payload = json.loads(request.body)
        except ValueError:
            return HttpResponse(status=400, body=b"not JSON\n")
        if not isinstance(payload, dict):
            return HttpResponse(status=400, body=b"not a JSON object\n")
        hook = ReceivedWebhook(
            id=msg_id,
            timestamp=timestamp,
            payload=payload,
            body=request.body,
            headers=request.headers,
            at=request.received_at,
        )
        if any(r.id == msg_id for r in self.received):
            self.duplicates.append(hook)
            return HttpResponse(status=204)
        async with self._arrived:
            self.received.append(hook)
            self._arrived.notify_all()
        for listener in self._listeners:
            listener(hook)
        return HttpResponse(status=204)
