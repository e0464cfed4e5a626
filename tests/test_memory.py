"""Handing freed heap back to the system after a burst of work."""

from __future__ import annotations

import platform
from pathlib import Path

from tests.store.helpers import T0, new_article
from watchwire.memory import MemoryTrimmer, release_free_memory, resident_bytes
from watchwire.store import locate_store, open_store


def test_a_trim_gives_back_what_a_burst_left_behind() -> None:
    """Freed 1 KB chunks pinned by a few survivors stay resident until the heap is trimmed."""
    if platform.libc_ver()[0] != "glibc":
        assert release_free_memory() is False
        return
    burst = [bytes(1024) + bytes([i % 251]) for i in range(150_000)]  # ~150 MB in malloc
    survivors = burst[::500]  # scattered live chunks keep glibc from shrinking on its own
    del burst
    before = resident_bytes()
    assert before is not None
    assert release_free_memory() is True
    after = resident_bytes()
    assert after is not None
    assert before - after > 50 << 20, (before >> 20, after >> 20)
    assert len(survivors) == 300


async def test_the_trimmer_trims_only_after_work() -> None:
    """Caches first, then the heap; and nothing while idle."""
    calls: list[str] = []

    async def release_caches() -> None:
        calls.append("caches")

    def release_heap() -> bool:
        calls.append("heap")
        return True

    trimmer = MemoryTrimmer(release_caches, release_heap)
    assert await trimmer.trim_after(0) is False  # nothing done yet
    assert await trimmer.trim_after(40) is True
    assert await trimmer.trim_after(40) is False  # idle since: no trim
    assert await trimmer.trim_after(41) is True
    assert calls == ["caches", "heap", "caches", "heap"]


async def test_the_store_gives_back_its_page_cache(tmp_path: Path) -> None:
    """A crawl's worth of pages fills SQLite's cache; emptied, the memory can go back."""
    async with open_store(locate_store(tmp_path / "w.db")) as store:
        for i in range(60):
            text = " ".join(f"w{i}x{j}" for j in range(20_000))  # ~200 KB of text each
            await store.save_article(new_article(f"https://a/{i}", text), [], now=T0)
        release_free_memory()
        before = resident_bytes()
        await store.release_memory()
        release_free_memory()
        after = resident_bytes()
        assert before is not None and after is not None
        if platform.libc_ver()[0] == "glibc":
            assert before - after > 10 << 20, (before >> 20, after >> 20)
        assert await store.count_articles() == 60
