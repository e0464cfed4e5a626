"""Several workers on one PostgreSQL database: what each sees of the others' leases.

Each worker is a store opened on the same database, as ``watchwire run`` on another host
opens it. "Gone" is a worker whose presence session the server ended (as it does when the
process is killed): its advisory lock is free, and the others take its work over at once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from tests.store.helpers import T0, intent, new_article
from watchwire.store import SourcePlan, Store, locate_store, open_store
from watchwire.store.postgres.connection import WORKER_LOCK

LEASE = timedelta(seconds=30)


@pytest.fixture
async def workers(postgres_dsn: str) -> AsyncIterator[list[Store]]:
    """Three workers on one database, registered in order (worker numbers 1, 2, 3)."""
    async with AsyncExitStack() as stack:
        opened = []
        for _ in range(3):
            store = await stack.enter_async_context(open_store(locate_store(postgres_dsn)))
            await store.renew_leases(now=T0, lease=LEASE)  # registers it
            opened.append(store)
        yield opened


async def kill(dsn: str, worker: int) -> None:
    """End the worker's presence session, as the server does when its process dies."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as admin:
        cur = await admin.execute(
            """SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'
               AND classid = %s::bigint::oid AND objid = %s::bigint::oid AND objsubid = 2""",
            (WORKER_LOCK, worker),
        )
        assert await cur.fetchall() == [(True,)]
        # The lock goes with the backend, a moment after it is told to end (no event to await:
        # ask the server).
        held = """SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
                  AND classid = %s::bigint::oid AND objid = %s::bigint::oid"""
        async with asyncio.timeout(10):
            while True:
                if not await (await admin.execute(held, (WORKER_LOCK, worker))).fetchone():
                    return
                await asyncio.sleep(0.02)


def plans(*names: str) -> list[SourcePlan]:
    return [SourcePlan(name=n, url=f"https://{n}/feed", first_due=T0,
                       latest_due=T0 + timedelta(hours=1)) for n in names]  # fmt: skip


async def names(store: Store, **kw: Any) -> set[str]:
    claimed = await store.claim_sources(now=kw.pop("now", T0), limit=kw.pop("limit", 100),
                                        lease=LEASE)  # fmt: skip
    return {lease.name for lease in claimed.leases}


async def test_workers_claiming_at_once_take_different_sources(workers: list[Store]) -> None:
    """SKIP LOCKED: each due source goes to exactly one of the workers claiming together."""
    everything = [f"s{i:02}" for i in range(60)]
    for w in workers:
        await w.plan_sources(plans(*everything), now=T0)
    taken = await asyncio.gather(*(names(w, limit=25) for w in workers))
    assert sum(map(len, taken)) == 60 and set().union(*taken) == set(everything)
    assert all(len(t) <= 25 for t in taken)


async def test_a_worker_claims_only_the_sources_its_config_has(workers: list[Store]) -> None:
    """A rolling reload: one worker has dropped 'a' and added 'c'; the other has not yet."""
    old, new, _ = workers
    await old.plan_sources(plans("a", "b"), now=T0)
    await new.plan_sources(plans("b", "c"), now=T0)
    assert await names(new) == {"b", "c"}
    assert await names(old) == {"a"}  # 'b' is leased; 'c' is not in its config


async def test_a_lease_that_runs_out_is_taken_over(workers: list[Store]) -> None:
    first, second, _ = workers
    await first.plan_sources(plans("a"), now=T0)
    await second.plan_sources(plans("a"), now=T0)
    assert await names(first) == {"a"}
    assert await names(second, now=T0 + timedelta(seconds=29)) == set()
    await first.renew_leases(now=T0 + timedelta(seconds=20), lease=LEASE)  # still polling
    assert await names(second, now=T0 + timedelta(seconds=31)) == set()
    assert await names(second, now=T0 + timedelta(seconds=51)) == {"a"}


async def test_a_gone_worker_s_leases_are_taken_over_at_once(
    workers: list[Store], postgres_dsn: str
) -> None:
    """Killed mid-poll and mid-delivery: its source, page, host and message go to another
    worker as soon as one sweeps, not when the leases run out."""
    dead, live, _ = workers
    for w in (dead, live):
        await w.plan_sources(plans("a"), now=T0)
    await dead.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
    assert await names(dead) == {"a"}
    assert (await dead.claim_pages(["https://a/2"], now=T0, lease=LEASE)).mine
    assert await dead.hold_host("https://a", now=T0, lease=LEASE) is not None
    (message,) = await dead.claim_due(now=T0, limit=10, lease=timedelta(minutes=10))

    assert await names(live) == set()
    assert (await live.claim_pages(["https://a/2"], now=T0, lease=LEASE)).elsewhere
    assert await live.pages_held(["https://a/2"], now=T0) == {"https://a/2"}
    assert await live.hold_host("https://a", now=T0, lease=LEASE) is None
    assert await live.claim_due(now=T0, limit=10, lease=LEASE) == []
    assert await live.release_leases(now=T0) == 0  # its holder is alive: hands off
    assert await live.release_orphans(now=T0) == 0

    await kill(postgres_dsn, 1)
    assert await live.release_orphans(now=T0) == 4
    assert await names(live) == {"a"}
    assert await live.pages_held(["https://a/2"], now=T0) == set()
    assert (await live.claim_pages(["https://a/2"], now=T0, lease=LEASE)).mine
    assert await live.hold_host("https://a", now=T0, lease=LEASE) is not None
    (again,) = await live.claim_due(now=T0, limit=10, lease=LEASE)
    assert again.id == message.id and again.attempts == 2


async def test_a_worker_stopping_gives_its_leases_back(postgres_dsn: str) -> None:
    location = locate_store(postgres_dsn)
    async with open_store(location) as stays:
        await stays.plan_sources(plans("a"), now=T0)
        async with open_store(location) as leaves:
            await leaves.plan_sources(plans("a"), now=T0)
            assert await names(leaves) == {"a"}
            assert await leaves.hold_host("https://a", now=T0, lease=LEASE) is not None
        assert await names(stays) == {"a"}
        assert await stays.hold_host("https://a", now=T0, lease=LEASE) is not None


async def test_a_host_keeps_its_delay_from_one_worker_to_the_next(workers: list[Store]) -> None:
    first, second, _ = workers
    assert await first.hold_host("https://a", now=T0, lease=LEASE) is not None
    assert await second.hold_host("https://a", now=T0, lease=LEASE) is None
    await first.release_hosts({"https://a": T0 + timedelta(seconds=5)})
    assert await second.hold_host("https://a", now=T0, lease=LEASE) == T0 + timedelta(seconds=5)


async def test_a_page_another_worker_fetches_is_theirs_until_released(
    workers: list[Store],
) -> None:
    first, second, _ = workers
    urls = ["https://a/1", "https://a/2"]
    mine = await first.claim_pages(urls, now=T0, lease=LEASE)
    assert mine.mine == set(urls)
    theirs = await second.claim_pages(["https://a/2", "https://a/3"], now=T0, lease=LEASE)
    assert theirs.mine == {"https://a/3"} and theirs.elsewhere == {"https://a/2"}
    await first.save_article(new_article("https://a/2", "two"), [], now=T0)
    await first.release_pages(urls)
    assert await second.pages_held(urls, now=T0) == set()
    after = await second.claim_pages(["https://a/2"], now=T0, lease=LEASE)
    assert after.mine == after.stored == {"https://a/2"}


async def test_a_message_queued_by_one_worker_wakes_the_others(workers: list[Store]) -> None:
    queuing, *waiting = workers
    woken = [asyncio.ensure_future(w.outbox_wakeup()) for w in waiting]
    await asyncio.sleep(0.05)
    assert not any(f.done() for f in woken)
    await queuing.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
    async with asyncio.timeout(10):
        await asyncio.gather(*woken)


async def test_a_digest_is_sealed_by_one_of_the_workers_looking_at_once(
    workers: list[Store],
) -> None:
    for i in range(5):
        await workers[0].save_article(new_article(f"https://a/{i}", f"t{i}"),
                                      [intent(channel="mail", digest=True)], now=T0)  # fmt: skip
    due = T0 + timedelta(hours=1)
    sealed = await asyncio.gather(
        *(w.seal_digest("mail", now=due, unless_since=due - timedelta(minutes=1)) for w in workers)
    )
    (digest,) = [d for d in sealed if d is not None]
    assert len(digest.payload["alerts"]) == 5
    assert [r.kind for r in await workers[0].list_outbox()] == ["digest"]


async def test_copies_stored_at_once_by_several_workers_make_one_story(
    workers: list[Store],
) -> None:
    """Exact and near-same copies of ten stories, each stored by three workers at once (three
    sources): one story each, one alert each."""
    rng = random.Random(20)

    def bands(x: int) -> tuple[int, ...]:
        return tuple((x >> (16 * i)) & 0xFFFF for i in range(4))

    saves = []
    for story in range(10):
        base = rng.getrandbits(64)  # stories far apart
        for w, store in enumerate(workers):
            near = base ^ (1 << w)  # a bit apart from each other: one story
            text = f"story {story}" if story % 2 else f"story {story} copy {w}"
            saves.append(store.save_article(
                new_article(f"https://s{w}/{story}", text, source=f"s{w}", simhash=near,
                            band_keys=bands(near)),
                [intent()], now=T0,
            ))  # fmt: skip
    saved = await asyncio.gather(*saves)
    stories = [{s.story_id for s in saved[i : i + 3]} for i in range(0, 30, 3)]
    assert all(len(s) == 1 for s in stories), stories
    assert len({next(iter(s)) for s in stories}) == 10
    assert sum(len(s.alerts) for s in saved) == 10


async def test_one_url_stored_at_once_by_several_workers_is_one_article(
    workers: list[Store],
) -> None:
    saved = await asyncio.gather(
        *(w.save_article(new_article("https://a/1", "one"), [intent()], now=T0) for w in workers)
    )
    assert len({s.article_id for s in saved}) == 1
    assert sum(s.created for s in saved) == 1 and sum(len(s.alerts) for s in saved) == 1
    assert await workers[0].count_articles() == 1
