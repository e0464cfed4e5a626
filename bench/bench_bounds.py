"""Parse bounds: what a document costs on the event loop within its budget, and in a sandbox.

    python -m bench.bench_bounds

1. **The worst shapes known within the budget** (``watchwire.budget``: 1 MiB, 8,000 tags),
   parsed as the loop would parse them — an article page, a listing, a feed, a sitemap — each
   in a fresh process: CPU and peak memory growth. This is the bound a parse on the loop keeps.
2. **Real pages** (``tests/data/extraction``, ``tests/data/dates``): the share within the
   budget, and what analysing one costs.
3. **A sandbox**: CPU to start one and analyse its first page, its RSS then, and the event
   loop's CPU per page sent through it (pickling, shared memory, the pipe).
4. **Documents past every bound** (issue 15): a 4.8 MB feed of unclosed elements and a 4.7 MB
   page of unclosed ``<b>``, in a sandbox under the default limits: what stops them, and when.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from bench.common import emit
from watchwire.analyze import analyze_page
from watchwire.budget import INLINE_MAX_BYTES, INLINE_MAX_TAGS, NeedsSandbox, fits_inline
from watchwire.discover import discover
from watchwire.models import Link, SourceKind
from watchwire.sandbox import Limits, OverBound, Sandbox

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
URL = "https://news.example.org/2024/05/01/a-story-about-sanctions"
TEXT = "Officials in Minsk said on Thursday that the talks on sanctions would go on. "
GENEROUS = Limits(cpu=120, memory=4 << 30, wall=300)


# --- shapes at the budget's edge -----------------------------------------------------------------


def _html(body: str) -> bytes:
    return f"<!doctype html><html><head><title>t</title></head><body>{body}".encode()


def shapes() -> Iterator[tuple[str, bytes]]:
    """Documents just within the budget, each built to cost its parser the most we know of."""
    n = INLINE_MAX_TAGS - 20  # room for the page's own few tags
    yield "nested <div> (quadratic in depth)", _html("<div>" * n + TEXT)
    yield "nested <li>", _html("<ul><li>" * (n // 2) + TEXT)
    yield "unclosed <b> (formatting)", _html("<b>" * n + TEXT * 20)
    yield "<font><div> (adoption agency)", _html("<font><div>x" * (n // 2))
    yield (
        "anchors, article-like URLs",
        _html(
            "".join(
                f'<a href="/2024/05/01/story-{i}-about-things">Story {i}</a>' for i in range(n // 2)
            )
        ),
    )
    paragraph = f"<p>{TEXT * 10}</p>"
    yield "1 MiB of paragraphs", _html(paragraph * ((INLINE_MAX_BYTES - 200) // len(paragraph)))
    item = "<item><title>Story {0}</title><link>https://news.example.org/a/{0}</link></item>"
    yield (
        "feed, items",
        ('<rss version="2.0"><channel>' + "".join(item.format(i) for i in range(n // 6))).encode()
        + b"</channel></rss>",
    )
    # Ill-formed: the loop pays for ElementTree's failed try, feedparser runs in a sandbox.
    yield "feed, nested elements (to a sandbox)", b'<rss version="2.0"><channel><item>' + b"<x>" * n
    loc = "<url><loc>https://news.example.org/{0}/a-story-about-things</loc></url>"
    yield (
        "sitemap, urls",
        (
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(loc.format(i) for i in range(n // 4))
            + "</urlset>"
        ).encode(),
    )


def _analyse(content: bytes) -> object:
    return analyze_page(content, charset=None, url=URL, link=Link(url=URL), language=None)


def _listing(content: bytes) -> object:
    return discover(content, url=URL, kind=SourceKind.PAGE, inline=True)


def _document(content: bytes) -> object:
    """What the loop spends on a feed or sitemap, up to handing it to a sandbox if it must."""
    try:
        return discover(content, url=URL, inline=True)
    except NeedsSandbox:
        return None


def measured(work: Callable[[bytes], object], content: bytes) -> tuple[float, float]:
    """CPU seconds and peak growth in bytes of ``work(content)``, run in this process (a
    sandbox's: its peak so far is the imports' and a warm-up's)."""
    work(b"<html><body><p>warm</p></body></html>")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.process_time()
    work(content)
    cpu = time.process_time() - start
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
    return cpu, grown * 1024.0


async def in_fresh_process(work: Callable[[bytes], object], content: bytes) -> tuple[float, float]:
    box = await Sandbox.start()
    try:
        result: tuple[float, float] = await box.call(partial(measured, work, content), GENEROUS)
        return result
    finally:
        await box.close()


async def edge() -> None:
    print(f"1. the worst shapes known within the budget ({INLINE_MAX_BYTES >> 10} KiB, "
          f"{INLINE_MAX_TAGS} tags), each in a fresh process")  # fmt: skip
    print(f"   {'shape':36} {'KiB':>6} {'tags':>6} {'parser':9} {'CPU ms':>8} {'MB':>6}")
    worst_cpu = worst_mb = 0.0
    for name, content in shapes():
        assert fits_inline(content), name
        html = content.startswith(b"<!doctype html>")
        parsers = (
            [("article", _analyse), ("listing", _listing)] if html else [("discover", _document)]
        )
        for label, work in parsers:
            cpu, grown = await in_fresh_process(work, content)
            worst_cpu, worst_mb = max(worst_cpu, cpu), max(worst_mb, grown / 2**20)
            print(f"   {name:36} {len(content) >> 10:6} {content.count(b'<'):6} {label:9} "
                  f"{cpu * 1000:8.1f} {grown / 2**20:6.1f}", flush=True)  # fmt: skip
    emit("Worst parse on the event loop, CPU", round(worst_cpu * 1000, 1), "ms",
         note="the worst shapes known within 1 MiB and 8,000 tags")  # fmt: skip
    emit("Worst parse on the event loop, memory growth", round(worst_mb, 1), "MB",
         note="the worst shapes known within 1 MiB and 8,000 tags")  # fmt: skip


# --- real pages ----------------------------------------------------------------------------------


def real_pages() -> list[bytes]:
    pages = []
    for folder in (DATA / "extraction" / "html", DATA / "dates" / "html"):
        for path in sorted(folder.glob("*")):
            data = path.read_bytes()
            pages.append(gzip.decompress(data) if path.suffix == ".gz" else data)
    return pages


def real() -> None:
    pages = real_pages()
    within = [p for p in pages if fits_inline(p)]
    costs = []
    for page in within:
        start = time.process_time()
        _analyse(page)
        costs.append(time.process_time() - start)
    share = 100 * len(within) / len(pages)
    print(f"2. real pages: {len(within)} of {len(pages)} within the budget ({share:.1f} %); "
          f"analysis median {statistics.median(costs) * 1000:.2f} ms, "
          f"max {max(costs) * 1000:.1f} ms")  # fmt: skip
    emit("Real pages parsed on the event loop", round(share, 1), "%",
         note=f"{len(pages)} pages of tests/data/extraction and tests/data/dates")  # fmt: skip


# --- a sandbox -----------------------------------------------------------------------------------


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def sandbox(pages: list[bytes]) -> None:
    within = [p for p in pages if fits_inline(p)]
    before = _children_cpu()
    first = await Sandbox.start()
    await first.call(partial(_analyse, within[0]), Limits())
    rss = _rss(first.pid)
    await first.close()
    start_cpu = _children_cpu() - before  # counted once the child is reaped
    box = await Sandbox.start()
    await box.call(partial(_analyse, within[0]), Limits())
    loop_cpu = time.thread_time()
    for page in within:
        await box.call(partial(_analyse, page), Limits())
    per_page = (time.thread_time() - loop_cpu) / len(within)
    await box.close()
    print(f"3. a sandbox: {start_cpu:.2f} s of CPU to start one and analyse its first page "
          f"(imports included); {rss / 2**20:.0f} MB resident then; the event loop's CPU per "
          f"page sent to one: {per_page * 1000:.3f} ms ({len(within)} real pages)")  # fmt: skip
    emit("Sandbox start, CPU", round(start_cpu, 2), "s", note="imports and a first page")
    emit("Sandbox RSS, analysing pages", round(rss / 2**20, 1), "MB")
    emit("Event loop CPU per page analysed in a sandbox", round(per_page * 1000, 3), "ms")


# --- past every bound ----------------------------------------------------------------------------


async def hostile() -> None:
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel>' + b"<a>" * 1_600_000
    page = b"<!doctype html><html><body>" + b"<b>" * 1_550_000 + TEXT.encode() * 20
    print("4. documents past every bound, in a sandbox under the default limits "
          f"({Limits().cpu:g} s CPU, {Limits().memory >> 20} MB)")  # fmt: skip
    for name, call in (
        ("4.8 MB feed of unclosed elements", partial(discover, feed, url=URL)),
        ("4.7 MB page of unclosed <b>", partial(_analyse, page)),
    ):
        box = await Sandbox.start()
        start = time.monotonic()
        try:
            await box.call(call, Limits())
            outcome = "parsed"
        except OverBound as exc:
            outcome = f"stopped: {exc.reason}"
        took = time.monotonic() - start
        await box.close()
        print(f"   {name:34} {outcome}, after {took:.1f} s (process start included)")
        emit(f"Time to stop a {name}", round(took, 1), "s", note=outcome)


async def main_async(only: str | None) -> None:
    if only in (None, "edge"):
        await edge()
    if only in (None, "real"):
        real()
    if only in (None, "sandbox"):
        await sandbox(real_pages())
    if only in (None, "hostile"):
        await hostile()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", choices=["edge", "real", "sandbox", "hostile"])
    a = p.parse_args()
    asyncio.run(main_async(a.only))


if __name__ == "__main__":
    # Run as bench.bench_bounds, not __main__: the sandbox imports what it is handed by its
    # module's name, and its own __main__ is watchwire.sandbox.
    from bench.bench_bounds import main as named_main

    named_main()
