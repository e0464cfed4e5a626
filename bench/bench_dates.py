"""Dates and titles benchmark: publication days and headlines against their dev sets.

Dates: the 347 pages of ``tests/data/dates/`` (accuracy: the day of ``published_at`` equals the
recorded day; ``tests/extract/datemetric.py``), with htmldate for reference when it is
installed (it comes with trafilatura: ``pip install -e '.[bench]'``). Titles: the 242 pages of
``tests/data/titles/`` (accuracy: the title equals the recorded headline, whitespace collapsed;
``tests/extract/titlemetric.py``). Speed is the median over pages of the best of ``--repeat``
runs, CPU time, one core: for watchwire the whole ``extract_article`` (title, text and all),
for htmldate ``find_date`` alone.

    .venv/bin/python -m bench.bench_dates [--repeat 3] [--misses] [--only watchwire]
    # before/after: the same on an earlier tree of the code
    git archive dfaab9b src | tar -x -C /tmp/base && python -m bench.bench_dates --src /tmp/base/src

Figures are printed as a table and as ``BENCH`` lines for ``bench.run``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "extract"

DateFinder = Callable[[bytes, str], str | None]
"""Page bytes and URL to the publication day (``YYYY-MM-DD``) or None."""


def load(name: str) -> ModuleType:
    """A stdlib-only metric module of tests/extract, by path (tests is not a package here)."""
    spec = importlib.util.spec_from_file_location(name, TESTS / f"{name}.py")
    if spec is None or spec.loader is None:
        raise ImportError(name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


def watchwire_dates() -> DateFinder:
    from watchwire.extract import extract_article

    def find(html: bytes, url: str) -> str | None:
        published = extract_article(html, url).published_at
        return published.date().isoformat() if published else None

    return find


def htmldate_dates(*, extensive: bool) -> DateFinder:
    from htmldate import find_date

    def find(html: bytes, url: str) -> str | None:
        text = html.decode("utf-8", errors="replace")
        return find_date(text, url=url, original_date=True, extensive_search=extensive)

    return find


FINDERS: dict[str, Callable[[], DateFinder]] = {
    "watchwire": watchwire_dates,
    "htmldate (extensive)": lambda: htmldate_dates(extensive=True),
    "htmldate (fast)": lambda: htmldate_dates(extensive=False),
}


def pin_to_one_core() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def timed(call: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        result = call()
        best = min(best, time.process_time() - start)
    return result, best * 1000


def bench_dates(name: str, find: DateFinder, pages: list[Any], repeat: int) -> dict[str, Any]:
    right, times, misses = 0, [], []
    for page in pages:
        got, ms = timed(lambda page=page: find(page.html, page.url), repeat)
        times.append(ms)
        if page.truth is not None and got == page.truth:  # no true date: never right
            right += 1
        else:
            misses.append((page.page_id, page.truth, got))
    return {
        "name": name,
        "accuracy": right / len(pages),
        "right": right,
        "median": statistics.median(times),
        "misses": misses,
    }


def bench_titles(pages: list[Any], metric: ModuleType, repeat: int) -> dict[str, Any]:
    from watchwire.extract import extract_article

    right, times, misses = 0, [], []
    for page in pages:
        got, ms = timed(lambda page=page: extract_article(page.html, page.url).title, repeat)
        times.append(ms)
        if metric.normal(got) == metric.normal(page.title):
            right += 1
        else:
            misses.append((page.key, page.title, got))
    return {"accuracy": right / len(pages), "right": right, "median": statistics.median(times),
            "misses": misses}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per page; the best counts")
    parser.add_argument("--only", choices=sorted(FINDERS), action="append")
    parser.add_argument("--misses", action="store_true", help="list the pages missed")
    parser.add_argument("--src", type=Path, help="measure the watchwire package under this path")
    args = parser.parse_args()
    if args.src:
        sys.path.insert(0, str(args.src.resolve()))
    from bench.common import emit

    dates, titles = load("datemetric"), load("titlemetric")
    date_pages, title_pages = list(dates.load_pages()), list(titles.load_pages())
    print(
        f"{len(date_pages)} date pages, {len(title_pages)} title pages; {pin_to_one_core()}; "
        f"best of {args.repeat} runs per page, CPU time"
        + (f"; watchwire from {args.src}" if args.src else "")
        + "\n"
    )
    results = []
    for name in args.only or list(FINDERS):
        try:
            find = FINDERS[name]()
        except ImportError as exc:
            print(f"{name}: not installed ({exc}); pip install -e '.[bench]'")
            continue
        results.append(bench_dates(name, find, date_pages, args.repeat))
    title = bench_titles(title_pages, titles, args.repeat) if "watchwire" in (
        args.only or FINDERS
    ) else None  # fmt: skip

    print("| dates dev set | accuracy | right | median ms/page |")
    print("| --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['name']} | {r['accuracy']:.3f} | {r['right']}/{len(date_pages)} | "
              f"{r['median']:.2f} |")  # fmt: skip
    if title is not None:
        print("\n| titles dev set | accuracy | right | median ms/page |")
        print("| --- | --- | --- | --- |")
        print(f"| watchwire | {title['accuracy']:.3f} | {title['right']}/{len(title_pages)} | "
              f"{title['median']:.2f} |\n")  # fmt: skip
    for r in results:
        own = r["name"] == "watchwire"
        emit(f"Dates dev accuracy ({r['name']})", round(r["accuracy"], 3), "",
             target=">= 0.93" if own else "")  # fmt: skip
        what = "whole extract_article" if own else "find_date"
        emit(f"Dates dev median ms/page ({r['name']}; {what})", round(r["median"], 2), "ms")
    if title is not None:
        emit("Titles dev accuracy (watchwire)", round(title["accuracy"], 3), "", target=">= 0.97")
    if args.misses:
        for r in results:
            print(f"\n{r['name']}: missed ({len(r['misses'])}): id, true day, found")
            for miss in r["misses"]:
                print("  ", *miss)
        if title is not None:
            print(f"\ntitles missed ({len(title['misses'])}): key, true, found")
            for miss in title["misses"]:
                print("  ", *miss)


if __name__ == "__main__":
    main()
