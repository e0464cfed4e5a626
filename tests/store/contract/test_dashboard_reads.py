"""The store contract, what the dashboard reads: a source's polls and fetches, what each day
brought, stories with their copies and alerts."""

from __future__ import annotations

from datetime import timedelta

from tests.store.helpers import T0, intent, new_article
from watchwire.models import FetchOutcome, FetchResult
from watchwire.store import Store


async def test_a_source_s_polls_newest_first_with_what_they_brought(store: Store) -> None:
    await store.record_poll("s1", url="https://a/feed", now=T0, ok=True, new_articles=3)
    later = T0 + timedelta(minutes=5)
    await store.record_poll("s1", url="https://a/feed", now=later, ok=False, error="HTTP 500")
    await store.record_poll("s2", url="https://b/feed", now=later, ok=True)
    polls = await store.recent_polls("s1")
    assert [(p.at, p.ok, p.error, p.new_articles) for p in polls] == [
        (later, False, "HTTP 500", 0),
        (T0, True, None, 3),
    ]
    assert len(await store.recent_polls("s1", limit=1)) == 1
    assert await store.recent_polls("nobody") == []


async def test_polls_are_kept_a_week(store: Store) -> None:
    await store.record_poll("s1", url="https://a/feed", now=T0, ok=True)
    week_on = T0 + timedelta(days=8)
    await store.record_poll("s1", url="https://a/feed", now=week_on, ok=True)
    assert [p.at for p in await store.recent_polls("s1")] == [week_on]


async def test_a_source_s_fetches_newest_first(store: Store) -> None:
    for i, outcome in enumerate((FetchOutcome.OK, FetchOutcome.ERROR)):
        result = FetchResult(
            url=f"https://a/{i}", final_url=f"https://a/{i}", outcome=outcome,
            status=200 if outcome is FetchOutcome.OK else None, content=b"x" * 10 * (i + 1),
            elapsed=0.25, error=None if outcome is FetchOutcome.OK else "connection refused",
        )  # fmt: skip
        await store.record_fetch("s1", result, now=T0 + timedelta(seconds=i))
    fetches = await store.recent_fetches("s1")
    assert [(f.url, f.outcome, f.status, f.bytes, f.error) for f in fetches] == [
        ("https://a/1", "error", None, 20, "connection refused"),
        ("https://a/0", "ok", 200, 10, None),
    ]
    assert fetches[1].elapsed == 0.25


async def test_health_of_named_sources_only(store: Store) -> None:
    for name in ("a", "b", "c"):
        await store.record_poll(name, url=f"https://{name}/feed", now=T0, ok=True)
    named = await store.source_health(since=T0, names=["c", "a", "zz"])
    assert [h.name for h in named] == ["a", "c"]
    assert await store.source_health(since=T0, names=[]) == []
    assert [h.name for h in await store.source_health(since=T0)] == ["a", "b", "c"]


async def test_each_day_s_articles_and_rule_alerts(store: Store) -> None:
    day2 = T0 + timedelta(days=1)
    await store.save_article(new_article("https://a/1", "one"), [intent()], now=T0)
    await store.save_article(new_article("https://a/2", "two"), [], now=T0)
    await store.save_article(new_article("https://a/3", "three"), [intent(), intent("r2")],
                             now=day2)  # fmt: skip
    # An edit is not a new article, and a story alerted already makes no second alert.
    await store.save_article(new_article("https://a/3", "three, edited"), [intent()], now=day2)
    days = await store.daily_activity(since=T0.date())
    assert [(d.day, d.articles, d.alerts) for d in days] == [
        (T0.date(), 2, 1),
        (day2.date(), 1, 2),
    ]
    assert [d.day for d in await store.daily_activity(since=day2.date())] == [day2.date()]


async def test_stories_newest_first_with_their_counts(store: Store) -> None:
    first = await store.save_article(new_article("https://a/1", "wire", title="Wire story"),
                                     [intent()], now=T0)  # fmt: skip
    await store.save_article(new_article("https://b/1", "wire", source="s2"), [], now=T0)
    await store.save_article(new_article("https://a/2", "wire", source="s1"), [], now=T0)
    other = await store.save_article(new_article("https://c/1", "lonely"), [], now=T0)
    listed = await store.stories()
    assert [s.id for s in listed] == [other.story_id, first.story_id]
    wire = listed[1]
    assert (wire.copies, wire.sources, wire.alerts, wire.title, wire.closed) == (
        3, 2, 1, "Wire story", False,
    )  # fmt: skip
    assert [s.id for s in await store.stories(before=other.story_id)] == [first.story_id]
    assert len(await store.stories(limit=1)) == 1


async def test_a_story_with_its_copies_and_alerts(store: Store) -> None:
    both = [intent(), intent("r1", "daily", digest=True)]
    first = await store.save_article(new_article("https://a/1", "wire"), both, now=T0)
    later = T0 + timedelta(hours=1)
    copy = await store.save_article(new_article("https://b/1", "wire", source="s2"),
                                    [intent("r2")], now=later)  # fmt: skip
    story = await store.story(first.story_id)
    assert story is not None and story.id == first.story_id and not story.closed
    assert [(c.url, c.source, c.first_seen_at) for c in story.copies] == [
        ("https://a/1", "s1", T0),
        ("https://b/1", "s2", later),
    ]
    got = sorted((a.rule, a.channel, a.article_id, a.state) for a in story.alerts)
    assert got == [
        ("r1", "daily", first.article_id, "queued"),
        ("r1", "ops", first.article_id, "pending"),
        ("r2", "ops", copy.article_id, "pending"),
    ]
    assert await store.story(first.story_id + 1000) is None


async def test_alerts_by_channel_and_day_a_page_at_a_time(store: Store) -> None:
    for i in range(5):
        at = T0 + timedelta(hours=i)
        await store.save_article(
            new_article(f"https://a/{i}", f"text {i}"),
            [intent("r1", "ops"), intent("r1", "daily", digest=True)],
            now=at,
        )
    everything = await store.list_outbox(limit=100)
    assert len(everything) == 10
    keys = [r.key for r in everything]
    assert keys == sorted(keys, reverse=True)
    ops = await store.list_outbox(channels=["ops"])
    assert {r.channel for r in ops} == {"ops"} and len(ops) == 5
    queued = await store.list_outbox(channels=["daily"])
    assert {r.state for r in queued} == {"queued"} and len(queued) == 5
    day = await store.list_outbox(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
    assert sorted({r.created_at for r in day}) == [T0 + timedelta(hours=1),
                                                   T0 + timedelta(hours=2)]  # fmt: skip
    pages, before = [], None
    while True:
        page = await store.list_outbox(limit=3, before=before)
        if not page:
            break
        pages += page
        before = page[-1].key
    assert [r.id for r in pages] == [r.id for r in everything]
