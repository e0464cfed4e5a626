"""The store contract, coordination as one worker sees it: due sources, pages, hosts, wake-ups.

What several workers see of each other is the PostgreSQL tests' (tests/store/postgres/
test_workers.py); these hold every backend to what a lone worker relies on.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tests.store.helpers import T0, intent, new_article
from watchwire.store import SourcePlan, Store

LEASE = timedelta(seconds=30)
MINUTE = timedelta(minutes=1)


def plan(name: str, first: datetime = T0, latest: datetime | None = None) -> SourcePlan:
    return SourcePlan(name=name, url=f"https://{name}/feed", first_due=first,
                      latest_due=latest or first + timedelta(hours=1))  # fmt: skip


async def claim(store: Store, at: datetime, limit: int = 10) -> list[str]:
    claimed = await store.claim_sources(now=at, limit=limit, lease=LEASE)
    return sorted(lease.name for lease in claimed.leases)


async def test_planned_sources_fall_due_in_turn_and_are_leased(store: Store) -> None:
    soon = T0 + timedelta(seconds=20)  # within the lease
    await store.plan_sources([plan("a"), plan("b", soon)], now=T0)
    first = await store.claim_sources(now=T0, limit=10, lease=LEASE)
    assert [(x.name, x.due_at) for x in first.leases] == [("a", T0)]
    assert first.next_due == soon
    assert await claim(store, T0 + timedelta(seconds=1)) == []  # 'a' is leased, 'b' not due
    assert await claim(store, soon) == ["b"]


async def test_claims_take_no_more_than_the_room_given(store: Store) -> None:
    await store.plan_sources([plan(f"s{i}") for i in range(5)], now=T0)
    first = await store.claim_sources(now=T0, limit=2, lease=LEASE)
    assert len(first.leases) == 2 and first.next_due == T0  # more are due already
    assert len(await claim(store, T0, limit=10)) == 3


async def test_a_finished_source_is_due_again_when_handed_back(store: Store) -> None:
    await store.plan_sources([plan("a")], now=T0)
    assert await claim(store, T0) == ["a"]
    await store.finish_source("a", due_at=T0 + timedelta(minutes=10))
    assert await claim(store, T0 + timedelta(minutes=9)) == []
    assert await claim(store, T0 + timedelta(minutes=10)) == ["a"]
    state = await store.source_state("a")
    assert state is not None and state.next_poll_at == T0 + timedelta(minutes=10)


async def test_a_back_off_the_poll_set_outlasts_the_interval(store: Store) -> None:
    await store.plan_sources([plan("a")], now=T0)
    await store.claim_sources(now=T0, limit=1, lease=LEASE)
    backoff = T0 + timedelta(hours=2)
    await store.record_poll("a", url="https://a/feed", now=T0, ok=False, error="x",
                            next_poll_at=backoff)  # fmt: skip
    await store.finish_source("a", due_at=T0 + timedelta(minutes=10))
    state = await store.source_state("a")
    assert state is not None and state.next_poll_at == backoff


async def test_a_reload_keeps_each_source_in_its_place(store: Store) -> None:
    """A known source keeps its next poll (brought forward to its new interval at most); one
    the reload adds is due now; one it drops is kept, and not claimed."""
    await store.plan_sources([plan("a"), plan("gone")], now=T0)
    await store.claim_sources(now=T0, limit=10, lease=LEASE)
    await store.finish_source("a", due_at=T0 + timedelta(minutes=20))
    await store.finish_source("gone", due_at=T0 + timedelta(minutes=20))
    later = T0 + timedelta(minutes=5)
    await store.plan_sources(
        [plan("a", later, latest=later + timedelta(hours=1)), plan("new", later)], now=later
    )
    assert await claim(store, later) == ["new"]
    await store.finish_source("new", due_at=later)
    state = await store.source_state("a")
    assert state is not None and state.next_poll_at == T0 + timedelta(minutes=20)
    # A shorter interval applies at once.
    await store.plan_sources([plan("a", later, latest=later + MINUTE), plan("new", later)],
                             now=later)  # fmt: skip
    assert await claim(store, later + MINUTE) == ["a", "new"]
    await store.finish_source("a", due_at=T0 + timedelta(hours=1))
    await store.finish_source("new", due_at=T0 + timedelta(hours=1))
    assert await claim(store, T0 + timedelta(hours=2)) == ["a", "new"]  # never 'gone'
    assert await store.source_state("gone") is not None


async def test_an_overdue_source_is_spread_at_start(store: Store) -> None:
    await store.plan_sources([plan("a")], now=T0)
    await store.claim_sources(now=T0, limit=1, lease=LEASE)
    await store.finish_source("a", due_at=T0 + MINUTE)
    restart = T0 + timedelta(hours=1)
    await store.plan_sources([plan("a", restart + timedelta(seconds=3))], now=restart)
    assert await claim(store, restart) == []
    assert await claim(store, restart + timedelta(seconds=3)) == ["a"]


async def test_planning_again_leaves_a_source_being_polled_alone(store: Store) -> None:
    """A reload (or another worker starting) while a source is polled does not move it: its
    poll hands it back on its grid."""
    await store.plan_sources([plan("a")], now=T0)
    assert await claim(store, T0) == ["a"]
    later = T0 + timedelta(seconds=10)
    await store.plan_sources([plan("a", later + timedelta(seconds=3))], now=later)
    state = await store.source_state("a")
    assert state is not None and state.next_poll_at == T0
    await store.finish_source("a", due_at=T0 + timedelta(minutes=10))
    state = await store.source_state("a")
    assert state is not None and state.next_poll_at == T0 + timedelta(minutes=10)


async def test_a_polled_source_records_its_first_poll_after_being_planned(store: Store) -> None:
    await store.plan_sources([plan("a")], now=T0)
    state = await store.record_poll("a", url="https://a/feed", now=T0 + MINUTE, ok=True)
    assert state.first_polled_at == T0 + MINUTE


async def test_pages_are_claimed_for_this_worker_and_known_ones_are_named(store: Store) -> None:
    await store.save_article(new_article("https://a/1", "one"), [], now=T0)
    claim = await store.claim_pages(["https://a/1", "https://a/2"], now=T0, lease=LEASE)
    assert claim.mine == {"https://a/1", "https://a/2"} and not claim.elsewhere
    assert claim.stored == {"https://a/1"}
    assert await store.pages_held(["https://a/2"], now=T0) == set()  # held by no one else
    await store.release_pages(["https://a/1", "https://a/2"])
    again = await store.claim_pages(["https://a/2"], now=T0, lease=LEASE)
    assert again.mine == {"https://a/2"}


async def test_a_host_is_this_worker_s_to_request(store: Store) -> None:
    free = await store.hold_host("https://a", now=T0, lease=LEASE)
    assert free is not None and free <= T0 + timedelta(seconds=1)
    await store.renew_leases(now=T0, lease=LEASE)
    await store.release_hosts({"https://a": T0 + timedelta(seconds=1)})
    again = await store.hold_host("https://a", now=T0, lease=LEASE)
    assert again is not None
    assert await store.release_orphans(now=T0) == 0  # nobody else is gone


async def test_a_queued_alert_wakes_the_deliverer(store: Store) -> None:
    waiting = asyncio.ensure_future(store.outbox_wakeup())
    await asyncio.sleep(0)
    await store.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
    async with asyncio.timeout(10):
        await waiting


async def test_a_digest_period_is_sealed_once(store: Store) -> None:
    """Workers finding the same period over: the first seals it, the others find it sealed."""
    for i in range(2):
        await store.save_article(new_article(f"https://a/{i}", f"t{i}"),
                                 [intent(channel="mail", digest=True)], now=T0)  # fmt: skip
    due = T0 + timedelta(hours=1)
    first = await store.seal_digest("mail", now=due, unless_since=due - MINUTE)
    assert first is not None and len(first.payload["alerts"]) == 2
    await store.save_article(new_article("https://a/9", "t9"),
                             [intent(channel="mail", digest=True)], now=due)  # fmt: skip
    assert await store.seal_digest("mail", now=due, unless_since=due - MINUTE) is None
    assert (await store.outbox_counts())["queued"] == 1  # for the next period
