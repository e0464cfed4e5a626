"""Slow receivers, reloads and stops, with a real ``watchwire run`` process.

Before: one hung webhook held every channel's alerts back (one lock over a whole batch), a
SIGHUP during slow deliveries waited for them and made a SIGTERM take over a minute, and alerts
of a channel removed then re-added by SIGHUP waited five minutes.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import ServiceProcess, eventually, run_cli
from watchwire.demo import DEMO_TERMS, NewsSite, WebhookReceiver, load_stories

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

WAIT = 20.0
SEED, FRESH = "us-offers-belarus-grand-bargain", "lytva-zaklykaie-posylyty-sanktsii-kalii"


def _write(path: Path, site: NewsSite, channels: dict[str, WebhookReceiver]) -> Path:
    listed = "\n".join(
        f'  {name}: {{type: webhook, url: "{r.url}", secret: "{r.secret}", timeout: 30s,'
        " retry: {first: 1s, max: 1s, give_up: 1h}}"
        for name, r in channels.items()
    )
    path.write_text(
        f"""
storage: watchwire.db
crawl: {{interval: 1s, timeout: 5s, per_host_delay: 0s}}
sources:
  - {{name: wire-rss, url: "{site.feed_url}"}}
channels:
{listed}
terms: {json.dumps({k: list(v) for k, v in DEMO_TERMS.items()}, ensure_ascii=False)}
rules:
  - {{name: belarus-sanctions, query: "@belarus AND @sanctions"}}
""",
        encoding="utf-8",
    )
    return path


async def test_a_hung_channel_delays_only_its_own_alerts_and_reload_and_stop_do_not_wait(
    tmp_path: Path, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    seed, fresh = load_stories([SEED, FRESH])
    async with (
        NewsSite(stories=[seed]) as site,
        WebhookReceiver() as slow,
        WebhookReceiver() as fast,
    ):
        slow.stall()
        config = _write(tmp_path / "watchwire.yaml", site, {"slow": slow, "fast": fast})
        w = watchwire_cli(config)
        await eventually(lambda: len(fast.received) == 1 and len(slow.requests) == 1,
                         within=WAIT, what="the first alert, hung on 'slow'", alive=w)  # fmt: skip
        # A new story while 'slow' still hangs (for 30 s): 'fast' has it within seconds.
        published = time.monotonic()
        site.publish(fresh)
        await eventually(lambda: len(fast.received) == 2, within=8,
                         what="the second alert on 'fast'", alive=w)  # fmt: skip
        assert time.monotonic() - published < 8 and slow.received == []

        # A reload while 'slow' hangs is in at once; a stop right after is within the grace.
        w.proc.send_signal(signal.SIGHUP)
        await eventually(lambda: "config reloaded" in w.stderr(), within=5,
                         what="the reload, not waiting on deliveries", alive=w)  # fmt: skip
        w.proc.send_signal(signal.SIGHUP)  # and one more, still under way when SIGTERM comes
        stopping = time.monotonic()
        assert await w.terminate(within=20) == 0, w.tail()
        assert time.monotonic() - stopping < 13  # SHUTDOWN_GRACE (10 s) and the close
    assert slow.received == [] and len(fast.received) == 2


async def test_alerts_of_a_channel_readded_by_sighup_go_out_at_once(
    tmp_path: Path, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    """'late' refused its alert, so it waits in the outbox; a config without 'late' runs for
    a while (its alert untouched); SIGHUP brings 'late' back: delivered in seconds, not
    five minutes."""
    seed, fresh = load_stories([SEED, FRESH])
    async with (
        NewsSite(stories=[seed]) as site,
        WebhookReceiver() as ops,
        WebhookReceiver() as late,
    ):
        late.fail_next(*[503] * 50)
        config = tmp_path / "watchwire.yaml"
        _write(config, site, {"ops": ops, "late": late})
        done = await run_cli("once", "-c", str(config), "--drain-timeout", "1", cwd=tmp_path)
        # 'late' answered 503: its alert waits for a retry, and `once` says so (exit 1).
        assert done.returncode == 1 and "waiting for a retry: 1" in done.stdout, done.stdout
        assert len(ops.received) == 1 and late.received == []
        late.heal()

        _write(config, site, {"ops": ops})
        w = watchwire_cli(config)
        site.publish(fresh)  # proof that drains ran: 'ops' gets the new story's alert
        await eventually(lambda: len(ops.received) == 2, within=WAIT,
                         what="a delivery on 'ops' without 'late'", alive=w)  # fmt: skip
        assert late.received == []

        _write(config, site, {"ops": ops, "late": late})
        w.proc.send_signal(signal.SIGHUP)
        await eventually(lambda: len(late.received) >= 1, within=8,
                         what="the alert of the re-added channel", alive=w)  # fmt: skip
        assert await w.terminate() == 0, w.tail()
