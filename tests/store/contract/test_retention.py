"""The store contract, retention: pruned articles leave what dedupe needs; alerts age out."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.store.conftest import StoreOpener
from tests.store.helpers import T0, intent, new_article
from watchwire.config import RuleConfig
from watchwire.dedupe import band_keys
from watchwire.rules import compile_rules
from watchwire.store import NewArticle, Store

DAY = timedelta(days=1)
FP = 0x0123_4567_89AB_CDEF


def fresh(url: str, text: str, fp: int | None = None) -> NewArticle:
    return new_article(url, text, simhash=fp, band_keys=band_keys(fp) if fp is not None else ())


async def test_pruning_deletes_old_articles_and_their_search_rows(store: Store) -> None:
    await store.save_article(new_article("https://a/old", "potash exports"), [], now=T0)
    await store.save_article(new_article("https://a/new", "potash exports"), [], now=T0 + 5 * DAY)
    assert await store.prune_articles(before=T0 + DAY, limit=10) == 1
    assert await store.prune_articles(before=T0 + DAY, limit=10) == 0
    assert await store.count_articles() == 1
    rules = compile_rules([RuleConfig(name="q", query="potash")], {})
    rows = await store.search(rules.search_query("q"))
    assert [r.url for r in rows] == ["https://a/new"]


async def test_a_pruned_url_stays_known_and_never_alerts_again(store: Store) -> None:
    first = await store.save_article(new_article("https://a/1", "one text"), [intent()], now=T0)
    assert first.alerts
    await store.prune_articles(before=T0 + DAY, limit=10)
    assert await store.known_urls(["https://a/1", "https://a/2"]) == {"https://a/1": None}
    # Offered again anyway (a canonical URL): stored for search, but it does not alert.
    again = await store.save_article(
        new_article("https://a/1", "one text, edited"), [intent()], now=T0 + 100 * DAY
    )
    assert again.created and not again.alerts


async def test_a_copy_of_a_pruned_story_does_not_alert(store: Store) -> None:
    await store.save_article(fresh("https://a/1", "the text", FP), [intent()], now=T0)
    await store.save_article(fresh("https://a/2", "short"), [], now=T0)
    await store.prune_articles(before=T0 + DAY, limit=10)
    later = T0 + 200 * DAY
    exact = await store.save_article(fresh("https://b/1", "the text", FP), [intent()], now=later)
    near = await store.save_article(
        fresh("https://c/1", "the text, retold", FP ^ 0b11), [intent()], now=later
    )  # 2 bits apart: always recognised
    short = await store.save_article(fresh("https://d/1", "short"), [intent()], now=later)
    other = await store.save_article(
        fresh("https://e/1", "news", FP ^ 0xFFFF_FFFF_0000_0000), [intent()], now=later
    )
    assert not exact.alerts and not near.alerts and not short.alerts
    assert other.alerts  # unrelated news still alerts
    # And a further copy joins the closed story: still silent.
    third = await store.save_article(fresh("https://f/1", "the text", FP), [intent()], now=later)
    assert third.story_id == exact.story_id and not third.alerts


async def test_a_story_with_a_pruned_article_is_closed(store: Store) -> None:
    old = await store.save_article(fresh("https://a/1", "the text", FP), [intent()], now=T0)
    copy = await store.save_article(
        fresh("https://b/1", "the text, again", FP ^ 0b1), [], now=T0 + 50 * DAY
    )
    assert copy.story_id == old.story_id
    await store.prune_articles(before=T0 + DAY, limit=10)
    # The live copy's story is closed: a new rule matching a third copy stays silent.
    late = await store.save_article(
        fresh("https://c/1", "the text, once more", FP ^ 0b10), [intent("r2")], now=T0 + 60 * DAY
    )
    assert late.story_id == old.story_id and not late.alerts


async def test_alerts_age_out_once_settled_never_while_waiting(store: Store) -> None:
    sent = await store.save_article(new_article("https://a/1", "t1"), [intent()], now=T0)
    waiting = await store.save_article(new_article("https://a/2", "t2"), [intent()], now=T0)
    await store.mark_delivered(sent.alerts[0], now=T0)
    assert waiting.alerts
    assert await store.prune_alerts(before=T0 + DAY, limit=10) == 2  # the alert and its message
    assert [r.id for r in await store.list_outbox()] == list(waiting.alerts)
    assert await store.prune_alerts(before=T0 + DAY, limit=10) == 0


async def test_the_store_tells_its_size(store: Store) -> None:
    empty = await store.storage_bytes()
    assert empty is not None and empty > 0
    await store.save_article(new_article("https://a/1", "t1 " * 2000), [intent()], now=T0)
    assert (await store.storage_bytes() or 0) >= empty


async def test_concurrent_pruning_prunes_each_article_once(store: Store) -> None:
    """Every worker runs retention: batches side by side split the work, none is lost."""
    for i in range(30):
        await store.save_article(new_article(f"https://a/{i}", f"text {i}"), [], now=T0)
    counts = await asyncio.gather(
        *(store.prune_articles(before=T0 + DAY, limit=7) for _ in range(6))
    )
    assert sum(counts) == 30 and await store.count_articles() == 0
    assert len(await store.known_urls([f"https://a/{i}" for i in range(30)])) == 30


async def test_pruned_state_survives_a_restart(open_backend: StoreOpener) -> None:
    async with open_backend() as store:
        await store.save_article(new_article("https://a/1", "t1"), [intent()], now=T0)
        await store.prune_articles(before=T0 + DAY, limit=10)
    async with open_backend() as store:
        assert await store.known_urls(["https://a/1"]) == {"https://a/1": None}
