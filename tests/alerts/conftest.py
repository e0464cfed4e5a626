"""Real loopback receivers for the delivery tests: an HTTP webhook receiver and SMTP servers.

Both run on the test's own event loop, on 127.0.0.1 port 0, and are closed by their fixtures
(filterwarnings=error turns a leaked socket into a failure).
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from watchwire.models import Article, Match, OutboxMessage, Span
from watchwire.payloads import build_alert_payload

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

# --- payloads ---------------------------------------------------------------------------------


def alert_payload(
    alert_id: str = "a1",
    *,
    rule: str = "belarus-sanctions",
    title: str = "US offers Belarus sanctions relief",
    url: str = "https://unn.ua/en/news/belarus-sanctions",
    snippet: str = "…the US would ease «sanctions» on «Belarus» potash…",
    lead: str = "Washington offered to ease sanctions on Belarus.",
) -> dict[str, Any]:
    article = Article(
        title=title,
        url=url,
        lead=lead,
        text=lead,
        language="en",
        published_at=datetime(2026, 11, 30, 10, 30, tzinfo=UTC),
    )
    spans = [Span(field="body", start=30, end=39, text="sanctions")]
    pos = title.find("Belarus")
    if pos >= 0:
        spans.append(Span(field="title", start=pos, end=pos + 7, text="Belarus"))
    return build_alert_payload(
        alert_id=alert_id,
        rule=rule,
        article=article,
        source="unn-en",
        matches=Match(rule=rule, spans=tuple(spans), snippet=snippet),
        story_id=7,
        copies=[url, "https://example.org/copy"],
        created_at=T0,
    )


def alert_message(message_id: str = "msg-1", channel: str = "ops", **kwargs: Any) -> OutboxMessage:
    return OutboxMessage(
        id=message_id,
        channel=channel,
        kind="alert",
        payload=alert_payload(message_id, **kwargs),
        attempts=1,
        created_at=T0,
    )


class Clock:
    """The dispatcher's injected clock: time moves only when a test says so."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


# --- the webhook receiver ---------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Response = tuple[int, dict[str, str], bytes]


@dataclass
class Receiver:
    """A tiny HTTP/1.1 server: records requests, answers from ``responses`` then ``default``."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    default: Response = (200, {}, b"ok")
    hold: asyncio.Event | None = None
    """When set, requests are recorded but not answered until the event is set."""

    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for_requests(self, n: int) -> None:
        while len(self.requests) < n:
            self.arrived.clear()
            await self.arrived.wait()

    def reply(self, *responses: Response) -> None:
        self.responses.extend(responses)

    def next_response(self) -> Response:
        return self.responses.pop(0) if self.responses else self.default


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Request(method, path, headers, body)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    writers: set[asyncio.StreamWriter] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        try:
            while (request := await _read_request(reader)) is not None:
                rec.requests.append(request)
                rec.arrived.set()
                if rec.hold is not None:
                    await rec.hold.wait()
                status, headers, body = rec.next_response()
                head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
                head += [f"{k}: {v}" for k, v in headers.items()]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
                await writer.drain()
        finally:
            writers.discard(writer)
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    rec.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield rec
    finally:
        server.close()
        for w in list(writers):
            w.close()
        await server.wait_closed()
        await asyncio.sleep(0)  # let the handlers see their connections closed


# --- SMTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1, made with the openssl command.

    Neither ``cryptography`` nor ``trustme`` is installed; openssl is on every CI image we use.
    """
    openssl = shutil.which("openssl")
    assert openssl, "the STARTTLS/TLS tests need the openssl command (or add trustme)"
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return TlsFiles(cert, key)


@dataclass
class Mailbox:
    """What an SMTP server received: parsed messages and the commands' history."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    logins: list[tuple[str, str, bool]] = field(default_factory=list)
    """(user, password, over TLS) for every AUTH attempt."""
    refuse: dict[str, str] = field(default_factory=dict)
    """Recipient → the SMTP reply refusing it (``"550 no such user"``)."""


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.box.refuse:
            return self.box.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.original_content, bytes)
        self.box.envelopes.append(envelope)
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.box.messages.append(parsed)
        return "250 OK"


SmtpFactory = Callable[..., Awaitable[Mailbox]]


@pytest.fixture
async def smtp_server() -> AsyncIterator[SmtpFactory]:
    """Start aiosmtpd servers: ``await smtp_server(tls=ctx, implicit_tls=False, auth=(u, p))``."""
    servers: list[asyncio.Server] = []
    protocols: list[SMTPServer] = []

    async def start(
        *,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        auth: tuple[str, str] | None = None,
        auth_require_tls: bool = True,
    ) -> Mailbox:
        box = Mailbox()
        handler = _Handler(box)

        def authenticator(
            server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
        ) -> AuthResult:
            assert isinstance(data, LoginPassword)
            user, password = data.login.decode(), data.password.decode()
            box.logins.append((user, password, session.ssl is not None))
            if auth == (user, password):
                return AuthResult(success=True)
            return AuthResult(success=False, handled=False)  # let aiosmtpd answer 535

        def factory() -> SMTPServer:
            proto = SMTPServer(
                handler,
                hostname="mx.test",
                tls_context=None if implicit_tls else tls,
                require_starttls=tls is not None and not implicit_tls,
                authenticator=authenticator if auth else None,
                # Requiring AUTH without TLS makes aiosmtpd warn (an error here): offer it only.
                auth_required=auth is not None and auth_require_tls,
                auth_require_tls=auth_require_tls,
            )
            protocols.append(proto)
            return proto

        server = await asyncio.get_running_loop().create_server(
            factory, "127.0.0.1", 0, ssl=tls if implicit_tls else None
        )
        servers.append(server)
        box.port = server.sockets[0].getsockname()[1]
        return box

    try:
        yield start
    finally:
        for server in servers:
            server.close()
        for proto in protocols:
            if proto.transport is not None:
                proto.transport.close()
        for server in servers:
            await server.wait_closed()
        await asyncio.sleep(0.01)
