"""``watchwire once`` as cron runs it: exit status, this run's own numbers, errors in words,
``--source`` and ``--dry-run`` (issue 16, items 1, 2 and 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import ConfigWriter, Hook, webhook
from tests.pipeline.site import Site
from tests.support.cli import run_cli
from tests.support.httpserver import ServerFactory, status

pytestmark = pytest.mark.timeout(90)

DEAD = "http://127.0.0.1:9/feed.xml"
"""Nothing listens on the discard port: connection refused."""


async def test_once_exits_0_when_every_source_was_read_and_every_alert_delivered(
    news: Site, hook: Hook, write_config: ConfigWriter
) -> None:
    config = write_config(sources=f'  - {{name: site, url: "{news.server.url("/feed.xml")}"}}',
                          channels=webhook(hook.url))  # fmt: skip
    done = await run_cli("once", "-c", config, "--drain-timeout", "10")
    assert done.code == 0, done
    assert len(hook.received) == 2  # one story, two rules
    assert "alerts made by this run: 2 (one per rule, story and channel)" in done.out
    assert "delivered by this run: 2; failed: 0; waiting for a retry: 0" in done.out


async def test_once_exits_1_and_says_which_source_and_which_alert_failed(
    news: Site, hook: Hook, write_config: ConfigWriter
) -> None:
    """A dead source and a receiver that refuses for good (410): exit 1, each named."""
    hook.status, hook.body = 410, b"this hook is gone"
    config = write_config(
        sources=f'  - {{name: site, url: "{news.server.url("/feed.xml")}"}}\n'
                f'  - {{name: dead, url: "{DEAD}"}}',
        channels=webhook(hook.url),
    )  # fmt: skip
    done = await run_cli("once", "-c", config, "--drain-timeout", "10")
    assert done.code == 1, done
    assert "dead                     FAILED  connection refused by 127.0.0.1:9" in done.out
    assert "failed: 2" in done.out
    assert "failed, not retried: HTTP 410 Gone: this hook is gone" in done.out
    assert done.err.splitlines()[-1] == "watchwire: 1 source failed; 2 alerts failed"
    assert "Traceback" not in done.err


async def test_an_alert_waiting_for_a_retry_when_once_stops_is_a_failure(
    news: Site, hook: Hook, write_config: ConfigWriter
) -> None:
    hook.status = 503
    config = write_config(
        sources=f'  - {{name: site, url: "{news.server.url("/feed.xml")}"}}',
        channels=webhook(hook.url, retry="{first: 1h, max: 1h, give_up: 1d}"),
    )
    done = await run_cli("once", "-c", config, "--drain-timeout", "3")
    assert done.code == 1, done
    assert "waiting for a retry: 2" in done.out
    assert "still waiting for a retry" in done.err


async def test_an_alert_queued_for_a_digest_is_not_a_failure(
    news: Site, hook: Hook, write_config: ConfigWriter
) -> None:
    config = write_config(sources=f'  - {{name: site, url: "{news.server.url("/feed.xml")}"}}',
                          channels=webhook(hook.url, extra=", digest: 1d"))  # fmt: skip
    done = await run_cli("once", "-c", config, "--drain-timeout", "3")
    assert done.code == 0, done
    assert hook.received == []
    assert "alerts made by this run: 2 (one per rule, story and channel), 2 of them queued " \
           "for a digest" in done.out  # fmt: skip


async def test_the_summary_counts_this_run_not_the_whole_store(
    news: Site, hook: Hook, write_config: ConfigWriter
) -> None:
    """The second run made and delivered nothing, whatever the store holds from the first."""
    config = write_config(sources=f'  - {{name: site, url: "{news.server.url("/feed.xml")}"}}',
                          channels=webhook(hook.url))  # fmt: skip
    first = await run_cli("once", "-c", config, "--drain-timeout", "10")
    second = await run_cli("once", "-c", config, "--drain-timeout", "10")
    assert (first.code, second.code) == (0, 0), second
    assert "alerts made by this run: 0" in second.out
    assert "delivered by this run: 0; failed: 0; waiting for a retry: 0" in second.out


async def test_failures_are_said_as_they_are_and_promise_no_retry(
    http_server: ServerFactory, write_config: ConfigWriter
) -> None:
    """A refused connection is not "robots.txt disallows it"; a 404 is not retried; `once`
    exits after, so nothing says it is "retrying with back-off"."""
    server = await http_server({"/robots.txt": status(404), "/gone.xml": status(404)})
    gone = server.url("/gone.xml")
    config = write_config(sources=f'  - {{name: dead, url: "{DEAD}"}}\n'
                                  f'  - {{name: gone, url: "{gone}"}}')  # fmt: skip
    done = await run_cli("once", "-c", config, "--drain-timeout", "1")
    assert done.code == 1, done
    assert "connection refused by 127.0.0.1:9" in done.out
    assert "HTTP 404 (not retried)" in done.out
    for misleading in ("disallows", "retrying with back-off", "will retry"):
        assert misleading not in done.out + done.err


async def test_source_polls_only_the_named_sources_and_a_typo_is_a_usage_error(
    news: Site, http_server: ServerFactory, write_config: ConfigWriter
) -> None:
    other = await http_server({"/robots.txt": status(404), "/feed.xml": status(404)})
    config = write_config(
        sources=f'  - {{name: site, url: "{news.server.url("/feed.xml")}"}}\n'
        f'  - {{name: other, url: "{other.url("/feed.xml")}"}}'
    )
    done = await run_cli("once", "-c", config, "--source", "site", "--drain-timeout", "1")
    assert done.code == 0, done
    assert other.requests == [] and "other" not in done.out
    typo = await run_cli("once", "-c", config, "--source", "sitee")
    assert typo.code == 2
    assert typo.err == "watchwire: no source named 'sitee' (sources: site, other)\n"


async def test_a_dry_run_stores_nothing_sends_nothing_and_says_what_would_alert(
    news: Site, hook: Hook, write_config: ConfigWriter, tmp_path: Path
) -> None:
    config = write_config(sources=f'  - {{name: site, url: "{news.server.url("/feed.xml")}"}}',
                          channels=webhook(hook.url))  # fmt: skip
    dry = await run_cli("once", "-c", config, "--dry-run")
    assert dry.code == 0, dry
    assert not (tmp_path / "w.db").exists() and hook.received == []
    assert "dry run: nothing was stored and nothing sent." in dry.out
    assert "belarus-sanctions → ops: US offers Belarus a deal" in dry.out
    assert "2 alert(s) would be written" in dry.out
    real = await run_cli("once", "-c", config, "--drain-timeout", "10")
    assert real.code == 0 and len(hook.received) == 2
    again = await run_cli("once", "-c", config, "--dry-run")
    assert "0 alert(s) would be written" in again.out, again
    listed = await run_cli("alerts", "list", "-c", config, "--json")
    assert len([json.loads(line) for line in listed.out.splitlines()]) == 2
