"""One poll of a source through every real stage, against a loopback news site."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from tests.pipeline.site import Site, page
from tests.support.httpserver import ServerFactory, html
from watchwire.config import Config, parse_config
from watchwire.rules import search_query
from watchwire.service import Service, open_service

MATCHING = (
    "The United States will ease sanctions on Belarusian banks and potash exports, "
    "officials said on Thursday after a meeting in Minsk with Belarus's leader.",
    "Diplomats said the deal could free many political prisoners held in the country, "
    "and that talks would continue over the coming weeks in Vilnius and Washington.",
)


def make_config(tmp_path: Path, sources: str) -> Config:
    text = f"""
storage: {tmp_path / "w.db"}
crawl: {{per_host_delay: 0s, timeout: 5s, backfill: 24h}}
sources:
{sources}
channels:
  out: {{type: console}}
terms:
  belarus: [Belarus, Belarusian*, Білорус*]
  sanctions: [sanction*, санкці*]
rules:
  - name: belarus-sanctions
    query: "@belarus AND @sanctions"
    within: paragraph
"""
    return parse_config(text, file="test.yaml", env={})


@asynccontextmanager
async def runtime(config: Config) -> AsyncIterator[Service]:
    async with open_service(config) as svc:
        yield svc


async def news_site(http_server: ServerFactory) -> Site:
    server = await http_server()
    site = Site(server)
    site.pages = {
        p.slug: p
        for p in (
            page("us-belarus-deal", "US offers Belarus a deal", *MATCHING),
            page("budget", "Council passes the budget"),
            page(
                "teaser-only", "Weather turns cold",
                teaser="Belarus faces new sanctions over prisoners",
            ),
            page("old-belarus", "Belarus sanctions, last week", *MATCHING, age=timedelta(days=3)),
        )
    }  # fmt: skip
    site.install()
    return site


async def test_first_poll_stores_everything_and_alerts_only_fresh_matches(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    """Backlog is stored but silent; a keyword only in a related-story teaser does not alert."""
    site = await news_site(http_server)
    config = make_config(tmp_path, f"  - {{name: feed, url: '{site.server.url('/feed.xml')}'}}")
    async with runtime(config) as rt:
        report = await rt.poller.poll(config.sources[0])
        assert report.ok and report.stored == 4
        assert await rt.store.count_articles() == 4
        rows = await rt.store.list_outbox()
        assert [r.summary for r in rows] == ["belarus-sanctions: US offers Belarus a deal"]
        (message,) = await rt.store.claim_due(
            now=rows[0].created_at, limit=5, lease=timedelta(minutes=1)
        )
        payload = message.payload
        assert payload["type"] == "watchwire.alert"
        assert payload["article"]["url"] == site.url("us-belarus-deal")
        assert payload["article"]["source"] == "feed"
        assert {m["text"].casefold() for m in payload["matches"]} >= {"sanctions"}


async def test_unchanged_feed_costs_one_conditional_request(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    site = await news_site(http_server)
    config = make_config(tmp_path, f"  - {{name: feed, url: '{site.server.url('/feed.xml')}'}}")
    async with runtime(config) as rt:
        await rt.poller.poll(config.sources[0])
        before = len(site.server.requests)
        report = await rt.poller.poll(config.sources[0])
        after = site.server.requests[before:]
        assert report.ok and report.new == 0
        assert [r.path for r in after] == ["/feed.xml"]
        assert "if-none-match" in after[0].headers


async def test_second_poll_fetches_exactly_the_new_entry(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    site = await news_site(http_server)
    config = make_config(tmp_path, f"  - {{name: feed, url: '{site.server.url('/feed.xml')}'}}")
    async with runtime(config) as rt:
        await rt.poller.poll(config.sources[0])
        site.publish(
            page(
                "new-sanctions", "EU widens Belarus sanctions",
                "European Union ministers agreed on Monday to widen sanctions on Belarus, "
                "adding forty officials and three state companies to the list.",
                "The measures take effect at once and will be reviewed in six months.",
            )
        )  # fmt: skip
        before = len(site.server.requests)
        report = await rt.poller.poll(config.sources[0])
        paths = [r.path for r in site.server.requests[before:]]
        assert paths == ["/feed.xml", "/news/new-sanctions"]
        assert report.new == 1 and report.stored == 1 and report.alerts == 1


async def test_sitemap_and_listing_sources_find_the_same_articles(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    site = await news_site(http_server)
    config = make_config(
        tmp_path,
        f"  - {{name: map, url: '{site.server.url('/sitemap.xml')}'}}\n"
        f"  - {{name: list, url: '{site.server.url('/news')}', kind: listing, links: 'article a'}}",
    )
    async with runtime(config) as rt:
        first = await rt.poller.poll(config.sources[0])
        second = await rt.poller.poll(config.sources[1])
        assert first.stored == 4
        assert second.discovered == 4 and second.new == 0  # already stored via the sitemap
        assert await rt.store.count_articles() == 4


async def test_syndicated_copy_joins_the_story_and_does_not_alert_again(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    one = await news_site(http_server)
    two = Site(await http_server())
    two.pages = {
        "wire-copy": page(
            "wire-copy", "Washington and Minsk near prisoner deal",
            "By Wire Staff", *MATCHING, "Read also: more news from the region.",
        )
    }  # fmt: skip
    two.install()
    config = make_config(
        tmp_path,
        f"  - {{name: one, url: '{one.server.url('/feed.xml')}'}}\n"
        f"  - {{name: two, url: '{two.server.url('/feed.xml')}'}}",
    )
    async with runtime(config) as rt:
        await rt.poller.poll(config.sources[0])
        report = await rt.poller.poll(config.sources[1])
        assert report.stored == 1 and report.alerts == 0
        rows = {r.url: r for r in await rt.store.search(search_query('"political prisoners"', {}))}
        original, copy = rows[one.url("us-belarus-deal")], rows[two.url("wire-copy")]
        assert original.story_id == copy.story_id
        copies = await rt.store.story_copies(copy.story_id)
        assert {one.url("us-belarus-deal"), two.url("wire-copy")} <= set(copies)


async def test_failing_source_backs_off_then_recovers(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    """A dead feed is logged and retried later; it comes back by itself."""
    server = await http_server()
    state = {"up": False}

    async def feed(request: object, response: object) -> None:
        from tests.support.httpserver import Response

        assert isinstance(response, Response)
        if state["up"]:
            await response.send(200, b'<rss version="2.0"><channel><title>x</title></channel>'
                                b"</rss>", {"Content-Type": "application/rss+xml"})  # fmt: skip
        else:
            await response.send(404, b"gone", {"Content-Type": "text/plain"})

    server.route("/feed.xml")(feed)  # type: ignore[arg-type]
    config = make_config(tmp_path, f"  - {{name: feed, url: '{server.url('/feed.xml')}'}}")
    source = config.sources[0]
    async with runtime(config) as rt:
        assert not (await rt.poller.poll(source)).ok
        assert not (await rt.poller.poll(source)).ok
        st = await rt.store.source_state("feed")
        assert st is not None and st.consecutive_failures == 2 and st.next_poll_at is not None
        assert (await rt.poller.poll(source)).skipped  # backing off: no request made
        state["up"] = True
        assert (await rt.poller.poll(source, force=True)).ok
        st = await rt.store.source_state("feed")
        assert st is not None and st.consecutive_failures == 0


async def test_home_page_source_follows_its_autodiscovered_feed(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    site = await news_site(http_server)
    site.server.route("/")(
        html(
            '<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
            "</head><body><nav><a href='/about'>About</a></nav></body></html>"
        )
    )
    config = make_config(tmp_path, f"  - {{name: home, url: '{site.server.url('/')}'}}")
    async with runtime(config) as rt:
        report = await rt.poller.poll(config.sources[0])
        assert report.ok and report.stored == 4
        assert len(site.server.hits("/feed.xml")) == 1


async def test_a_feed_only_feedparser_reads_is_read_in_a_sandbox(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    """An HTML entity makes the feed ill-formed XML: feedparser reads it, in a worker (none is
    kept for bursts here), and its articles are stored as from any feed."""
    site = await news_site(http_server)
    links = "".join(f"<item><title>{p.title} &nbsp;</title><link>{site.url(p.slug)}</link></item>"
                    for p in site.pages.values())  # fmt: skip
    site.server.route("/broken.xml")(
        html(f'<rss version="2.0"><channel>{links}</channel></rss>', content_type="text/xml")
    )
    config = make_config(tmp_path, f"  - {{name: broken, url: '{site.server.url('/broken.xml')}'}}")
    async with runtime(config) as rt:
        assert not rt.workers.running
        report = await rt.poller.poll(config.sources[0])
        assert rt.workers.running  # started for the feed, stopped when idle
        assert report.ok and report.stored == 4, report


async def test_a_sandbox_that_cannot_start_fails_the_poll_in_words_and_the_next_one_reads_it(
    tmp_path: Path, http_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No process can be started (here: the interpreter is gone, as after an upgrade under a
    running service; in life also a process or memory limit): the poll fails with the reason,
    nothing is given up, and once processes start again the next poll stores the articles."""
    site = await news_site(http_server)
    links = "".join(f"<item><title>{p.title} &nbsp;</title><link>{site.url(p.slug)}</link></item>"
                    for p in site.pages.values())  # fmt: skip
    site.server.route("/broken.xml")(
        html(f'<rss version="2.0"><channel>{links}</channel></rss>', content_type="text/xml")
    )
    config = make_config(tmp_path, f"  - {{name: broken, url: '{site.server.url('/broken.xml')}'}}")
    async with runtime(config) as rt:
        with monkeypatch.context() as m:
            m.setattr(sys, "executable", str(tmp_path / "no-such-python"))
            failed = await rt.poller.poll(config.sources[0], force=True)
        assert not failed.ok
        assert failed.error is not None
        assert "no process could be started to parse it" in failed.error, failed.error
        assert "next poll tries again" in failed.error
        assert await rt.store.count_articles() == 0
        again = await rt.poller.poll(config.sources[0], force=True)
        assert again.ok and again.stored == 4, again
