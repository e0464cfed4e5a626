"""The SQLite store on real files in a temporary directory."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watchwire.exceptions import StoreError
from watchwire.models import Article, FetchOutcome, FetchResult, Validators
from watchwire.store import AlertContext, AlertIntent, NewArticle, SqliteStore
from watchwire.store.schema import MIGRATIONS

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def new_article(url: str, text: str, *, source: str = "s1", simhash: int | None = None,
                band_keys: tuple[int, ...] = ()) -> NewArticle:  # fmt: skip
    return NewArticle(
        url=url,
        source=source,
        article=Article(title=f"Title of {url}", text=text, paragraphs=(text,)),
        content_hash=f"h:{text}",
        simhash=simhash,
        band_keys=band_keys,
    )


def intent(rule: str = "r1", channel: str = "ops", *, digest: bool = False) -> AlertIntent:
    def render(ctx: AlertContext) -> dict[str, Any]:
        return {
            "type": "watchwire.alert",
            "id": ctx.alert_id,
            "rule": rule,
            "story": {"id": str(ctx.story_id), "copies": list(ctx.copies)},
            "article": {"title": "t"},
        }

    return AlertIntent(rule=rule, channel=channel, digest=digest, render=render)


async def test_fresh_file_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    """A new file gets every migration, WAL mode and foreign keys."""
    async with SqliteStore.open(tmp_path / "w.db") as store:
        assert await store.schema_version() == len(MIGRATIONS)
    con = sqlite3.connect(tmp_path / "w.db")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert {"articles", "stories", "alerts", "outbox", "http_cache", "fetches"} <= tables


async def test_existing_file_keeps_its_data_across_reopen(tmp_path: Path) -> None:
    """Opening an already-migrated file applies nothing twice and loses nothing."""
    path = tmp_path / "w.db"
    async with SqliteStore.open(path) as store:
        await store.save_article(new_article("https://a/1", "one"), [], now=T0)
    async with SqliteStore.open(path) as store:
        assert await store.count_articles() == 1
        assert await store.schema_version() == len(MIGRATIONS)


async def test_file_from_a_newer_watchwire_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    con.close()
    with pytest.raises(StoreError, match="newer than this watchwire"):
        async with SqliteStore.open(path):
            pass


async def test_same_url_twice_is_one_article(tmp_path: Path) -> None:
    async with SqliteStore.open(tmp_path / "w.db") as store:
        first = await store.save_article(new_article("https://a/1", "one"), [], now=T0)
        again = await store.save_article(new_article("https://a/1", "one"), [], now=T0)
        assert first.created and not again.created and not again.new_version
        assert again.article_id == first.article_id
        assert await store.count_articles() == 1


async def test_edit_is_a_new_version_of_the_same_article(tmp_path: Path) -> None:
    async with SqliteStore.open(tmp_path / "w.db") as store:
        first = await store.save_article(new_article("https://a/1", "one"), [], now=T0)
        edit = await store.save_article(new_article("https://a/1", "one, edited"), [], now=T0)
        assert edit.new_version and edit.story_id == first.story_id
        row = await store.article(first.article_id)
        assert row is not None and row.version == 2 and row.article.text == "one, edited"
        hits = await store.search('"edited"')
        assert [h.id for h in hits] == [first.article_id]


async def test_same_text_elsewhere_joins_the_story(tmp_path: Path) -> None:
    async with SqliteStore.open(tmp_path / "w.db") as store:
        a = await store.save_article(new_article("https://a/1", "wire text"), [], now=T0)
        b = await store.save_article(
            new_article("https://b/9", "wire text", source="s2"), [], now=T0
        )
        assert b.created and b.story_id == a.story_id and b.duplicate_of == a.article_id
        assert await store.story_copies(a.story_id) == ["https://a/1", "https://b/9"]


async def test_near_duplicate_by_simhash_joins_the_story(tmp_path: Path) -> None:
    """Candidates come from shared band keys; the Hamming distance decides."""
    fp = 0xF0F0_0000_1234_ABCD
    near = fp ^ 0b101  # distance 2
    far = fp ^ 0xFFFF_0000_0000_0000 ^ 0xFF  # shares bands 1, 2 but distance 24

    def bands(x: int) -> tuple[int, ...]:
        return tuple((x >> (16 * i)) & 0xFFFF for i in range(4))

    async with SqliteStore.open(tmp_path / "w.db", near_distance=3) as store:
        a = await store.save_article(
            new_article("https://a/1", "x", simhash=fp, band_keys=bands(fp)), [], now=T0
        )
        b = await store.save_article(
            new_article("https://b/1", "y", simhash=near, band_keys=bands(near)), [], now=T0
        )
        c = await store.save_article(
            new_article("https://c/1", "z", simhash=far, band_keys=bands(far)), [], now=T0
        )
    assert b.story_id == a.story_id
    assert c.story_id != a.story_id


async def test_one_alert_per_rule_story_and_channel(tmp_path: Path) -> None:
    async with SqliteStore.open(tmp_path / "w.db") as store:
        a = await store.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
        copy = await store.save_article(
            new_article("https://b/1", "t", source="s2"), [intent(), intent("r2")], now=T0
        )
        assert len(a.alerts) == 1
        assert len(copy.alerts) == 1  # only r2 is new for this story
        counts = await store.outbox_counts()
        assert counts["pending"] == 2


async def test_concurrent_saves_of_one_story_make_one_alert(tmp_path: Path) -> None:
    """Two sources finding the same story at once still yield one story and one alert."""
    async with SqliteStore.open(tmp_path / "w.db") as store:
        results = await asyncio.gather(
            *(
                store.save_article(
                    new_article(f"https://s{i}/x", "same", source=f"s{i}"), [intent()], now=T0
                )
                for i in range(8)
            )
        )
        assert len({r.story_id for r in results}) == 1
        assert sum(len(r.alerts) for r in results) == 1


async def test_claim_leases_and_expired_leases_are_reclaimed(tmp_path: Path) -> None:
    """A message left 'delivering' by a dead process is taken up again after its lease."""
    async with SqliteStore.open(tmp_path / "w.db") as store:
        await store.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
        claimed = await store.claim_due(now=T0, limit=10, lease=timedelta(minutes=5))
        assert len(claimed) == 1 and claimed[0].attempts == 1
        assert await store.claim_due(now=T0 + timedelta(minutes=1), limit=10,
                                     lease=timedelta(minutes=5)) == []  # fmt: skip
        again = await store.claim_due(now=T0 + timedelta(minutes=6), limit=10,
                                      lease=timedelta(minutes=5))  # fmt: skip
        assert [m.id for m in again] == [claimed[0].id] and again[0].attempts == 2
        await store.mark_delivered(again[0].id, now=T0)
        assert (await store.outbox_counts())["delivered"] == 1


async def test_retry_then_fail_then_requeue(tmp_path: Path) -> None:
    async with SqliteStore.open(tmp_path / "w.db") as store:
        await store.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
        (m,) = await store.claim_due(now=T0, limit=10, lease=timedelta(minutes=5))
        await store.mark_retry(m.id, error="HTTP 500", next_attempt_at=T0 + timedelta(hours=1))
        assert await store.claim_due(now=T0, limit=10, lease=timedelta(minutes=5)) == []
        assert await store.next_due() == T0 + timedelta(hours=1)
        (m,) = await store.claim_due(now=T0 + timedelta(hours=1), limit=10,
                                     lease=timedelta(minutes=5))  # fmt: skip
        await store.mark_failed(m.id, error="gave up", now=T0)
        rows = await store.list_outbox(states=["failed"])
        assert [(r.id, r.last_error) for r in rows] == [(m.id, "gave up")]
        assert await store.requeue_failed(now=T0) == 1
        assert (await store.outbox_counts())["pending"] == 1


async def test_digest_seals_queued_alerts_into_one_message(tmp_path: Path) -> None:
    async with SqliteStore.open(tmp_path / "w.db") as store:
        for i in range(3):
            await store.save_article(
                new_article(f"https://a/{i}", f"t{i}"), [intent(channel="mail", digest=True)],
                now=T0,
            )  # fmt: skip
        assert (await store.outbox_counts())["queued"] == 3
        digest = await store.seal_digest("mail", now=T0)
        assert digest is not None and digest.kind == "digest"
        assert len(digest.payload["alerts"]) == 3
        assert await store.seal_digest("mail", now=T0) is None
        (claimed,) = await store.claim_due(now=T0, limit=10, lease=timedelta(minutes=1))
        assert claimed.id == digest.id and claimed.payload == digest.payload


async def test_validators_and_fetch_history(tmp_path: Path) -> None:
    async with SqliteStore.open(tmp_path / "w.db") as store:
        assert await store.validators("https://a/feed") is None
        await store.save_validators("https://a/feed", Validators(etag='"x"'), body_hash="h",
                                    now=T0)  # fmt: skip
        cached = await store.validators("https://a/feed")
        assert cached is not None and cached.validators.etag == '"x"' and cached.body_hash == "h"
        await store.record_poll("s1", url="https://a/feed", now=T0, ok=False, error="boom")
        await store.record_fetch(
            "s1",
            FetchResult(url="https://a/feed", final_url="https://a/feed",
                        outcome=FetchOutcome.ERROR, error="boom", error_class="connect"),
            now=T0,
        )  # fmt: skip
        state = await store.record_poll("s1", url="https://a/feed", now=T0, ok=False, error="boom")
        assert state.consecutive_failures == 2
        (health,) = await store.source_health(since=T0 - timedelta(hours=1))
        assert health.errors == 1 and health.last_error == "boom"
        state = await store.record_poll("s1", url="https://a/feed", now=T0, ok=True)
        assert state.consecutive_failures == 0 and state.first_polled_at == T0


async def test_release_leases_makes_interrupted_deliveries_due_now(tmp_path: Path) -> None:
    async with SqliteStore.open(tmp_path / "w.db") as store:
        await store.save_article(new_article("https://a/1", "t"), [intent()], now=T0)
        (m,) = await store.claim_due(now=T0, limit=10, lease=timedelta(minutes=10))
        assert await store.release_leases(now=T0 + timedelta(seconds=1)) == 1
        (again,) = await store.claim_due(now=T0 + timedelta(seconds=1), limit=10,
                                         lease=timedelta(minutes=10))  # fmt: skip
        assert again.id == m.id
