"""Delivery over time: ``watchwire once`` run after run (cron), and a digest channel."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import Mailbox, ServiceProcess, eventually, run_cli
from watchwire.demo import DEMO_TERMS, NewsSite, WebhookReceiver, load_stories

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]


async def _once(config: Path) -> tuple[int, str, str]:
    """Run ``watchwire once`` without blocking the loop that serves the site and receiver."""
    done = await run_cli("once", "-c", str(config), "--drain-timeout", "10", cwd=config.parent,
                         within=40)  # fmt: skip
    return done.returncode, done.stdout, done.stderr


async def test_once_alerts_new_stories_run_after_run_and_repeats_nothing(tmp_path: Path) -> None:
    """Run 1 alerts the fresh story; run 2 sends nothing; run 3 alerts only the new one."""
    seed, fresh = load_stories(
        ["us-offers-belarus-grand-bargain", "lytva-zaklykaie-posylyty-sanktsii-kalii"]
    )
    async with NewsSite(stories=[seed]) as site, WebhookReceiver() as receiver:
        config = tmp_path / "watchwire.yaml"
        config.write_text(
            f"""
storage: watchwire.db
crawl: {{per_host_delay: 0s, timeout: 5s}}
sources:
  - {{name: wire-rss, url: "{site.feed_url}"}}
  - {{name: wire-map, url: "{site.sitemap_url}"}}
channels:
  ops: {{type: webhook, url: "{receiver.url}", secret: "{receiver.secret}"}}
terms: {json.dumps({k: list(v) for k, v in DEMO_TERMS.items()}, ensure_ascii=False)}
rules:
  - {{name: belarus-sanctions, query: "@belarus AND @sanctions", within: paragraph}}
""",
            encoding="utf-8",
        )
        runs = [await _once(config)]
        assert len(receiver.received) == 1
        runs.append(await _once(config))
        assert len(receiver.received) == 1
        site.publish(fresh.published(datetime.now(UTC)))
        runs.append(await _once(config))
    for code, out, err in runs:
        assert code == 0, out + err
        assert "wire-rss" in out and "wire-map" in out
    assert "delivered by this run: 1; failed: 0; waiting for a retry: 0" in runs[0][1]
    assert "delivered by this run: 0; failed: 0" in runs[1][1]
    urls = [h.payload["article"]["url"] for h in receiver.received]
    assert urls == [site.story_url(seed), site.story_url(fresh)]
    assert not receiver.duplicates and not receiver.rejected


async def test_a_digest_channel_sends_one_email_for_the_period(
    tmp_path: Path, mailbox: Mailbox, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    """Two matching stories within one digest period: one email listing both, then nothing."""
    seed, fresh = load_stories(
        ["us-offers-belarus-grand-bargain", "lytva-zaklykaie-posylyty-sanktsii-kalii"]
    )
    async with NewsSite(stories=[seed, fresh.published(datetime.now(UTC))]) as site:
        config = tmp_path / "watchwire.yaml"
        config.write_text(
            f"""
storage: watchwire.db
crawl: {{interval: 1s, per_host_delay: 0s, timeout: 5s}}
sources:
  - {{name: wire-rss, url: "{site.feed_url}"}}
channels:
  analysts:
    type: email
    to: [analyst@example.org]
    from: watchwire@example.org
    smtp: {{host: 127.0.0.1, port: {mailbox.port}, security: none}}
    digest: 3s
terms: {json.dumps({k: list(v) for k, v in DEMO_TERMS.items()}, ensure_ascii=False)}
rules:
  - {{name: belarus-sanctions, query: "@belarus AND @sanctions", within: paragraph}}
""",
            encoding="utf-8",
        )
        w = watchwire_cli(config)
        await eventually(lambda: len(mailbox.messages) >= 1, within=20,
                         what="the digest email", alive=w)  # fmt: skip
        polls = len(site.hits("/rss.xml"))
        await eventually(lambda: len(site.hits("/rss.xml")) >= polls + 4, within=20,
                         what="a few more polls", alive=w)  # fmt: skip
        assert await w.terminate() == 0, w.tail()
    assert len(mailbox.messages) == 1
    (mail,) = mailbox.messages
    assert mail["Subject"] == "[watchwire] digest: 2 alerts"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert site.story_url(seed) in text and site.story_url(fresh) in text
