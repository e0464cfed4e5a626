"""``run_service`` in this process: the scheduler drives polls, drains and digests."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.pipeline.site import Site, page
from tests.pipeline.test_poll import MATCHING
from tests.support.httpserver import ServerFactory
from watchwire.config import Config, parse_config
from watchwire.scheduler import Scheduler
from watchwire.service import _schedule, run_service
from watchwire.store import locate_store, open_store


def config_for(
    tmp_path: Path, feed: str, *, query: str = "@belarus AND @sanctions", interval: str = "1s",
    more: tuple[str, ...] = (),
) -> Config:  # fmt: skip
    extra = "".join(f'\n  - {{name: {name}, url: "{feed}?{name}"}}' for name in more)
    return parse_config(
        f"""
storage: {tmp_path / "w.db"}
crawl: {{interval: {interval}, per_host_delay: 0s, timeout: 5s}}
sources:
  - {{name: site, url: "{feed}"}}{extra}
channels:
  now: {{type: console}}
  daily: {{type: console, digest: 1s}}
terms:
  belarus: [Belarus, Belarusian*]
  sanctions: [sanction*]
rules:
  - {{name: r1, query: "{query}"}}
""",
        file=str(tmp_path / "w.yaml"),
        env={},
        path=tmp_path / "w.yaml",
    )


async def wait_until(check: object, *, every: asyncio.Event) -> None:
    """Re-check after each event, bounded: the service signals progress by fetching."""
    assert callable(check)
    async with asyncio.timeout(15):
        while not await check():
            every.clear()
            await every.wait()


async def test_scheduler_polls_delivers_and_seals_digests(
    tmp_path: Path, http_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    site = Site(await http_server())
    site.pages = {"deal": page("deal", "US offers Belarus a deal", *MATCHING)}
    site.install()
    fetched = asyncio.Event()
    original = site.server._handler  # tap every request: the progress signal we wait on

    def tapped(path: str):  # type: ignore[no-untyped-def]
        fetched.set()
        return original(path)

    monkeypatch.setattr(site.server, "_handler", tapped)
    config = config_for(tmp_path, site.server.url("/feed.xml"))
    stop, reload = asyncio.Event(), asyncio.Event()
    service = asyncio.create_task(run_service(config, stop=stop, reload=reload,
                                              loader=lambda: config))  # fmt: skip

    async def delivered_both() -> bool:
        return out.getvalue().count("US offers Belarus a deal") == 2  # immediate + digest

    try:
        await wait_until(delivered_both, every=fetched)
        reload.set()  # same config again: jobs are replaced, nothing repeats
        site.publish(page("more", "Quiet day", "Nothing to see here at all, really."))
        await wait_until(lambda: _stored(tmp_path, 2), every=fetched)
    finally:
        stop.set()
        async with asyncio.timeout(20):
            await service
    assert out.getvalue().count("US offers Belarus a deal") == 2
    async with open_store(locate_store(tmp_path / "w.db")) as store:
        counts = await store.outbox_counts()
    assert counts["delivered"] == 2 and counts["pending"] == 0 and counts["queued"] == 0


async def _stored(tmp_path: Path, n: int) -> bool:
    async with open_store(locate_store(tmp_path / "w.db")) as store:
        return await store.count_articles() == n


async def test_a_reload_keeps_each_job_in_its_place(tmp_path: Path) -> None:
    """Digests and the memory job keep their next run across a reload (a source's place is
    the store's: tests/store/contract/test_schedule.py); the jobs of the rota are there."""
    feed = "http://127.0.0.1:9/feed.xml"
    config = config_for(tmp_path, feed, interval="1h")
    more = config_for(tmp_path, feed, interval="1h", more=("other",))
    rt = SimpleNamespace(
        config=config,
        drain_job=_never,
        memory_job=_never,
        seal_digest=_never,
        keep_job=_never,
        verify_job=_never,
        prune_job=_never,
    )
    async with asyncio.TaskGroup() as tg:
        scheduler = Scheduler(tg)  # never started: nothing runs, only the plan is read
        _schedule(rt, scheduler)  # type: ignore[arg-type]
        assert {"sources", "leases", "outbox", "memory", "retention", "digest:daily"} <= (
            scheduler.job_ids()
        )
        assert not any(job.startswith("source:") for job in scheduler.job_ids())
        digest, memory = scheduler.next_run("digest:daily"), scheduler.next_run("memory")
        rt.config = more
        _schedule(rt, scheduler)  # type: ignore[arg-type]
        assert scheduler.next_run("digest:daily") == digest  # not pushed a period out
        assert scheduler.next_run("memory") == memory
        await scheduler.stop(grace=0)


async def _never(*_: object) -> None:
    raise AssertionError("the scheduler was not started")
