"""The email channel: messages parsed back with ``email.parser``, sent to real aiosmtpd servers."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from watchwire.alerts import EmailSender, build_email
from watchwire.config import EmailChannel
from watchwire.exceptions import PermanentDeliveryError, TransientDeliveryError
from watchwire.models import OutboxMessage
from watchwire.payloads import build_digest_payload

from .conftest import T0, Mailbox, SmtpFactory, TlsFiles, alert_message, alert_payload

SENT_AT = datetime(2026, 11, 30, 12, 5, tzinfo=UTC)

DIGEST_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def email_channel(box: Mailbox | None = None, **smtp: Any) -> EmailChannel:
    return EmailChannel.model_validate({
        "type": "email",
        "to": ["analyst@example.org", "Ана Аналітик <ana@example.org>"],
        "from": "watchwire@example.org",
        "smtp": {"host": "127.0.0.1", "port": box.port if box else 25, "timeout": "5s", **smtp},
    })  # fmt: skip


def digest(digest_id: str, alerts: list[dict[str, Any]]) -> OutboxMessage:
    payload = build_digest_payload(digest_id, alerts, created_at=DIGEST_AT)
    return OutboxMessage(id=digest_id, channel="mail", kind="digest", payload=payload,
                         created_at=T0)  # fmt: skip


def roundtrip(message: OutboxMessage) -> EmailMessage:
    """Build, serialise as it goes on the wire, and parse back."""
    mail = build_email(message, sender="watchwire@example.org",
                       recipients=["analyst@example.org"], date=SENT_AT)  # fmt: skip
    parsed = message_from_bytes(mail.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(mail: EmailMessage) -> tuple[str, str]:
    assert mail.get_content_type() == "multipart/alternative"
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and html is not None
    return (
        text.get_content().replace("\r\n", "\n"),
        html.get_content().replace("\r\n", "\n"),
    )


def test_alert_email_has_the_headers_and_both_parts() -> None:
    mail = roundtrip(alert_message("01JD3X"))
    assert mail["Subject"] == "[watchwire] belarus-sanctions: US offers Belarus sanctions relief"
    assert mail["From"] == "watchwire@example.org"
    assert mail["To"] == "analyst@example.org"
    assert mail["Message-ID"] == "<watchwire.01JD3X@example.org>"
    assert mail["Date"] == "Mon, 30 Nov 2026 12:05:00 +0000"
    text, html = parts(mail)
    assert "https://unn.ua/en/news/belarus-sanctions" in text
    assert "rule belarus-sanctions" in text and "«sanctions»" in text
    assert "Also at:" in text and "https://example.org/copy" in text
    assert '<a href="https://unn.ua/en/news/belarus-sanctions">' in html


def test_matched_words_are_marked_in_title_and_snippet() -> None:
    _, html = parts(roundtrip(alert_message()))
    assert "US offers <mark" in html and ">Belarus</mark> sanctions relief" in html
    assert ">sanctions</mark> on <mark" in html


def test_article_text_is_html_escaped() -> None:
    message = alert_message(
        title="<script>alert(1)</script> Belarus", snippet="a «sanctions» <img src=x onerror=y>",
        url="javascript:alert(1)",
    )  # fmt: skip
    _, html = parts(roundtrip(message))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=y&gt;" in html
    assert "javascript:" not in html.replace("javascript:alert(1)</", "")  # never an href
    assert 'href="javascript' not in html


def test_guillemets_that_are_typography_are_not_highlighted() -> None:
    message = alert_message(snippet="партія «Батьківщина» wants «sanctions»")
    _, html = parts(roundtrip(message))
    assert "«Батьківщина»" in html
    assert ">sanctions</mark>" in html


def test_newlines_in_a_title_do_not_break_or_inject_headers() -> None:
    message = alert_message(title="Belarus\r\nBcc: victim@example.org\nsanctions")
    mail = roundtrip(message)
    assert mail["Bcc"] is None
    # (Python's folder may start this one on a continuation line: a space to unfold.)
    assert mail["Subject"].strip() == (
        "[watchwire] belarus-sanctions: Belarus Bcc: victim@example.org sanctions"
    )


def test_non_ascii_subject_and_body_are_encoded_and_decode_back() -> None:
    message = alert_message(title="Білорусь: санкції «Belarus»", snippet="«санкції» — так")
    mail = build_email(message, sender="watchwire@example.org",
                       recipients=["analyst@example.org"], date=SENT_AT)  # fmt: skip
    wire = mail.as_bytes()
    subject_line = wire.split(b"\r\nFrom:")[0]
    assert subject_line.isascii() and b"=?utf-8?" in subject_line  # RFC 2047 encoded words
    parsed = message_from_bytes(wire, policy=policy.default)
    assert parsed["Subject"] == "[watchwire] belarus-sanctions: Білорусь: санкції «Belarus»"
    assert isinstance(parsed, EmailMessage)
    text, _ = parts(parsed)
    assert "«санкції» — так" in text


def test_digest_of_25_alerts_lists_every_article_with_rule_and_snippet() -> None:
    alerts = [alert_payload(f"a{i}", title=f"Story {i}", rule=f"rule-{i % 3}",
                            url=f"https://n.example/{i}", snippet=f"snippet {i} «sanctions»")
              for i in range(25)]  # fmt: skip
    message = digest("dig1", alerts)
    mail = roundtrip(message)
    assert mail["Subject"] == "[watchwire] digest: 25 alerts"
    text, html = parts(mail)
    for i in range(25):
        assert f"Story {i}\nhttps://n.example/{i}\nrule rule-{i % 3}" in text
        assert f"snippet {i} «sanctions»" in text
        assert f'<a href="https://n.example/{i}">Story {i}</a>' in html
    assert html.count("<li>") == 25


# --- over SMTP --------------------------------------------------------------------------------


async def test_plain_smtp_when_the_config_says_none(smtp_server: SmtpFactory) -> None:
    box = await smtp_server()
    sender = EmailSender("mail", email_channel(box, security="none"))
    await sender.send(alert_message("m1"))
    (mail,) = box.messages
    assert mail["Message-ID"] == "<watchwire.m1@example.org>"
    assert box.envelopes[0].rcpt_tos == ["analyst@example.org", "ana@example.org"]
    assert box.envelopes[0].mail_from == "watchwire@example.org"


async def test_starttls_with_auth_sends_credentials_only_over_tls(
    smtp_server: SmtpFactory, tls_files: TlsFiles
) -> None:
    box = await smtp_server(tls=tls_files.server_context(), auth=("watchwire", "s3cret"))
    config = email_channel(box, security="starttls", username="watchwire", password="s3cret")
    sender = EmailSender("mail", config, tls_context=tls_files.client_context())
    await sender.send(alert_message())
    assert box.logins == [("watchwire", "s3cret", True)]
    assert len(box.messages) == 1


async def test_implicit_tls(smtp_server: SmtpFactory, tls_files: TlsFiles) -> None:
    box = await smtp_server(tls=tls_files.server_context(), implicit_tls=True)
    sender = EmailSender("mail", email_channel(box, security="tls"),
                         tls_context=tls_files.client_context())  # fmt: skip
    await sender.send(alert_message())
    assert len(box.messages) == 1


async def test_starttls_required_but_not_offered_fails_without_sending_credentials(
    smtp_server: SmtpFactory,
) -> None:
    """The aiosmtplib trap: with security: starttls a plaintext server gets nothing."""
    box = await smtp_server(auth=("watchwire", "s3cret"), auth_require_tls=False)
    config = email_channel(box, security="starttls", username="watchwire", password="s3cret")
    with pytest.raises(PermanentDeliveryError, match="no STARTTLS") as caught:
        await EmailSender("mail", config).send(alert_message())
    assert "s3cret" not in str(caught.value)
    assert box.logins == [] and box.messages == []


async def test_an_untrusted_certificate_is_refused(
    smtp_server: SmtpFactory, tls_files: TlsFiles
) -> None:
    box = await smtp_server(tls=tls_files.server_context())
    with pytest.raises(TransientDeliveryError):
        await EmailSender("mail", email_channel(box)).send(alert_message())  # system CAs
    assert box.messages == []


async def test_wrong_password_is_permanent_and_not_echoed(
    smtp_server: SmtpFactory, tls_files: TlsFiles
) -> None:
    box = await smtp_server(tls=tls_files.server_context(), auth=("watchwire", "right"))
    config = email_channel(box, username="watchwire", password="wrong-pw")
    sender = EmailSender("mail", config, tls_context=tls_files.client_context())
    with pytest.raises(PermanentDeliveryError, match="535") as caught:
        await sender.send(alert_message())
    assert "wrong-pw" not in str(caught.value)


async def test_no_server_listening_is_transient() -> None:
    config = email_channel(security="none")
    config = config.model_copy(update={"smtp": config.smtp.model_copy(update={"port": 1})})
    with pytest.raises(TransientDeliveryError):
        await EmailSender("mail", config).send(alert_message())


async def test_digest_of_25_alerts_arrives_as_one_email(smtp_server: SmtpFactory) -> None:
    box = await smtp_server()
    alerts = [alert_payload(f"a{i}", title=f"Story {i}") for i in range(25)]
    message = digest("dig1", alerts)
    await EmailSender("mail", email_channel(box, security="none")).send(message)
    (mail,) = box.messages
    assert mail["Subject"] == "[watchwire] digest: 25 alerts"
    text, _ = parts(mail)
    assert all(f"Story {i}" in text for i in range(25))


async def test_a_temporary_refusal_of_every_recipient_is_transient(
    smtp_server: SmtpFactory,
) -> None:
    box = await smtp_server()
    box.refuse = {"analyst@example.org": "451 try later", "ana@example.org": "451 try later"}
    with pytest.raises(TransientDeliveryError, match="451"):
        await EmailSender("mail", email_channel(box, security="none")).send(alert_message())


async def test_a_permanent_refusal_of_every_recipient_is_permanent(
    smtp_server: SmtpFactory,
) -> None:
    box = await smtp_server()
    box.refuse = {"analyst@example.org": "550 no such user", "ana@example.org": "550 nope"}
    with pytest.raises(PermanentDeliveryError, match="550"):
        await EmailSender("mail", email_channel(box, security="none")).send(alert_message())


async def test_one_refused_recipient_does_not_resend_to_the_others(
    smtp_server: SmtpFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Delivered to whoever accepted it; the refusal is logged, not retried (no duplicates)."""
    box = await smtp_server()
    box.refuse = {"ana@example.org": "550 no such user"}
    await EmailSender("mail", email_channel(box, security="none")).send(alert_message("m9"))
    assert box.envelopes[0].rcpt_tos == ["analyst@example.org"]
    assert "m9 refused for 1 recipient(s): ana@example.org" in caplog.text


async def test_long_mixed_script_subject_arrives_with_its_spaces(smtp_server: SmtpFactory) -> None:
    """Folding at 78 columns used to eat the space between encoded words on the wire."""
    box = await smtp_server()
    title = (
        "The United States offers Belarus a “grand bargain” that could reduce Russia's "
        "influence on it — Білорусь і санкції"
    )
    sender = EmailSender("mail", email_channel(box, security="none"))
    await sender.send(
        OutboxMessage(
            id="m9", channel="mail", kind="alert", payload=alert_payload("m9", title=title)
        )
    )
    (mail,) = box.messages
    assert mail["Subject"] == f"[watchwire] belarus-sanctions: {title}"
