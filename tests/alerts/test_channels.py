"""Console and Apprise channels; the channel types, and ``open_channels`` building a config's
channels from them."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime

import pytest

from watchwire.alerts import (
    CHANNEL_TYPES,
    Channel,
    ConsoleSender,
    EmailSender,
    WebhookSender,
    channel_target,
    open_channels,
)
from watchwire.alerts.apprise import AppriseSender, notification_for
from watchwire.config import CHANNEL_TYPES as CONFIG_CHANNEL_TYPES
from watchwire.config import AppriseChannel, parse_config
from watchwire.exceptions import ConfigError
from watchwire.models import OutboxMessage
from watchwire.payloads import build_digest_payload

from .conftest import T0, Receiver, alert_message, alert_payload

CONFIG = """
channels:
  ops: {type: webhook, url: "%s", secret: "whsec_dGVzdHRlc3R0ZXN0dGVzdA=="}
  analysts:
    type: email
    to: [analyst@example.org]
    from: watchwire@example.org
    smtp: {host: smtp.example.org, username: u, password: p}
  terminal: {type: console}
"""

DIGEST_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


async def test_console_prints_one_line_per_alert() -> None:
    out = io.StringIO()
    await ConsoleSender("terminal", stream=out).send(alert_message(title="Belarus\nsanctions"))
    assert out.getvalue() == (
        "2026-11-30T12:00:00Z belarus-sanctions [unn-en] Belarus sanctions "
        "https://unn.ua/en/news/belarus-sanctions\n"
    )


async def test_console_prints_a_digest_as_one_line_per_alert() -> None:
    payload = build_digest_payload(
        "d", [alert_payload(f"a{i}", title=f"T{i}") for i in range(3)], created_at=DIGEST_AT
    )
    out = io.StringIO()
    message = OutboxMessage(id="d", channel="terminal", kind="digest", payload=payload,
                            created_at=T0)  # fmt: skip
    await ConsoleSender("terminal", stream=out).send(message)
    lines = out.getvalue().splitlines()
    assert [line.split(" ")[3] for line in lines] == ["T0", "T1", "T2"]


async def test_console_defaults_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    await ConsoleSender("terminal").send(alert_message())
    assert "belarus-sanctions [unn-en]" in capsys.readouterr().out


async def test_open_channels_builds_every_type_and_closes_them(receiver: Receiver) -> None:
    config = parse_config(CONFIG % receiver.url, env={})
    async with open_channels(config.channels) as channels:
        assert set(channels) == {"ops", "analysts", "terminal"}
        assert isinstance(channels["ops"], WebhookSender)
        assert isinstance(channels["analysts"], EmailSender)
        assert isinstance(channels["terminal"], ConsoleSender)
        assert all(isinstance(c, Channel) and c.name == n for n, c in channels.items())
        await channels["ops"].send(alert_message())
    assert len(receiver.requests) == 1
    with pytest.raises(RuntimeError, match="outside"):
        await channels["ops"].send(alert_message())  # its HTTP client is closed


def test_every_configurable_channel_type_has_one_registry_entry() -> None:
    """config's union and the registry name the same types: a new one needs both lines."""
    assert tuple(CHANNEL_TYPES) == CONFIG_CHANNEL_TYPES


def test_config_errors_list_the_channel_types() -> None:
    with pytest.raises(ConfigError, match=r"missing 'type' \(webhook, email, console or apprise\)"):
        parse_config("channels:\n  x: {url: 'https://h.example/'}\n", env={})


def test_each_channel_type_says_where_it_sends() -> None:
    """For ``watchwire validate``: the webhook URL redacted, no secret, no apprise URL."""
    config = parse_config(
        CONFIG % "https://hooks.example.org/in?token=abc"
        + "  push: {type: apprise, urls: ['tgram://bottoken/chat', 'ntfy://t@ntfy.example/x']}\n",
        env={},
    )
    targets = {name: channel_target(name, ch) for name, ch in config.channels.items()}
    assert targets == {
        "ops": "https://hooks.example.org/*** (json, signed)",
        "analysts": "analyst@example.org via smtp.example.org:587 (starttls)",
        "terminal": "stdout",
        "push": "2 apprise URL(s)",
    }


async def test_a_bad_channel_closes_the_ones_already_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)
    config = parse_config(
        'channels:\n  a: {type: webhook, url: "https://h.example/"}\n'
        "  b: {type: apprise, urls: ['tgram://x/y']}\n",
        env={},
    )
    with pytest.raises(ConfigError, match="apprise"):
        async with open_channels(config.channels):
            pass


def test_apprise_without_the_package_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """apprise is an optional extra, absent here; only this path is testable honestly."""
    monkeypatch.setitem(sys.modules, "apprise", None)  # absent even if someone installs it
    config = AppriseChannel(type="apprise", urls=["ntfy://token@ntfy.example/topic"])
    with pytest.raises(ConfigError, match=r"pip install 'watchwire\[apprise\]'") as caught:
        AppriseSender("push", config)
    assert "token" not in str(caught.value)


async def test_open_channels_reports_the_missing_apprise_with_the_channel_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)
    config = parse_config("channels:\n  push: {type: apprise, urls: ['tgram://x/y']}\n", env={})
    with pytest.raises(ConfigError, match=r"^channels\.push: .*watchwire\[apprise\]"):
        async with open_channels(config.channels):
            pass


def test_apprise_notification_text_is_built_from_the_payload() -> None:
    title, body = notification_for(alert_payload())
    assert title == "[watchwire] belarus-sanctions: US offers Belarus sanctions relief"
    assert "**sanctions**" in body and body.endswith("https://unn.ua/en/news/belarus-sanctions")
    title, body = notification_for(
        build_digest_payload("d", [alert_payload()] * 2, created_at=DIGEST_AT)
    )
    assert title == "[watchwire] digest: 2 alerts" and body.count("\n- ") == 1
