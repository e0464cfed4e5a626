"""Failures on either side delay an alert, never lose it: ``watchwire run`` as a subprocess.

A news page that answers 503 when its story is new, and a webhook receiver that answers 503
to the first deliveries, are what a service meets every day.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import ServiceProcess, eventually
from watchwire.demo import DEMO_TERMS, NewsSite, WebhookReceiver, load_stories

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

WAIT = 20.0
SEED = "us-offers-belarus-grand-bargain"
FRESH = "lytva-zaklykaie-posylyty-sanktsii-kalii"


def _config(tmp: Path, site: NewsSite, receiver: WebhookReceiver) -> Path:
    path = tmp / "watchwire.yaml"
    path.write_text(
        f"""
storage: watchwire.db
crawl: {{interval: 1s, timeout: 5s, per_host_delay: 0s, retries: 0, backfill: 24h}}
sources:
  - {{name: wire-rss, url: "{site.feed_url}"}}
channels:
  ops:
    type: webhook
    url: {receiver.url}
    secret: {receiver.secret}
    retry: {{first: 1s, max: 1s, give_up: 1m}}
terms: {json.dumps({k: list(v) for k, v in DEMO_TERMS.items()}, ensure_ascii=False)}
rules:
  - {{name: belarus-sanctions, query: "@belarus AND @sanctions", within: paragraph}}
""",
        encoding="utf-8",
    )
    return path


async def test_a_story_whose_page_failed_is_fetched_again_on_a_later_poll(
    tmp_path: Path, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    """The page of a new story answers 503 once; the story still alerts, on a later poll."""
    seed, fresh = load_stories([SEED, FRESH])
    async with NewsSite(stories=[seed]) as site, WebhookReceiver() as receiver:
        w = watchwire_cli(_config(tmp_path, site, receiver))
        await eventually(lambda: len(receiver.received) == 1, within=WAIT,
                         what="the first alert", alive=w)  # fmt: skip
        site.fail_next(site.story_path(fresh), 503)
        site.publish(fresh.published(datetime.now(UTC)))
        await eventually(lambda: len(site.hits(site.story_path(fresh))) >= 1, within=WAIT,
                         what="the failing page to be asked for", alive=w)  # fmt: skip
        await eventually(lambda: len(receiver.received) == 2, within=WAIT,
                         what="the alert of the story whose page failed", alive=w)  # fmt: skip
        assert await w.terminate() == 0, w.tail()
    assert [r.status for r in site.hits(site.story_path(fresh))][:2] == [503, 200]
    assert receiver.received[1].payload["article"]["url"] == site.story_url(fresh)


async def test_an_alert_the_receiver_refused_is_delivered_later_once(
    tmp_path: Path, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    """The receiver answers 503 once; the alert arrives on a retry, once, same webhook-id."""
    (seed,) = load_stories([SEED])
    async with NewsSite(stories=[seed]) as site, WebhookReceiver() as receiver:
        receiver.fail_next(503)
        started = time.time()
        w = watchwire_cli(_config(tmp_path, site, receiver))
        await eventually(lambda: len(receiver.received) == 1, within=WAIT,
                         what="the alert after a refusal", alive=w)  # fmt: skip
        assert await w.terminate() == 0, w.tail()
    attempts = [r for r in receiver.requests if r.received_at >= started]
    assert len(attempts) == 2
    assert len({r.headers["webhook-id"] for r in attempts}) == 1
    assert not receiver.duplicates and not receiver.rejected


@pytest.mark.parametrize("outage", ["refusing", "hanging"])
async def test_an_alert_pending_when_the_service_crashed_is_delivered_after_restart(
    tmp_path: Path, watchwire_cli: Callable[[Path], ServiceProcess], outage: str
) -> None:
    """The receiver refuses (503) or hangs; the service is killed (SIGKILL) meanwhile; the
    restarted service delivers the alert at once, and only once."""
    (seed,) = load_stories([SEED])
    async with NewsSite(stories=[seed]) as site, WebhookReceiver() as receiver:
        if outage == "refusing":
            receiver.fail_next(*[503] * 100)
        else:
            receiver.stall()
        config = _config(tmp_path, site, receiver)
        w = watchwire_cli(config)
        await eventually(lambda: len(receiver.requests) >= 1, within=WAIT,
                         what="a delivery attempt", alive=w)  # fmt: skip
        w.kill()
        receiver.heal()
        w2 = watchwire_cli(config)
        await eventually(lambda: len(receiver.received) == 1, within=WAIT,
                         what="the pending alert after the restart", alive=w2)  # fmt: skip
        polls = len(site.hits("/rss.xml"))
        await eventually(lambda: len(site.hits("/rss.xml")) >= polls + 2, within=WAIT,
                         what="more polls", alive=w2)  # fmt: skip
        assert await w2.terminate() == 0, w2.tail()
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(ids) == 1, ids  # every attempt, before and after the crash, is the same alert
    assert len(receiver.received) == 1
