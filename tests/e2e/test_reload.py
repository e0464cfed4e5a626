"""SIGHUP: ``watchwire run`` reloads its config; a broken new config is reported, the old kept."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import ServiceProcess, eventually
from watchwire.demo import DEMO_TERMS, NewsSite, Story, WebhookReceiver, load_stories

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

WAIT = 20.0


def _write(path: Path, site: NewsSite, receiver: WebhookReceiver, *, rules: str) -> None:
    path.write_text(
        f"""
storage: watchwire.db
crawl: {{interval: 1s, timeout: 5s, per_host_delay: 0s}}
sources:
  - {{name: wire-rss, url: "{site.feed_url}"}}
channels:
  ops: {{type: webhook, url: "{receiver.url}", secret: "{receiver.secret}"}}
terms: {json.dumps({k: list(v) for k, v in DEMO_TERMS.items()}, ensure_ascii=False)}
rules:
{rules}""",
        encoding="utf-8",
    )


BELARUS = '  - {name: belarus-sanctions, query: "@belarus AND @sanctions", within: paragraph}\n'
GRAIN = '  - {name: grain, query: "grain AND export*", within: paragraph}\n'


def _now(story: Story) -> Story:
    return story.published(datetime.now(UTC))


async def test_sighup_applies_a_new_rule_and_survives_a_broken_config(
    tmp_path: Path, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    """A rule added by SIGHUP alerts on what comes next; a bad config changes nothing."""
    seed, grain, fresh = load_stories(
        ["us-offers-belarus-grand-bargain", "ukraine-grain-exports-danube-ports",
         "lytva-zaklykaie-posylyty-sanktsii-kalii"]
    )  # fmt: skip
    async with NewsSite(stories=[seed]) as site, WebhookReceiver() as receiver:
        config = tmp_path / "watchwire.yaml"
        _write(config, site, receiver, rules=BELARUS)
        w = watchwire_cli(config)
        await eventually(lambda: len(receiver.received) == 1, within=WAIT,
                         what="the first alert", alive=w)  # fmt: skip

        _write(config, site, receiver, rules=BELARUS + GRAIN)
        w.proc.send_signal(signal.SIGHUP)
        await eventually(lambda: "config reloaded" in w.stderr(), within=WAIT,
                         what="the reload", alive=w)  # fmt: skip
        site.publish(_now(grain))
        await eventually(lambda: len(receiver.received) == 2, within=WAIT,
                         what="an alert of the new rule", alive=w)  # fmt: skip

        config.write_text(config.read_text(encoding="utf-8") + "  - {name: broken, query: '(('}\n")
        w.proc.send_signal(signal.SIGHUP)
        await eventually(lambda: "reload failed" in w.stderr(), within=WAIT,
                         what="the failed reload to be reported", alive=w)  # fmt: skip
        site.publish(_now(fresh))
        await eventually(lambda: len(receiver.received) == 3, within=WAIT,
                         what="an alert under the kept config", alive=w)  # fmt: skip
        assert await w.terminate() == 0, w.tail()
    rules = [(h.payload["rule"], h.payload["article"]["url"]) for h in receiver.received]
    assert rules == [
        ("belarus-sanctions", site.story_url(seed)),
        ("grain", site.story_url(grain)),
        ("belarus-sanctions", site.story_url(fresh)),
    ]
