"""The email channel: one ``multipart/alternative`` message per alert or digest, over SMTP.

Security is what the config says and nothing less: ``starttls`` *requires* the upgrade (a server
that offers no STARTTLS is an error, never a silent plaintext session, and credentials are only
sent once TLS is up), ``tls`` is implicit TLS from the first byte, ``none`` is plaintext and only
then may credentials cross unencrypted. aiosmtplib's own default (``start_tls=None``,
opportunistic) would quietly downgrade, so the upgrade is done here, explicitly.

Messages are built by ``build_email`` (pure): a plain-text part and an HTML part in which all
article text is escaped and matched words are ``<mark>``-ed; headers are single lines (a newline
in a headline must not become a header injection or an exception); ``Message-ID`` is derived
from the outbox message id, so a retried alert is recognisably the same message.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from html import escape
from typing import Any

import aiosmtplib

from watchwire.alerts.channel import BuildOptions, ChannelType
from watchwire.alerts.render import (
    alert_title,
    field_segments,
    join_segments,
    matched_words,
    one_line,
    snippet_segments,
    truncate,
)
from watchwire.config import EmailChannel
from watchwire.exceptions import PermanentDeliveryError, TransientDeliveryError
from watchwire.models import OutboxMessage
from watchwire.payloads import DIGEST_TYPE, alerts_of, as_displayed

__all__ = ["CHANNEL", "EmailSender", "build_email", "describe", "message_id_for", "subject_for"]

# The stdlib folds long mixed ASCII/non-ASCII subjects at 78 columns and, doing so, drops the
# space between adjacent encoded words ("a “grand bargain”" came back as "“grandbargain”").
# RFC 5322 allows 998: fold only past that.
SMTP_POLICY = SMTP.clone(max_line_length=998)

log = logging.getLogger(__name__)

SUBJECT_MAX = 200
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MARK = '<mark style="background:#ffe066">{}</mark>'


def _mark(text: str) -> str:
    return _MARK.format(text)


def _plain_mark(text: str) -> str:
    return f"«{text}»"


def _html(segments: Sequence[tuple[str, bool]]) -> str:
    return join_segments(list(segments), escape, _mark)


def _href(url: object) -> str | None:
    """Only http(s) URLs become links (no ``javascript:`` from a hostile feed)."""
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        return escape(url, quote=True)
    return None


def message_id_for(outbox_id: str, sender: str) -> str:
    """``<watchwire.{id}@{sender's domain}>``: the same for every retry of one message."""
    domain = sender.rpartition("@")[2].strip(" >") if "@" in sender else ""
    domain = _ID_UNSAFE.sub("-", domain) or "watchwire.invalid"
    return f"<watchwire.{_ID_UNSAFE.sub('-', outbox_id)}@{domain}>"


def subject_for(payload: Mapping[str, Any]) -> str:
    """``[watchwire] <rule>: <title>`` or ``[watchwire] digest: N alerts``, on one line."""
    payload = as_displayed(payload)
    if payload.get("type") == DIGEST_TYPE:
        n = len(alerts_of(payload))
        return f"[watchwire] digest: {n} alert{'' if n == 1 else 's'}"
    rule = one_line(str(payload.get("rule") or ""))
    return truncate(one_line(f"[watchwire] {rule}: {alert_title(payload)}"), SUBJECT_MAX)


def _meta(alert: Mapping[str, Any]) -> str:
    article = alert.get("article") or {}
    parts = [f"rule {one_line(str(alert.get('rule') or ''))}"]
    if article.get("source"):
        parts.append(f"source {one_line(str(article['source']))}")
    if article.get("published_at"):
        parts.append(f"published {article['published_at']}")
    return " · ".join(parts)


def _other_copies(alert: Mapping[str, Any]) -> list[str]:
    url = (alert.get("article") or {}).get("url")
    return [str(c) for c in (alert.get("story") or {}).get("copies") or () if c != url]


def _alert_text(alert: Mapping[str, Any]) -> str:
    article = alert.get("article") or {}
    words = matched_words(alert)
    lines = [alert_title(alert)]
    if article.get("url"):
        lines.append(str(article["url"]))
    lines.append(_meta(alert))
    snippet = str(article.get("snippet") or "")
    if snippet:
        lines += ["", join_segments(snippet_segments(snippet, words), str, _plain_mark)]
    copies = _other_copies(alert)
    if copies:
        lines += ["", "Also at:", *(f"  {c}" for c in copies)]
    return "\n".join(lines)


def _alert_html(alert: Mapping[str, Any], heading: str) -> str:
    article = alert.get("article") or {}
    title = _html(field_segments(alert, "title", str(article.get("title") or "")))
    title = title or escape(alert_title(alert))
    href = _href(article.get("url"))
    title = f'<a href="{href}">{title}</a>' if href else title
    parts = [f"<{heading}>{title}</{heading}>", f'<p style="color:#555">{escape(_meta(alert))}</p>']
    snippet = str(article.get("snippet") or "")
    if snippet:
        segments = snippet_segments(snippet, matched_words(alert))
        parts.append(f"<blockquote>{_html(segments)}</blockquote>")
    lead = str(article.get("lead") or "")
    if lead and heading == "h2":
        parts.append(f"<p>{_html(field_segments(alert, 'lead', lead))}</p>")
    links = [f'<a href="{h}">{escape(c)}</a>' for c in _other_copies(alert) if (h := _href(c))]
    if links:
        parts.append(f"<p>Also at: {', '.join(links)}</p>")
    return "\n".join(parts)


def _bodies(payload: Mapping[str, Any]) -> tuple[str, str]:
    payload = as_displayed(payload)
    alerts = alerts_of(payload)
    if payload.get("type") != DIGEST_TYPE:
        text = _alert_text(payload) + f"\n\n-- \nwatchwire alert {payload.get('id', '')}\n"
        inner = _alert_html(payload, "h2")
    else:
        text = f"{len(alerts)} alert{'' if len(alerts) == 1 else 's'}\n\n"
        text += "\n\n".join(f"{i}. {_alert_text(a)}" for i, a in enumerate(alerts, 1))
        text += f"\n\n-- \nwatchwire digest {payload.get('id', '')}\n"
        items = "\n".join(f"<li>{_alert_html(a, 'h3')}</li>" for a in alerts)
        inner = f"<ol>\n{items}\n</ol>"
    html = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
        f'<body style="font-family:sans-serif">\n{inner}\n</body></html>\n'
    )
    return text, html


def build_email(
    message: OutboxMessage, *, sender: str, recipients: Sequence[str], date: datetime
) -> EmailMessage:
    """The complete email for an outbox message (pure: no I/O)."""
    mail = EmailMessage(policy=SMTP_POLICY)
    mail["Subject"] = subject_for(message.payload)
    mail["From"] = one_line(sender)
    mail["To"] = ", ".join(one_line(r) for r in recipients)
    mail["Date"] = format_datetime(date.astimezone(UTC))
    mail["Message-ID"] = message_id_for(message.id, sender)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    text, html = _bodies(message.payload)
    mail.set_content(text, subtype="plain", charset="utf-8")
    mail.add_alternative(html, subtype="html", charset="utf-8")
    return mail


class EmailSender:
    """Sends outbox messages by SMTP, one connection per message, ``concurrency`` at a time."""

    def __init__(
        self,
        name: str,
        config: EmailChannel,
        *,
        tls_context: ssl.SSLContext | None = None,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self._config = config
        self._tls_context = tls_context or ssl.create_default_context()
        self._wall_clock = wall_clock
        self._semaphore = asyncio.Semaphore(config.concurrency)

    async def send(self, message: OutboxMessage) -> str:
        """Mail it; the receiver's answer is the SMTP server's reply to the message."""
        mail = build_email(
            message, sender=self._config.from_, recipients=self._config.to, date=self._wall_clock()
        )
        timeout = self._config.smtp.timeout.total_seconds()
        async with self._semaphore:
            try:
                # aiosmtplib times each step out; this bounds the whole conversation.
                async with asyncio.timeout(timeout * 4):
                    refused, reply = await self._deliver(mail, timeout)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                codes = [r.code for r in exc.recipients]
                error = f"every recipient refused: {', '.join(map(str, codes))}"
                if any(400 <= c < 500 for c in codes):
                    raise TransientDeliveryError(error) from None
                raise PermanentDeliveryError(error) from None
            except aiosmtplib.SMTPResponseException as exc:
                error = f"SMTP {exc.code}: {truncate(one_line(exc.message), 200)}"
                if 500 <= exc.code < 600:
                    raise PermanentDeliveryError(error) from None
                raise TransientDeliveryError(error) from None
            except TimeoutError as exc:
                raise TransientDeliveryError(f"SMTP timed out ({type(exc).__name__})") from None
            except (aiosmtplib.SMTPException, OSError) as exc:  # includes ssl errors
                detail = truncate(one_line(str(exc)), 200)
                raise TransientDeliveryError(f"{type(exc).__name__}: {detail}") from None
        answer = f"SMTP 250 {truncate(one_line(reply), 200)}"
        if refused:
            log.warning(
                "email %s: message %s refused for %d recipient(s): %s",
                self.name, message.id, len(refused), ", ".join(sorted(refused)),
            )  # fmt: skip
            answer += f" (refused for {', '.join(sorted(refused))})"
        return answer

    async def _deliver(self, mail: EmailMessage, step_timeout: float) -> tuple[dict[str, Any], str]:
        """Refused recipients, and the server's reply to the message."""
        smtp = self._config.smtp
        client = aiosmtplib.SMTP(
            hostname=smtp.host,
            port=smtp.effective_port,
            use_tls=smtp.security == "tls",
            start_tls=False,  # never opportunistic: done below when, and only when, required
            tls_context=self._tls_context,
            timeout=step_timeout,
            local_hostname=socket.gethostname() or "localhost",
        )
        async with client:
            if smtp.security == "starttls":
                await client.ehlo()
                if not client.supports_extension("starttls"):
                    raise PermanentDeliveryError(
                        "the SMTP server offers no STARTTLS; refusing to continue in plaintext "
                        "(set security: none to allow it)"
                    )
                await client.starttls()
            if smtp.username is not None:
                if smtp.security != "none" and client.get_transport_info("sslcontext") is None:
                    raise PermanentDeliveryError("refusing to send credentials without TLS")
                password = smtp.password.get_secret_value() if smtp.password else ""
                await client.login(smtp.username, password)
            # Flattened here, with our policy: aiosmtplib's send_message re-flattens with the
            # stock SMTP policy and its 78-column folding, which loses spaces (see SMTP_POLICY).
            recipients = [a.addr_spec for a in mail["To"].addresses]
            sender = mail["From"].addresses[0].addr_spec
            refused, reply = await client.sendmail(sender, recipients, mail.as_bytes())
        return dict(refused), reply


def describe(config: EmailChannel) -> str:
    """Whom it mails, through which server."""
    smtp = config.smtp
    return f"{', '.join(config.to)} via {smtp.host}:{smtp.effective_port} ({smtp.security})"


def _build(name: str, config: EmailChannel, options: BuildOptions) -> EmailSender:
    return EmailSender(name, config, tls_context=options.smtp_tls_context)


CHANNEL = ChannelType(config=EmailChannel, build=_build, target=describe)
