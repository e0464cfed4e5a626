"""``check``'s verdicts, input detection, and the verbs a feed-reader user looks for:
``discover``, ``alerts list|show``, ``notify-test``, OPML import and export (issue 16, items 7
and 10 and the missing verbs), through the real command in a subprocess."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from tests.cli.conftest import ConfigWriter, Hook, webhook
from tests.pipeline.site import Site, page
from tests.pipeline.test_poll import MATCHING
from tests.support.cli import run_cli
from watchwire.opml import OpmlError, read_opml

pytestmark = pytest.mark.timeout(90)


def _source(site: Site) -> str:
    return f'  - {{name: site, url: "{site.server.url("/feed.xml")}"}}'


async def test_check_says_what_once_would_do_for_each_rule(
    news: Site, hook: Hook, write_config: ConfigWriter
) -> None:
    """Would alert; then, once alerted, 'already alerted as story N'; backlog for an old page;
    a disabled rule and a rule of other sources are said to be so, not silently skipped."""
    news.publish(page("old", "Belarus sanctions, last week", *MATCHING, age=timedelta(days=3)))
    rules = """
rules:
  - {name: belarus-sanctions, query: "Belarus AND sanction*", within: paragraph}
  - {name: potash, query: "potash NEAR/5 exports", enabled: false}
  - {name: elsewhere, query: "Belarus", sources: [other]}
"""
    config = write_config(
        sources=_source(news) + '\n  - {name: other, url: "https://other.example/feed.xml"}',
        channels=webhook(hook.url), rules=rules,
    )  # fmt: skip
    fresh, old = await asyncio.gather(
        run_cli("check", news.url("deal"), "--source", "site", "-c", config),
        run_cli("check", news.url("old"), "--source", "site", "-c", config),
    )
    assert fresh.code == 0, fresh
    assert "ALERT      belarus-sanctions: would alert ops" in fresh.out
    assert "DISABLED   potash: matches, but the rule is disabled" in fresh.out
    assert "SOURCE     elsewhere: matches, but site is not one of the rule's sources (other)" \
        in fresh.out  # fmt: skip
    assert "BACKLOG    belarus-sanctions: matches, but it is backlog: published 3d ago" in old.out
    alerted = await run_cli("once", "--source", "site", "-c", config, "--drain-timeout", "10")
    assert alerted.code == 0, alerted
    again = await run_cli("check", news.url("deal"), "--source", "site", "-c", config, "--json")
    verdicts = {v["rule"]: v for v in map(json.loads, again.out.splitlines())}
    assert verdicts["belarus-sanctions"]["verdict"] == "alerted"
    assert verdicts["belarus-sanctions"]["detail"].startswith(
        "matches, but its story was alerted already, as story "
    )
    assert verdicts["potash"]["verdict"] == "disabled"


async def test_extract_and_check_say_what_the_input_is_when_it_is_no_article(
    news: Site, write_config: ConfigWriter, tmp_path: Path
) -> None:
    toml = tmp_path / "pyproject.toml"
    toml.write_text('[project]\nname = "x"\n')
    config = write_config(sources=_source(news))
    feed, listing, text, good = await asyncio.gather(
        run_cli("check", news.server.url("/feed.xml"), "-c", config),
        run_cli("extract", news.server.url("/news")),
        run_cli("extract", toml),
        run_cli("extract", news.url("deal")),
    )
    assert feed.code == 1
    assert feed.err == (
        f"watchwire: {news.server.url('/feed.xml')} is an RSS feed listing 2 article links: not "
        f"an article page; `watchwire discover {news.server.url('/feed.xml')}` lists what it "
        "holds\n"
    )
    assert listing.code == 1
    assert "is an HTML page, but no article text was found in it" in listing.err
    assert text.code == 1 and text.err == f"watchwire: {toml} is plain text, not an HTML page\n"
    assert good.code == 0 and json.loads(good.out)["title"].startswith("US offers Belarus")


async def test_discover_shows_what_a_source_yields(news: Site) -> None:
    feed, home = await asyncio.gather(
        run_cli("discover", news.server.url("/feed.xml")),
        run_cli("discover", news.server.url("/news"), "--links", "article h2 a", "--json"),
    )
    assert feed.code == 0, feed
    lines = feed.out.splitlines()
    assert lines[0] == f"{news.server.url('/feed.xml')}: an RSS feed “Test news”"
    assert lines[1] == "  2 article links"
    assert news.url("deal") in feed.out and "US offers Belarus a deal" in feed.out
    listing = json.loads(home.out)
    assert listing["kind"] == "page" and listing["format"] == "an HTML page"
    assert {link["url"] for link in listing["links"]} >= {news.url("deal"), news.url("budget")}


async def test_alerts_list_and_show_every_delivery_with_the_receivers_answer(
    news: Site, hook: Hook, write_config: ConfigWriter
) -> None:
    hook.status, hook.body = 503, b"busy"
    config = write_config(
        sources=_source(news), channels=webhook(hook.url, retry="{first: 1s, max: 1s, give_up: 1h}")
    )
    first = await run_cli("once", "-c", config, "--drain-timeout", "0.5")
    assert first.code == 1, first
    hook.status, hook.body = 202, b"queued as 7"
    assert (await run_cli("once", "-c", config, "--drain-timeout", "10")).code == 0
    listed, potash = await asyncio.gather(
        run_cli("alerts", "list", "-c", config),
        run_cli("alerts", "list", "--rule", "potash", "--state", "delivered", "--since", "1h",
                "--json", "-c", config),
    )  # fmt: skip
    header = listed.out.splitlines()[0].split()
    assert header == ["made", "state", "channel", "rule", "id", "article"]
    assert "US offers Belarus a deal" in listed.out and news.url("deal") in listed.out
    (row,) = [json.loads(line) for line in potash.out.splitlines()]
    assert (row["rule"], row["state"], row["url"]) == ("potash", "delivered", news.url("deal"))
    shown = await run_cli("alerts", "show", row["id"], "-c", config)
    assert shown.code == 0, shown
    assert f"alert {row['id']}: delivered" in shown.out
    assert "deliveries (2):" in shown.out
    attempts = [line for line in shown.out.splitlines() if line.startswith("  #")]
    assert "retry" in attempts[0] and "HTTP 503" in attempts[0] and "busy" in attempts[0]
    assert "delivered" in attempts[1] and "HTTP 202" in attempts[1] and "queued as 7" in attempts[1]
    as_json = json.loads((await run_cli("alerts", "show", row["id"], "--json", "-c", config)).out)
    assert [d["outcome"] for d in as_json["deliveries"]] == ["retry", "delivered"]
    assert as_json["payload"]["rule"] == "potash"
    missing = await run_cli("alerts", "show", "nope", "-c", config)
    assert missing.code == 1 and "no alert with id nope" in missing.err


async def test_notify_test_sends_one_test_alert_and_shows_the_answer(
    hook: Hook, write_config: ConfigWriter
) -> None:
    config = write_config(sources="  []", channels=webhook(hook.url))
    ok = await run_cli("notify-test", "ops", "-c", config)
    assert ok.code == 0, ok
    assert ok.out.splitlines()[-1].startswith("delivered in ")
    assert ok.out.splitlines()[-1].endswith(" ms: HTTP 200 OK: thanks")
    (request,) = hook.received
    assert "webhook-signature" in request.headers
    hook.status, hook.body = 500, b"broken"
    failed, unknown = await asyncio.gather(
        run_cli("notify-test", "ops", "-c", config),
        run_cli("notify-test", "opz", "-c", config),
    )
    assert failed.code == 1
    assert "(would be retried): HTTP 500 Internal Server Error: broken" in failed.out
    assert unknown.code == 2 and "no channel named 'opz' (channels: ops)" in unknown.err


OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="Ukraine">
    <outline type="rss" text="UNN English" xmlUrl="https://unn.ua/en/rss/news"/>
    <outline type="rss" text="\xd0\x9d\xd0\xbe\xd0\xb2\xd0\xb8\xd0\xbd\xd0\xb8" xmlUrl="https://www.pravda.com.ua/rss/"/>
  </outline>
  <outline type="rss" text="Already here" xmlUrl="https://news.example/feed.xml"/>
</body></opml>"""


async def test_opml_import_writes_sources_to_add_and_export_prints_opml(
    write_config: ConfigWriter, tmp_path: Path
) -> None:
    config = write_config(
        sources='  - {name: site, url: "https://news.example/feed.xml"}\n'
                '  - {name: map, url: "https://news.example/sitemap.xml", kind: sitemap}',
    )  # fmt: skip
    opml = tmp_path / "feeds.opml"
    opml.write_bytes(OPML)
    imported, exported = await asyncio.gather(
        run_cli("sources", "import", opml, "-c", config),
        run_cli("sources", "export", "-c", config),
    )
    assert imported.code == 0, imported
    assert imported.out.startswith("# 2 source(s) from feeds.opml; 1 left out (already in the")
    assert yaml.safe_load(imported.out)["sources"] == [
        {"name": "unn-english", "url": "https://unn.ua/en/rss/news"},
        {"name": "www.pravda.com.ua", "url": "https://www.pravda.com.ua/rss/"},
    ]
    assert exported.code == 0, exported
    outlines = ET.fromstring(exported.out).findall("./body/outline")
    assert [(o.get("text"), o.get("xmlUrl")) for o in outlines] == [
        ("site", "https://news.example/feed.xml")
    ]
    assert exported.err == "watchwire: left out, not feeds: map (sitemap)\n"


def test_opml_with_a_doctype_is_refused_before_parsing() -> None:
    """Entities (the "billion laughs") live in a DOCTYPE: such a file is not parsed at all."""
    bomb = b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body/></opml>'
    with pytest.raises(OpmlError, match="DOCTYPE"):
        read_opml(bomb)
    assert [f.category for f in read_opml(OPML)] == ["Ukraine", "Ukraine", None]
