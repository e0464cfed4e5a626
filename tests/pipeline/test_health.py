"""Source health and retention through real polls: a loopback site, a real store, a clock
that the test moves (hours and months pass in milliseconds)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

from tests.pipeline.site import Site, page
from tests.pipeline.test_poll import MATCHING
from tests.support.httpserver import Request, Response, ServerFactory
from watchwire.config import Config, parse_config
from watchwire.retention import Pruner
from watchwire.service import Service, open_service
from watchwire.timeutil import utcnow


class Clock:
    """The poller's clock: time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def config_for(tmp_path: Path, feed: str, *, health: str = "") -> Config:
    return parse_config(f"""
storage: {{url: {tmp_path / "w.db"}, retention: 90d, alert_retention: 1y}}
crawl: {{per_host_delay: 0s, timeout: 5s, backfill: 365d}}
sources:
  - {{name: feed, url: "{feed}"}}
channels:
  ops: {{type: console}}
health: {{notify: [ops]{health}}}
terms:
  belarus: [Belarus, Belarusian*]
  sanctions: [sanction*]
rules:
  - {{name: belarus-sanctions, query: "@belarus AND @sanctions", within: paragraph}}
""")


@asynccontextmanager
async def service(config: Config, clock: Clock) -> AsyncIterator[Service]:
    async with open_service(config) as svc:
        svc.poller._now = clock  # the accelerated clock
        yield svc


async def health_messages(svc: Service) -> list[tuple[str, str]]:
    rows = await svc.store.list_outbox()
    return sorted(
        (r.summary, r.created_at.isoformat()) for r in rows if r.summary.startswith("source-")
    )


async def test_a_failing_source_is_told_once_and_its_recovery_once(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    site = Site(await http_server())
    site.pages = {"a": page("a", "Council passes the budget")}
    site.install()
    up = {"feed": True}
    feed = site._feed

    async def flaky(request: Request, response: Response) -> None:
        if up["feed"]:
            await feed(request, response)
        else:
            await response.send(500, b"down", {"Content-Type": "text/plain"})

    site.server.route("/feed.xml")(flaky)
    clock = Clock()
    config = config_for(tmp_path, site.server.url("/feed.xml"))
    source = config.sources[0]
    async with service(config, clock) as svc:
        await svc.poller.poll(source)
        up["feed"] = False
        for _ in range(5):  # three to turn failing, two more while it holds
            clock.advance(minutes=10)
            await svc.poller.poll(source, force=True)
        st = await svc.store.source_state("feed")
        assert st is not None and st.state == "failing"
        assert st.state_reason is not None and st.state_reason.startswith("HTTP 500")
        assert " on 5 polls since " in st.state_reason
        (message,) = await svc.store.claim_due(now=clock.now, limit=10, lease=timedelta(minutes=1))
        body = message.payload
        assert (body["type"], body["state"], body["previous_state"]) == (
            "watchwire.source_health", "failing", "ok")  # fmt: skip
        assert body["reason"].startswith("HTTP 500") and " on 3 polls since " in body["reason"]
        assert body["source"] == {"name": "feed", "url": source.url}
        await svc.store.mark_delivered(message.id, now=clock.now)
        up["feed"] = True
        clock.advance(minutes=10)
        await svc.poller.poll(source, force=True)
        (back,) = await svc.store.claim_due(now=clock.now, limit=10, lease=timedelta(minutes=1))
        assert (back.payload["state"], back.payload["previous_state"]) == ("ok", "failing")


async def test_a_source_goes_silent_on_an_accelerated_clock(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    """An hourly source learns that an hour or two is normal; after the 6 h floor without an
    article it is silent (one alert), and a new article brings it back (one alert)."""
    site = Site(await http_server())
    site.install()
    clock = Clock()
    config = config_for(tmp_path, site.server.url("/feed.xml"))
    source = config.sources[0]
    async with service(config, clock) as svc:
        for hour in range(12):  # two days' pace in twelve hours: one article an hour
            site.publish(dataclasses.replace(page(f"n{hour}", f"News {hour}"),
                                             published=clock.now))  # fmt: skip
            await svc.poller.poll(source, force=True)
            clock.advance(hours=1)
        states = []
        for _ in range(16):  # then nothing new for 8 hours: polls every 30 min answer 304
            await svc.poller.poll(source, force=True)
            st = await svc.store.source_state("feed")
            assert st is not None
            states.append(st.state)
            clock.advance(minutes=30)
        # The last article came at hour 11: silent once more than 6 h have passed, not before.
        assert states == ["ok"] * 11 + ["silent"] * 5
        assert [m[0] for m in await health_messages(svc)] == ["source-health: feed is silent"]
        site.publish(dataclasses.replace(page("late", "News, late"), published=clock.now))
        await svc.poller.poll(source, force=True)
        summaries = [m[0] for m in await health_messages(svc)]
        assert sorted(summaries) == ["source-health: feed is ok", "source-health: feed is silent"]


async def test_retention_prunes_and_nothing_pruned_alerts_again(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    site = Site(await http_server())
    site.pages = {"deal": page("deal", "US offers Belarus a deal", *MATCHING)}
    site.install()
    clock = Clock()
    config = config_for(tmp_path, site.server.url("/feed.xml"))
    source = config.sources[0]
    async with service(config, clock) as svc:
        first = await svc.poller.poll(source)
        assert first.alerts == 1
        clock.advance(days=100)
        report = await Pruner(svc.store, clock=clock).run(config.storage)
        assert report.articles == 1 and await svc.store.count_articles() == 0
        # The old URL is offered again beside a copy of its story at a new URL.
        site.publish(dataclasses.replace(site.pages["deal"], slug="deal-copy"))
        site.publish(page("fresh", "Belarus faces new sanctions", *MATCHING[::-1]))
        hits = len(site.server.hits("/news/deal"))
        again = await svc.poller.poll(source, force=True)
        assert len(site.server.hits("/news/deal")) == hits  # known: not even fetched
        assert again.stored == 2  # the copy and the fresh story
        assert again.alerts == 1  # only the fresh one: the copy's story was pruned
