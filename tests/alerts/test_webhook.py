"""The webhook channel against a real HTTP receiver on loopback."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook

from watchwire.alerts import WebhookSender
from watchwire.alerts.chat import (
    DISCORD_CONTENT_MAX,
    DISCORD_DESCRIPTION_MAX,
    DISCORD_EMBED_TOTAL_MAX,
    DISCORD_EMBEDS_MAX,
    DISCORD_TITLE_MAX,
    SLACK_BLOCKS_MAX,
    SLACK_SECTION_MAX,
)
from watchwire.config import WebhookChannel, parse_config
from watchwire.exceptions import ConfigError, PermanentDeliveryError, TransientDeliveryError
from watchwire.models import OutboxMessage
from watchwire.payloads import build_digest_payload

from .conftest import T0, Receiver, alert_message, alert_payload

SECRET = "whsec_" + base64.b64encode(b"a test secret of 32 bytes length").decode()

DIGEST_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def channel(url: str, **extra: Any) -> WebhookChannel:
    return WebhookChannel.model_validate({"type": "webhook", "url": url, **extra})


def verify_from_spec(secret: str, headers: dict[str, str], body: bytes) -> None:
    """An independent reading of the Standard Webhooks spec, section "Verifying"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    assert abs(time.time() - int(timestamp)) < 300, "timestamp outside tolerance"
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    versions = dict(sig.split(",", 1) for sig in headers["webhook-signature"].split(" "))
    assert hmac.compare_digest(versions["v1"], expected)


async def test_json_body_is_the_payload_and_verifies_with_standardwebhooks(
    receiver: Receiver,
) -> None:
    """The generic body is the DESIGN.md payload, byte-for-byte what was signed."""
    message = alert_message("msg_2Nq", title="Лукашенко: Belarus «sanctions» relief")
    async with WebhookSender("ops", channel(receiver.url, secret=SECRET)) as sender:
        await sender.send(message)
    (request,) = receiver.requests
    assert request.method == "POST" and request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "msg_2Nq"
    assert Webhook(SECRET).verify(request.body, request.headers) == message.payload
    verify_from_spec(SECRET, request.headers, request.body)


async def test_unsigned_without_secret_and_custom_headers_sent(receiver: Receiver) -> None:
    config = channel(receiver.url, headers={"Authorization": "Bearer t0ken"})
    async with WebhookSender("ops", config) as sender:
        await sender.send(alert_message())
    (request,) = receiver.requests
    assert "webhook-signature" not in request.headers
    assert request.headers["authorization"] == "Bearer t0ken"


async def test_retries_carry_the_same_webhook_id_and_a_fresh_signature(
    receiver: Receiver,
) -> None:
    receiver.reply((500, {}, b"boom"), (502, {}, b""))
    message = alert_message("msg_same")
    async with WebhookSender("ops", channel(receiver.url, secret=SECRET)) as sender:
        for _ in range(2):
            with pytest.raises(TransientDeliveryError, match="HTTP 50"):
                await sender.send(message)
        await sender.send(message)
    assert [r.headers["webhook-id"] for r in receiver.requests] == ["msg_same"] * 3
    for request in receiver.requests:
        verify_from_spec(SECRET, request.headers, request.body)


async def test_429_passes_retry_after_on(receiver: Receiver) -> None:
    receiver.reply((429, {"Retry-After": "120"}, b"slow down"))
    async with WebhookSender("ops", channel(receiver.url)) as sender:
        with pytest.raises(TransientDeliveryError) as caught:
            await sender.send(alert_message())
    assert caught.value.retry_after == 120.0


async def test_503_with_an_http_date_retry_after(receiver: Receiver) -> None:
    receiver.reply((503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, b""))
    async with WebhookSender("ops", channel(receiver.url)) as sender:
        with pytest.raises(TransientDeliveryError) as caught:
            await sender.send(alert_message())
    assert caught.value.retry_after == 0.0  # a date in the past: go ahead when due


async def test_410_gone_is_permanent(receiver: Receiver) -> None:
    receiver.reply((410, {}, b"gone"))
    async with WebhookSender("ops", channel(receiver.url)) as sender:
        with pytest.raises(PermanentDeliveryError, match="410"):
            await sender.send(alert_message())


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
async def test_other_4xx_are_permanent(receiver: Receiver, status: int) -> None:
    receiver.reply((status, {}, b"no"))
    async with WebhookSender("ops", channel(receiver.url)) as sender:
        with pytest.raises(PermanentDeliveryError, match=str(status)):
            await sender.send(alert_message())


@pytest.mark.parametrize("status", [408, 425, 500, 504])
async def test_408_425_and_5xx_are_transient(receiver: Receiver, status: int) -> None:
    receiver.reply((status, {}, b""))
    async with WebhookSender("ops", channel(receiver.url)) as sender:
        with pytest.raises(TransientDeliveryError):
            await sender.send(alert_message())


async def test_redirects_are_not_followed(receiver: Receiver) -> None:
    receiver.reply((301, {"Location": receiver.url + "/elsewhere"}, b""))
    async with WebhookSender("ops", channel(receiver.url)) as sender:
        with pytest.raises(TransientDeliveryError, match="redirect not followed"):
            await sender.send(alert_message())
    assert len(receiver.requests) == 1


async def test_refused_connection_is_transient_and_does_not_name_the_url(
    receiver: Receiver,
) -> None:
    url = receiver.url.replace("/hook", "/services/T000/B000/SECRETTOKEN")
    port = int(url.split(":")[2].split("/")[0])
    dead = url.replace(str(port), "1")
    async with WebhookSender("ops", channel(dead)) as sender:
        with pytest.raises(TransientDeliveryError) as caught:
            await sender.send(alert_message())
    assert "SECRETTOKEN" not in str(caught.value)


async def test_a_slow_receiver_times_out() -> None:
    release = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    # Accepts the connection, reads nothing, answers nothing.
    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        config = channel(f"http://127.0.0.1:{port}/", timeout="200ms")
        async with WebhookSender("ops", config) as sender:
            with pytest.raises(TransientDeliveryError, match="timed out"):
                await sender.send(alert_message())
    finally:
        release.set()
        server.close()
        await server.wait_closed()
        await asyncio.sleep(0.01)


def test_a_secret_that_is_not_base64_is_a_config_error_at_its_place() -> None:
    """Refused when the config loads, with file:line:col, never quoting the secret."""
    with pytest.raises(ConfigError) as caught:
        parse_config(
            "channels:\n  ops:\n    type: webhook\n    url: https://h.example/\n"
            "    secret: whsec_not base64!\n",
            file="w.yaml",
            env={},
        )
    message = str(caught.value)
    assert message.startswith("w.yaml:5:13: channels.ops.secret: the secret must be whsec_")
    assert "not base64!" not in message


async def test_send_outside_async_with_is_a_programming_error() -> None:
    sender = WebhookSender("ops", channel("https://h.example/"))
    with pytest.raises(RuntimeError, match="async with"):
        await sender.send(alert_message())


# --- Slack and Discord ------------------------------------------------------------------------


def digest_message(n: int, **kwargs: Any) -> OutboxMessage:
    alerts = [alert_payload(f"a{i}", **kwargs) for i in range(n)]
    payload = build_digest_payload("d1", alerts, created_at=DIGEST_AT)
    return OutboxMessage(id="d1", channel="chat", kind="digest", payload=payload, attempts=1,
                         created_at=T0)  # fmt: skip


async def _sent(receiver: Receiver, fmt: str, message: OutboxMessage) -> dict[str, Any]:
    async with WebhookSender("chat", channel(receiver.url, format=fmt)) as sender:
        await sender.send(message)
    body: dict[str, Any] = json.loads(receiver.requests[-1].body)
    return body


async def test_slack_alert_is_text_and_blocks_with_escaped_text(receiver: Receiver) -> None:
    message = alert_message(title="Belarus <!channel> & co", snippet="«sanctions» on <b>")
    body = await _sent(receiver, "slack", message)
    assert body["text"].startswith("[watchwire] belarus-sanctions: Belarus &lt;!channel&gt;")
    section = body["blocks"][0]["text"]["text"]
    assert "<!channel>" not in section and "&lt;!channel&gt; &amp; co" in section
    assert "*sanctions* on &lt;b&gt;" in section
    assert "<https://unn.ua/en/news/belarus-sanctions|" in section


async def test_slack_respects_section_and_block_limits(receiver: Receiver) -> None:
    huge = "«sanctions» " + "x & y " * 2000
    body = await _sent(receiver, "slack", digest_message(120, snippet=huge, title="T" * 5000))
    assert len(body["blocks"]) <= SLACK_BLOCKS_MAX
    assert all(len(b["text"]["text"]) <= SLACK_SECTION_MAX for b in body["blocks"])
    assert "more" in body["blocks"][-1]["text"]["text"]
    assert "&amp" in body["blocks"][1]["text"]["text"]
    assert not body["blocks"][1]["text"]["text"].rstrip("…").endswith(("&", "&a", "&am"))


async def test_discord_alert_disables_mentions_and_bolds_matches(receiver: Receiver) -> None:
    message = alert_message(title="@everyone Belarus *news*", snippet="on «sanctions» _now_")
    body = await _sent(receiver, "discord", message)
    assert body["allowed_mentions"] == {"parse": []}
    (embed,) = body["embeds"]
    assert embed["description"] == r"on **sanctions** \_now\_"
    assert embed["url"] == "https://unn.ua/en/news/belarus-sanctions"
    assert r"\*news\*" in body["content"]


async def test_discord_respects_every_limit(receiver: Receiver) -> None:
    huge = "«sanctions» " + "word " * 3000
    body = await _sent(receiver, "discord", digest_message(40, snippet=huge, title="T" * 900))
    assert len(body["content"]) <= DISCORD_CONTENT_MAX
    assert len(body["embeds"]) <= DISCORD_EMBEDS_MAX
    total = 0
    for embed in body["embeds"]:
        assert len(embed["title"]) <= DISCORD_TITLE_MAX
        assert len(embed.get("description", "")) <= DISCORD_DESCRIPTION_MAX
        total += len(embed["title"]) + len(embed.get("description", ""))
        total += len(embed["footer"]["text"])
    assert total <= DISCORD_EMBED_TOTAL_MAX
    single = await _sent(receiver, "discord", alert_message(snippet=huge * 3))
    assert len(single["embeds"][0]["description"]) <= DISCORD_DESCRIPTION_MAX


def test_timeout_default_is_fifteen_seconds() -> None:
    assert channel("https://h.example/").timeout == timedelta(seconds=15)
