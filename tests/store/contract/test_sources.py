"""The store contract, sources: poll state, fetch history, HTTP validators, health."""

from __future__ import annotations

from datetime import timedelta

from tests.store.helpers import T0, new_article
from watchwire.models import FetchOutcome, FetchResult, Validators
from watchwire.store import Store


async def test_validators_round_trip(store: Store) -> None:
    assert await store.validators("https://a/feed") is None
    await store.save_validators("https://a/feed", Validators(etag='"x"'), body_hash="h", now=T0)
    cached = await store.validators("https://a/feed")
    assert cached is not None and cached.validators.etag == '"x"' and cached.body_hash == "h"
    # A later save without a body hash keeps the one known.
    await store.save_validators("https://a/feed", Validators(last_modified="L"), body_hash=None,
                                now=T0)  # fmt: skip
    cached = await store.validators("https://a/feed")
    assert cached is not None and cached.validators == Validators(last_modified="L")
    assert cached.body_hash == "h"


async def test_polls_count_failures_until_one_succeeds(store: Store) -> None:
    assert await store.source_state("s1") is None
    await store.record_poll("s1", url="https://a/feed", now=T0, ok=False, error="boom")
    await store.record_fetch(
        "s1",
        FetchResult(url="https://a/feed", final_url="https://a/feed",
                    outcome=FetchOutcome.ERROR, error="boom", error_class="connect"),
        now=T0,
    )  # fmt: skip
    later = T0 + timedelta(minutes=1)
    state = await store.record_poll(
        "s1", url="https://a/feed", now=later, ok=False, error="boom",
        next_poll_at=later + timedelta(minutes=10),
    )  # fmt: skip
    assert state.consecutive_failures == 2 and state.last_error == "boom"
    assert state.next_poll_at == later + timedelta(minutes=10)
    (health,) = await store.source_health(since=T0 - timedelta(hours=1))
    assert health.errors == 1 and health.fetches == 1 and health.last_error == "boom"
    state = await store.record_poll("s1", url="https://a/feed", now=later, ok=True, kind="feed")
    assert state.consecutive_failures == 0 and state.first_polled_at == T0
    assert state.last_ok_at == later and state.kind == "feed"


async def test_health_counts_a_source_s_articles(store: Store) -> None:
    await store.record_poll("s1", url="https://a/feed", now=T0, ok=True)
    await store.save_article(new_article("https://a/1", "one"), [], now=T0)
    (health,) = await store.source_health(since=T0)
    assert health.name == "s1" and health.articles == 1 and health.consecutive_failures == 0


async def test_validators_of_urls_that_differ_only_in_a_secret_keep_apart(store: Store) -> None:
    """The store keeps source URLs redacted, yet two feeds with different tokens are two."""
    a, b = "https://u:pw@a/feed?token=one", "https://u:pw@a/feed?token=two"
    await store.save_validators(a, Validators(etag='"a"'), body_hash="ha", now=T0)
    await store.save_validators(b, Validators(etag='"b"'), body_hash="hb", now=T0)
    got_a, got_b = await store.validators(a), await store.validators(b)
    assert got_a is not None and got_a.validators.etag == '"a"' and got_a.body_hash == "ha"
    assert got_b is not None and got_b.validators.etag == '"b"' and got_b.body_hash == "hb"
