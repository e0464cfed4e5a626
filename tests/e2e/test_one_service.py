"""One service per embedded store, and what a dead one leaves behind: real processes.

A second ``run`` or ``once`` on a store a live service holds used to be accepted and re-send
the first one's in-flight alerts (the receiver got each twice). Now it is refused, naming the
holder; read-only commands work beside it; after ``kill -9`` the lock is gone with the process
and the next service delivers what the dead one left mid-delivery, once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import ServiceProcess, eventually, run_cli
from watchwire.demo import DEMO_TERMS, NewsSite, WebhookReceiver, load_stories

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

WAIT = 20.0
STORIES = [
    "us-offers-belarus-grand-bargain",
    "yes-prodovzhyv-sanktsii-proty-bilorusi",
    "lytva-zaklykaie-posylyty-sanktsii-kalii",
]


def _config(tmp: Path, site: NewsSite, receiver: WebhookReceiver) -> Path:
    path = tmp / "watchwire.yaml"
    path.write_text(
        f"""
storage: watchwire.db
crawl: {{interval: 1s, timeout: 5s, per_host_delay: 0s}}
sources:
  - {{name: wire-rss, url: "{site.feed_url}"}}
channels:
  ops: {{type: webhook, url: "{receiver.url}", secret: "{receiver.secret}", timeout: 60s}}
terms: {json.dumps({k: list(v) for k, v in DEMO_TERMS.items()}, ensure_ascii=False)}
rules:
  - {{name: belarus-sanctions, query: "@belarus AND @sanctions"}}
""",
        encoding="utf-8",
    )
    return path


async def test_a_second_service_is_refused_and_a_killed_ones_alerts_go_out_once(
    tmp_path: Path, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    stories = load_stories(STORIES)
    async with NewsSite(stories=stories) as site, WebhookReceiver() as receiver:
        receiver.stall()  # every delivery hangs: the first service holds them all in flight
        config = _config(tmp_path, site, receiver)
        first = watchwire_cli(config)
        await eventually(lambda: len(receiver.requests) >= 2, within=WAIT,
                         what="two deliveries in flight", alive=first)  # fmt: skip

        pid = f"pid {first.proc.pid}"
        for command in ("once", "run"):
            refused = await run_cli(command, "-c", str(config), cwd=tmp_path, within=20)
            assert refused.returncode == 1, refused.stderr
            assert "in use by another watchwire service" in refused.stderr
            assert pid in refused.stderr and "Traceback" not in refused.stderr
        listed = await run_cli("alerts", "--json", "-c", str(config), cwd=tmp_path)
        assert listed.returncode == 0, listed.stderr
        states = [json.loads(line)["state"] for line in listed.stdout.splitlines()]
        assert states.count("delivering") == len(states) == 2
        assert len(receiver.requests) == 2  # nobody else sent them

        first.kill()  # SIGKILL: no clean-up; the kernel drops the lock with the process
        receiver.heal()
        second = watchwire_cli(config)
        await eventually(lambda: len(receiver.received) == 2, within=WAIT,
                         what="the two alerts", alive=second)  # fmt: skip
        assert await second.terminate() == 0, second.tail()
    assert "2 alert(s) left mid-delivery by an earlier run are due again" in second.stderr()
    assert receiver.duplicates == []
    assert len({hook.id for hook in receiver.received}) == 2
