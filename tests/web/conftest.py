"""The dashboard in process: the real aiohttp server on loopback over a real store, seeded with
sources, articles, stories and alerts; an httpx client that keeps cookies as a browser does."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from watchwire.config import parse_config
from watchwire.metrics import Metrics
from watchwire.models import Article, FetchOutcome, FetchResult
from watchwire.payloads import render_alert
from watchwire.rules import compile_rules
from watchwire.snapshot import Snapshot
from watchwire.store import AlertIntent, HealthRecord, NewArticle, Store, open_store
from watchwire.timeutil import utcnow
from watchwire.web import HttpServer, WebContext
from watchwire.workers import WorkerPool

HOSTILE = "<img src=x onerror=alert(1)>Belarus sanctions"

CONFIG = """
storage: {db}
sources:
  - {{name: kyiv, url: "http://127.0.0.1:9/kyiv.xml"}}
  - {{name: minsk, url: "http://127.0.0.1:9/minsk.xml"}}
  - {{name: quiet, url: "http://127.0.0.1:9/quiet.xml"}}
channels:
  ops: {{type: console}}
terms:
  belarus: [Belarus, Belarusian*]
rules:
  - {{name: belarus-sanctions, query: "@belarus AND sanction*", notify: [ops]}}
  - {{name: potash, query: "potash", notify: [ops]}}
"""


@dataclass
class Dashboard:
    client: httpx.AsyncClient
    store: Store
    snapshot: Snapshot
    url: str


def article(title: str, text: str, *, hours_ago: float = 1.0) -> Article:
    return Article(
        title=title, text=text, paragraphs=tuple(text.split("\n\n")),
        published_at=utcnow() - timedelta(hours=hours_ago), language="en",
    )  # fmt: skip


async def save(
    store: Store, snapshot: Snapshot, url: str, source: str, art: Article, *, alert: bool = True
) -> int:
    """Store an article as the pipeline would: with an alert per rule it matches."""
    rules = compile_rules(snapshot.config.rules, snapshot.config.terms)
    art = dataclasses.replace(art, url=url)
    intents = []
    if alert:
        for match in rules.match(art, source=source):
            body = render_alert(rule=match.rule, article=art, source=source, matches=match,
                                created_at=utcnow())  # fmt: skip
            intents.append(AlertIntent(rule=match.rule, channel="ops", digest=False, payload=body))
    new = NewArticle(url=url, source=source, article=art, content_hash=f"h:{art.text}",
                     simhash=None)  # fmt: skip
    stored = await store.save_article(new, intents, now=utcnow())
    return stored.story_id


async def seed(store: Store, snapshot: Snapshot) -> None:
    now = utcnow()
    await store.record_poll("kyiv", url="http://127.0.0.1:9/kyiv.xml", now=now, ok=True,
                            new_articles=3)  # fmt: skip
    await store.record_fetch(
        "kyiv",
        FetchResult(url="http://127.0.0.1:9/kyiv.xml", final_url="http://127.0.0.1:9/kyiv.xml",
                    outcome=FetchOutcome.OK, status=200, content=b"x" * 2048, elapsed=0.05),
        now=now - timedelta(seconds=1),
    )  # fmt: skip
    await store.record_health("kyiv", HealthRecord(state="ok", since=now), [], now=now)
    await store.record_poll("minsk", url="http://127.0.0.1:9/minsk.xml", now=now, ok=False,
                            error="HTTP 500 Internal Server Error")  # fmt: skip
    await store.record_health(
        "minsk",
        HealthRecord(state="failing", since=now - timedelta(hours=2),
                     reason="HTTP 500 on 3 polls since 10:02Z"),
        [], now=now,
    )  # fmt: skip
    text = "The United States offered Belarus relief from sanctions on potash exports."
    await save(store, snapshot, "http://127.0.0.1:9/kyiv/1", "kyiv",
               article("Belarus sanctions relief offered", text, hours_ago=3))  # fmt: skip
    await save(store, snapshot, "http://127.0.0.1:9/minsk/1", "minsk",
               article("Relief offered to Belarus", text, hours_ago=2))  # fmt: skip
    await save(store, snapshot, "http://127.0.0.1:9/kyiv/2", "kyiv",
               article(HOSTILE, "Belarusian officials discussed the sanctions again.\n\n"
                       "A second paragraph.", hours_ago=1))  # fmt: skip
    await save(store, snapshot, "http://127.0.0.1:9/kyiv/3", "kyiv",
               article("Weather", "Rain in Kyiv all week.", hours_ago=0.5))  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
async def dashboard(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Dashboard]:
    """The dashboard over each backend: its pages read the same from either store."""
    storage = None
    if request.param == "postgresql":
        storage = request.getfixturevalue("postgres_dsn")
    async with serve(tmp_path, storage=storage) as ep:
        yield ep


def config_of(
    tmp_path: Path, sources: str | None = None, *, storage: str | None = None
) -> Snapshot:
    """The test config (its store ``storage``, else a file in ``tmp_path``); ``sources`` (YAML
    list items) replaces its sources."""
    text = CONFIG.format(db=f'"{storage}"' if storage else tmp_path / "w.db")
    if sources is not None:
        head, _, rest = text.partition("sources:\n")
        text = head + "sources:\n" + sources + "\nchannels:" + rest.partition("channels:")[2]
    return Snapshot.build(parse_config(text))


@asynccontextmanager
async def serve(
    tmp_path: Path,
    *,
    token: str | None = None,
    seeded: bool = True,
    sources: str | None = None,
    wake: Callable[[], None] = lambda: None,
    storage: str | None = None,
    sandboxes: WorkerPool | None = None,
) -> AsyncIterator[Dashboard]:
    snapshot = config_of(tmp_path, sources, storage=storage)
    async with open_store(snapshot.config.store_location()) as store:
        if seeded:
            await seed(store, snapshot)
        context = WebContext(
            snapshot=lambda: snapshot, store=store, metrics=Metrics(),
            readiness=lambda: {"config": True, "scheduler": True}, workers=lambda: 0,
            started_at=utcnow(), token=token, wake_dispatcher=wake, sandboxes=sandboxes,
        )  # fmt: skip
        async with HttpServer(context, "127.0.0.1", 0) as server:
            url = f"http://127.0.0.1:{server.port}"
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                yield Dashboard(client=client, store=store, snapshot=snapshot, url=url)


async def form_token(client: httpx.AsyncClient, path: str) -> str:
    """The form token of a page (its cookie is kept by the client, as a browser's would be)."""
    page = await client.get(path)
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None, page.text[:500]
    return found[1]
