"""`store copy`: every record from one backend into the other, verified, resumable, refused
into a store that holds something else."""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path

import pytest

from tests.store.helpers import T0, intent, new_article
from watchwire.exceptions import StoreError
from watchwire.models import FetchOutcome, FetchResult, Validators
from watchwire.rules import search_query
from watchwire.store import HealthRecord, SourcePlan, Store, locate_store, open_store
from watchwire.store.copy import copy_store
from watchwire.store.records import KINDS, Kind

Opener = Callable[[], AbstractAsyncContextManager[Store]]


@pytest.fixture(params=["sqlite-to-postgresql", "postgresql-to-sqlite"])
def ends(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_dsn: str
) -> tuple[Opener, Opener]:
    lite, pg = locate_store(tmp_path / "w.db"), locate_store(postgres_dsn)
    source, target = (lite, pg) if request.param.startswith("sqlite") else (pg, lite)
    return (lambda: open_store(source)), (lambda: open_store(target))


async def fill(store: Store) -> None:
    """A bit of everything a store holds."""
    rng = random.Random(7)
    fps = [0xF0F0_0000_1234_ABCD, 0xF0F0_0000_1234_ABCC] + [rng.getrandbits(64) for _ in range(5)]
    await store.plan_sources([SourcePlan(name="s1", url="https://a/feed", first_due=T0,
                                         latest_due=T0)], now=T0)  # fmt: skip
    await store.record_poll("s1", url="https://a/feed", now=T0, ok=True, kind="feed")
    await store.record_fetch("s1", FetchResult(url="https://a/feed", final_url="https://a/feed",
                             outcome=FetchOutcome.OK, status=200), now=T0)  # fmt: skip
    await store.save_validators("https://a/feed", Validators(etag='"e"'), body_hash="h", now=T0)
    for i in range(7):
        await store.save_article(
            new_article(f"https://a/{i}", f"Belarus sanctions {i}", published_at=T0 +
                        timedelta(hours=i), simhash=fps[i], band_keys=bands(fps[i])),
            [intent(), intent(channel="mail", digest=True)], now=T0 + timedelta(minutes=i),
        )  # fmt: skip
    await store.seal_digest("mail", now=T0 + timedelta(hours=1))
    (first, *_) = await store.claim_due(now=T0, limit=2, lease=timedelta(minutes=1))
    await store.mark_delivered(first.id, now=T0)


def bands(fp: int) -> tuple[int, ...]:
    return tuple((fp >> (16 * i)) & 0xFFFF for i in range(4))


async def snapshot(store: Store) -> dict[str, object]:
    rows = await store.search(None, limit=100)
    return {
        "articles": rows,
        "search": [r.url for r in await store.search(search_query("sanction*", {}))],
        "copies": await store.story_copies(rows[0].story_id),
        "outbox": sorted(await store.list_outbox(limit=100), key=lambda r: r.id),
        "counts": await store.outbox_counts(),
        "health": await store.source_health(since=T0 - timedelta(days=1)),
        "validators": await store.validators("https://a/feed"),
        "polls": await store.recent_polls("s1"),
        "days": await store.daily_activity(since=T0.date()),
        "stories": await store.stories(),
        "story": await store.story(rows[0].story_id),
    }


async def test_a_copy_holds_what_its_source_holds(ends: tuple[Opener, Opener]) -> None:
    source, target = ends
    async with source() as src:
        await fill(src)
        before = await snapshot(src)
        async with target() as dst:
            report = await copy_store(src, dst, origin="the source")
            assert not report.resumed and report.copied == sum(report.counts.values())
            # Six stories (two copies of one): an alert each on each of two channels.
            assert report.counts["articles"] == 7 and report.counts["stories"] == 6
            assert report.counts["alerts"] == 12
            assert await snapshot(dst) == before
            # What the copy writes next follows the copied ids.
            saved = await dst.save_article(new_article("https://b/1", "new text"), [], now=T0)
            copied = before["articles"]
            assert isinstance(copied, list)
            assert saved.article_id == 8 and saved.story_id > max(r.story_id for r in copied)


async def test_an_interrupted_copy_resumes_and_a_finished_one_is_not_redone(
    ends: tuple[Opener, Opener],
) -> None:
    source, target = ends

    def interrupt(kind: Kind, n: int) -> None:
        if kind.name == "articles":
            raise KeyboardInterrupt

    async with source() as src:
        await fill(src)
        async with target() as dst:
            with pytest.raises(KeyboardInterrupt):
                await copy_store(src, dst, origin="the source", batch=3, progress=interrupt)
            assert await dst.count_records(next(k for k in KINDS if k.name == "articles")) == 3
            with pytest.raises(StoreError, match="unfinished copy of the source, not of another"):
                await copy_store(src, dst, origin="another")
            report = await copy_store(src, dst, origin="the source", batch=3)
            assert report.resumed and report.counts["articles"] == 7
            assert report.copied < sum(report.counts.values())
            with pytest.raises(StoreError, match="already a finished copy of the source"):
                await copy_store(src, dst, origin="the source")


async def test_a_store_that_holds_something_else_is_refused(
    ends: tuple[Opener, Opener],
) -> None:
    source, target = ends
    async with source() as src, target() as dst:
        await fill(src)
        await dst.save_article(new_article("https://z/1", "mine"), [], now=T0)
        with pytest.raises(StoreError, match=r"is not empty \(.* records\) and is not a copy"):
            await copy_store(src, dst, origin="the source")
        assert await dst.count_articles() == 1


async def test_what_retention_and_health_keep_is_copied(ends: tuple[Opener, Opener]) -> None:
    """Ghosts of pruned articles (so nothing pruned alerts again after a move) and sources'
    health states, across a page boundary of the ghosts' bands."""
    source, target = ends
    fps = [0x0123_4567_89AB_CDEF ^ (i << 40) for i in range(4)]
    async with source() as src:
        for i, fp in enumerate(fps):
            old = new_article(f"https://a/{i}", f"old story {i}", simhash=fp, band_keys=bands(fp))
            await src.save_article(old, [intent()], now=T0)
        assert await src.prune_articles(before=T0 + timedelta(days=1), limit=10) == 4
        await src.record_poll("s1", url="https://a/feed", now=T0, ok=False, error="HTTP 500")
        await src.record_health("s1", HealthRecord(state="failing", since=T0, reason="HTTP 500"),
                                [], now=T0)  # fmt: skip
        async with target() as dst:
            report = await copy_store(src, dst, origin="the source", batch=5)
            assert report.counts["ghost_urls"] == 4 and report.counts["ghost_bands"] == 12
            assert await dst.source_states() == await src.source_states()
            # The day's history counts the pruned articles, in the copy too.
            days = await dst.daily_activity(since=T0.date())
            assert days == await src.daily_activity(since=T0.date()) and days[0].articles == 4
            assert await dst.known_urls(["https://a/2"]) == {"https://a/2": None}
            later = T0 + timedelta(days=200)
            near = await dst.save_article(
                new_article("https://b/1", "old story 1, retold", simhash=fps[1] ^ 0b11,
                            band_keys=bands(fps[1] ^ 0b11)), [intent()], now=later,
            )  # fmt: skip
            assert near.created and not near.alerts  # a copy of a pruned story stays silent
