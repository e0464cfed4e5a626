"""The dashboard in a real browser: ``watchwire run`` (a subprocess) watching a loopback news
site, alerting a loopback webhook receiver, and Chromium (Playwright) reading its pages.

Every page is opened with its console watched: a page that logs an error fails the test. A
screenshot of each page is written (``tests/support/browser.py`` says where).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import ServiceProcess, eventually, http_port
from tests.support.browser import Browser, open_browser
from watchwire.demo import DEMO_TERMS, NewsSite, Story, WebhookReceiver, load_stories
from watchwire.timeutil import utcnow

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]

HOSTILE = "<img src=x onerror=window.pwned=1>Belarus sanctions"


def hostile_story() -> Story:
    return Story(
        slug="hostile-title",
        title=HOSTILE,
        language="en",
        lead="Belarus faces new sanctions over potash.",
        body=(
            "The European Union agreed new sanctions on Belarus on Monday, officials said.",
            "The measures target potash exports and state banks.",
        ),
        published_at=utcnow() - timedelta(minutes=10),
    )


@dataclass
class Running:
    site: NewsSite
    receiver: WebhookReceiver
    service: ServiceProcess
    base: str


@asynccontextmanager
async def running(
    tmp_path: Path, start: Callable[[Path], ServiceProcess], *, fail_first: bool = False
) -> AsyncIterator[Running]:
    """The site (a real story and one with a hostile title), the receiver, and the service,
    once both stories have alerted (or, with ``fail_first``, once the first alert failed)."""
    (bargain,) = load_stories(["us-offers-belarus-grand-bargain"])
    stories = [bargain.published(utcnow() - timedelta(minutes=30)), hostile_story()]
    async with NewsSite(stories=stories) as site, WebhookReceiver() as receiver:
        if fail_first:
            receiver.fail_next(410)  # Gone: the dispatcher gives up at once
        config = tmp_path / "watchwire.yaml"
        config.write_text(
            f"""
storage: watchwire.db
http: {{listen: "127.0.0.1:0"}}
crawl: {{interval: 2s, per_host_delay: 0s, timeout: 5s}}
sources:
  - {{name: kyiv-wire, url: "{site.feed_url}"}}
  - {{name: kyiv-map, url: "{site.sitemap_url}"}}
channels:
  ops: {{type: webhook, url: "{receiver.url}", secret: "{receiver.secret}"}}
terms: {json.dumps({k: list(v) for k, v in DEMO_TERMS.items()}, ensure_ascii=False)}
rules:
  - {{name: belarus-sanctions, query: "@belarus AND @sanctions", within: paragraph}}
  - {{name: belarus-harvest, query: "Belarus AND harvest AND potash", within: sentence}}
""",
            encoding="utf-8",
        )
        service = start(config)
        port = await http_port(service)
        # Two alerts tried: both delivered, or (fail_first) one refused for good and one not.
        await eventually(lambda: len(receiver.requests) >= 2, within=60, what="two alerts",
                         alive=service)  # fmt: skip
        yield Running(site, receiver, service, f"http://127.0.0.1:{port}")
        assert await service.terminate() == 0, service.tail()


async def no_horizontal_scroll(page: Page) -> bool:
    return bool(await page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    ))  # fmt: skip


async def test_the_dashboard_shows_sources_alerts_and_search_in_a_browser(
    tmp_path: Path, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    async with running(tmp_path, watchwire_cli) as run, open_browser(tmp_path) as browser:
        page = await browser.page()
        await page.goto(run.base + "/")
        await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        sources = page.get_by_role("table", name="Sources by health")
        await expect(sources).to_contain_text("kyiv-wire")
        await expect(sources).to_contain_text("kyiv-map")
        latest = page.get_by_role("table", name="Latest alerts")
        await expect(latest).to_contain_text("belarus-sanctions")
        await expect(page.locator("svg.chart rect.bar-articles")).to_have_count(14)
        await browser.shot(page, "overview")

        await hostile_title_is_text(browser, page, run.base)
        await search_marks_the_words(browser, page, run.base)

        # A single key goes to a page (the one script's keyboard shortcuts).
        await page.goto(run.base + "/")
        await page.keyboard.press("s")
        await expect(page).to_have_url(run.base + "/sources")
        await expect(page.locator("table")).to_contain_text("ok")
        await browser.shot(page, "sources")
        await page.get_by_role("link", name="kyiv-wire", exact=True).click()
        await expect(page.get_by_role("heading", name="kyiv-wire")).to_be_visible()
        await expect(page.get_by_role("table", name="Recent polls")).to_contain_text("HTTP 200")
        await browser.shot(page, "source")

        await page.goto(run.base + "/stories")
        await page.locator("table a").first.click()
        await expect(page.get_by_role("table", name="Copies")).to_contain_text("kyiv-")
        await browser.shot(page, "story")

        phone = await browser.page(width=390, height=844)
        for path in ("/", "/sources", "/search?q=belarus", "/stories"):
            await phone.goto(run.base + path)
            assert await no_horizontal_scroll(phone), f"{path} scrolls sideways on a phone"
        await phone.goto(run.base + "/")
        await browser.shot(phone, "overview-phone")
        assert browser.errors == []


async def hostile_title_is_text(browser: Browser, page: Page, base: str) -> None:
    """The title a hostile page gave is shown as the text it is, and its script never runs."""
    await page.goto(base + "/search?q=" + "belarus")
    link = page.locator(".hits h3 a", has_text="onerror")
    await expect(link).to_have_count(1)
    assert await link.text_content() == HOSTILE
    assert await page.locator(".hits img").count() == 0
    assert await page.evaluate("window.pwned") is None
    await page.goto(base + "/")
    assert await page.locator("main img").count() == 0
    assert await page.evaluate("window.pwned") is None
    await expect(page.get_by_role("table", name="Latest alerts")).to_contain_text(HOSTILE)


async def search_marks_the_words(browser: Browser, page: Page, base: str) -> None:
    await page.goto(base + "/search")
    await page.get_by_label("Query, in the rule language").fill("@belarus AND sanction*")
    await page.get_by_role("button", name="Search").click()
    await expect(page).to_have_url(base + "/search?q=%40belarus+AND+sanction*&rule=&since=")
    hits = page.locator(".hits li")
    await expect(hits).to_have_count(2)
    marks = [m.lower() for m in await page.locator(".hits mark").all_text_contents()]
    assert any(m.startswith("belarus") for m in marks) and any(
        m.startswith("sanction") for m in marks
    )
    await expect(page.locator(".summary")).to_contain_text("2 articles")
    await browser.shot(page, "search")


async def test_the_search_form_works_without_scripts(
    tmp_path: Path, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    async with (
        running(tmp_path, watchwire_cli) as run,
        open_browser(tmp_path, javascript=False) as browser,
    ):
        page = await browser.page()
        await page.goto(run.base + "/search")
        await page.get_by_label("or replay a rule").select_option("belarus-sanctions")
        await page.get_by_label("Published within").fill("7d")
        await page.get_by_role("button", name="Search").click()
        await expect(page.locator(".summary")).to_contain_text("Replayed rule belarus-sanctions")
        await expect(page.locator(".hits li")).to_have_count(2)
        assert browser.errors == []


async def test_a_failed_alert_is_retried_from_its_page_and_delivered(
    tmp_path: Path, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    async with (
        running(tmp_path, watchwire_cli, fail_first=True) as run,
        open_browser(tmp_path) as browser,
    ):
        assert len(run.receiver.received) == 1  # the other one was refused: 410 Gone
        page = await browser.page()
        await page.goto(run.base + "/alerts")
        await page.get_by_label("State").select_option("failed")
        await page.get_by_role("button", name="Filter").click()
        rows = page.get_by_role("table", name="Alerts, newest first").locator("tbody tr")
        await expect(rows).to_have_count(1)
        await browser.shot(page, "alerts")
        await rows.first.locator("td.title a").first.click()
        await expect(page.locator(".state").first).to_have_text("failed")
        tries = page.get_by_role("table", name="Delivery tries")
        await expect(tries).to_contain_text("410")
        await expect(page.locator("blockquote.snippet mark").first).to_be_visible()
        marks = await page.locator("blockquote.snippet mark").all_text_contents()
        assert any(m.lower().startswith(("belarus", "sanction")) for m in marks), marks
        ident = page.url.rsplit("/", 1)[1]
        await browser.shot(page, "alert-failed")

        await page.get_by_role("button", name="Retry").click()
        await expect(page.get_by_role("status")).to_contain_text("Requeued")
        assert page.url == f"{run.base}/alerts/{ident}?retried=1"
        await eventually(lambda: any(h.id == ident for h in run.receiver.received), within=20,
                         what="the retried alert at the receiver", alive=run.service)  # fmt: skip
        await page.reload()
        await expect(page.locator(".state").first).to_have_text("delivered")
        await expect(tries).to_contain_text("delivered")
        await browser.shot(page, "alert")
        assert browser.errors == []


async def test_the_playground_explains_a_near_miss(
    tmp_path: Path, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    near = (
        "<html><head><title>Potash trade</title></head><body><article><h1>Potash trade</h1>"
        "<p>Potash prices rose again this week across the region.</p>"
        "<p>Separately, Belarus said its harvest was early. New sanctions were not discussed"
        " by anyone at the meeting in the capital on Tuesday.</p></article></body></html>"
    )
    async with running(tmp_path, watchwire_cli) as run, open_browser(tmp_path) as browser:
        page = await browser.page()
        await page.goto(run.base + "/playground")
        await page.get_by_label("Its HTML, or its text").fill(near)
        await page.get_by_label("A configured rule").select_option("belarus-harvest")
        await page.get_by_role("button", name="Try it").click()
        verdict = page.locator("section.verdict")
        await expect(verdict).to_have_count(1)
        await expect(verdict).to_contain_text("belarus-harvest: no match")
        await expect(verdict).to_contain_text("Why not: the terms occur, but not within one")
        await expect(page.get_by_text("Potash trade").first).to_be_visible()
        await browser.shot(page, "playground")
        # Every rule, judged as `watchwire check` would: the other one matches, and would alert.
        await page.get_by_label("A configured rule").select_option("")
        await page.get_by_role("button", name="Try it").click()
        matched = page.locator("section.verdict.matched")
        await expect(matched).to_contain_text("belarus-sanctions: matches")
        await expect(matched.locator("mark").first).to_be_visible()
        assert browser.errors == []
