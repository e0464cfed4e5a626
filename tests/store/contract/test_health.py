"""The store contract, source health: the run of failures, the state, its alerts."""

from __future__ import annotations

from datetime import timedelta

from tests.store.conftest import StoreOpener
from tests.store.helpers import T0, new_article
from watchwire.models import FetchOutcome, FetchResult
from watchwire.store import HealthIntent, HealthRecord, Store

FEED = "https://a/feed"


def body(state: str = "failing") -> dict[str, object]:
    return {"type": "watchwire.source_health", "created_at": "2026-11-30T12:00:00Z",
            "source": {"name": "s1", "url": FEED}, "state": state, "previous_state": "ok",
            "since": "2026-11-30T12:00:00Z", "reason": "HTTP 500 on 3 polls"}  # fmt: skip


async def test_a_run_of_failures_keeps_since_when(store: Store) -> None:
    await store.record_poll("s1", url=FEED, now=T0, ok=False, error="HTTP 500")
    st = await store.record_poll("s1", url=FEED, now=T0 + timedelta(minutes=5), ok=False,
                                 error="HTTP 500")  # fmt: skip
    assert st.failing_since == T0 and st.consecutive_failures == 2
    st = await store.record_poll("s1", url=FEED, now=T0 + timedelta(minutes=10), ok=True)
    assert st.failing_since is None and st.consecutive_failures == 0


async def test_new_articles_and_links_given_up_are_kept(store: Store) -> None:
    st = await store.record_poll("s1", url=FEED, now=T0, ok=True, new_articles=2)
    assert st.last_new_at == T0
    later = T0 + timedelta(hours=1)
    st = await store.record_poll("s1", url=FEED, now=later, ok=True)
    assert st.last_new_at == T0 and st.last_polled_at == later
    await store.give_up("https://a/dead", source="s1", reason="HTTP 404", now=later)
    (h,) = await store.source_health(since=T0)
    assert h.given_up == 1


async def test_the_state_is_stored_with_one_alert_per_channel(store: Store) -> None:
    await store.record_poll("s1", url=FEED, now=T0, ok=False, error="HTTP 500")
    record = HealthRecord(state="failing", since=T0, reason="HTTP 500 on 3 polls")
    intents = [HealthIntent(channel="ops", digest=False, payload=body()),
               HealthIntent(channel="daily", digest=True, payload=body())]  # fmt: skip
    ids = await store.record_health("s1", record, intents, now=T0)
    assert len(ids) == 2 and ids[0] != ids[1]
    st = await store.source_state("s1")
    assert st is not None and (st.state, st.state_since, st.state_reason) == (
        "failing", T0, "HTTP 500 on 3 polls")  # fmt: skip
    assert [s.state for s in await store.source_states()] == ["failing"]
    assert await store.health_states() == {"s1": ("failing", T0)}
    (message,) = await store.claim_due(now=T0, limit=10, lease=timedelta(minutes=1))
    assert message.channel == "ops" and message.payload["id"] == message.id
    assert message.payload["type"] == "watchwire.source_health"
    assert message.payload["source"] == {"name": "s1", "url": FEED}
    # The digest channel's alert waits for its digest, with the article alerts.
    digest = await store.seal_digest("daily", now=T0)
    assert digest is not None and [a["state"] for a in digest.payload["alerts"]] == ["failing"]


async def test_a_restart_remembers_the_state(open_backend: StoreOpener) -> None:
    async with open_backend() as store:
        await store.record_poll("s1", url=FEED, now=T0, ok=False, error="x")
        await store.record_health("s1", HealthRecord(state="gone", since=T0, reason="HTTP 410"),
                                  [], now=T0)  # fmt: skip
    async with open_backend() as store:
        st = await store.source_state("s1")
        assert st is not None and st.state == "gone" and st.state_reason == "HTTP 410"


async def test_article_times_are_the_source_s_own_newest_first(store: Store) -> None:
    for i in range(3):
        await store.save_article(
            new_article(f"https://a/{i}", f"text {i}", published_at=T0 - timedelta(hours=i)),
            [], now=T0 + timedelta(minutes=i),
        )  # fmt: skip
    await store.save_article(new_article("https://b/1", "other", source="s2"), [], now=T0)
    # A date in the future is a site's mistake: never later than first seen.
    await store.save_article(
        new_article("https://a/9", "text 9", published_at=T0 + timedelta(days=9)), [],
        now=T0 + timedelta(hours=1),
    )  # fmt: skip
    times = await store.article_times("s1", limit=10)
    assert times == [T0 + timedelta(hours=1), T0, T0 - timedelta(hours=1), T0 - timedelta(hours=2)]
    assert len(await store.article_times("s1", limit=2)) == 2


async def test_health_counts_agree(store: Store) -> None:
    """A fetch that brought nothing usable is an error: "fetches 3 errors 0" cannot happen."""
    await store.record_poll("s1", url=FEED, now=T0, ok=False, error="robots")
    blocked = FetchResult(url=FEED, final_url=FEED, outcome=FetchOutcome.DISALLOWED,
                          error="robots.txt disallows it", error_class="robots")  # fmt: skip
    for _ in range(3):
        await store.record_fetch("s1", blocked, now=T0)
    (h,) = await store.source_health(since=T0 - timedelta(days=1))
    assert (h.fetches, h.errors) == (3, 3)
    assert h.state is not None and h.state.consecutive_failures == 1
