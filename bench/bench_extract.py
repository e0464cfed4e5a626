"""Extraction benchmark: watchwire's extractor against trafilatura, same pages, same run.

Pages are the 90 of ``tests/data/extraction/`` (real news and blog pages with their true article
bodies). Quality is the benchmark's own metric (``tests/extract/metric.py``: word 4-gram overlap,
page-averaged precision and recall, F1 of the two means, exact-match accuracy). Speed is the
median and p90 over pages of the best of ``--repeat`` runs, from the page's bytes to the body
text, in this one process pinned to one core, as CPU time (``--wall`` for wall-clock time).

    .venv/bin/python bench/bench_extract.py [--repeat 3] [--worst 10] [--only watchwire]

trafilatura is imported only when it runs (``pip install -e '.[bench]'``).
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
METRIC_PATH = ROOT / "tests" / "extract" / "metric.py"

Extractor = Callable[[bytes, str], str]


def load_metric() -> ModuleType:
    """tests/extract/metric.py, by path: it is stdlib-only and not an installed package."""
    spec = importlib.util.spec_from_file_location("extraction_metric", METRIC_PATH)
    if spec is None or spec.loader is None:
        raise ImportError(METRIC_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


def parse_only() -> Extractor:
    """The speed limit: selectolax's Lexbor parse and nothing else (scores nothing)."""
    from selectolax.lexbor import LexborHTMLParser

    def extract(html: bytes, url: str) -> str:
        LexborHTMLParser(html)
        return ""

    return extract


def watchwire_extractor() -> Extractor:
    from watchwire.extract import extract_article

    return lambda html, url: extract_article(html, url).text


def trafilatura_extractor(*, include_comments: bool = True, fast: bool = False) -> Extractor:
    import trafilatura

    def extract(html: bytes, url: str) -> str:
        text = trafilatura.extract(html, url=url, include_comments=include_comments, fast=fast)
        return text or ""

    return extract


EXTRACTORS: dict[str, Callable[[], Extractor]] = {
    "selectolax parse only": parse_only,
    "watchwire": watchwire_extractor,
    # The configuration that scores the published 0.955: comments are not article text.
    "trafilatura": lambda: trafilatura_extractor(include_comments=False),
    "trafilatura (defaults)": lambda: trafilatura_extractor(),
    "trafilatura (fast)": lambda: trafilatura_extractor(include_comments=False, fast=True),
}


def pin_to_one_core() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def run(
    name: str,
    extract: Extractor,
    pages: list[Any],
    metric: ModuleType,
    repeat: int,
    clock: Callable[[], float],
) -> dict[str, Any]:
    scores, times = [], []
    for page in pages:
        best = float("inf")
        text = ""
        for _ in range(repeat):
            start = clock()
            text = extract(page.html, page.url)
            best = min(best, clock() - start)
        times.append(best * 1000)
        scores.append(metric.score_page(page.page_id, page.truth, text))
    summary = metric.summarize(scores)
    times.sort()
    return {
        "name": name,
        "summary": summary,
        "median": statistics.median(times),
        "p90": times[int(0.9 * (len(times) - 1))],
        "scores": scores,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per page; the best counts")
    parser.add_argument("--worst", type=int, default=0, help="list this many worst pages each")
    parser.add_argument("--only", choices=sorted(EXTRACTORS), action="append")
    parser.add_argument("--wall", action="store_true", help="time wall clock, not CPU time")
    args = parser.parse_args()
    # CPU time of this process by default: what a page costs one core, not inflated when other
    # work shares the machine. On an idle machine the two agree.
    clock = time.perf_counter if args.wall else time.process_time

    metric = load_metric()
    pages = list(metric.load_pages())
    print(
        f"{len(pages)} pages from {metric.DATA_DIR.relative_to(ROOT)}; {pin_to_one_core()}; "
        f"best of {args.repeat} runs per page, {'wall' if args.wall else 'CPU'} time\n"
    )
    results = []
    default = ["selectolax parse only", "watchwire", "trafilatura", "trafilatura (defaults)"]
    for name in args.only or default:
        try:
            extract = EXTRACTORS[name]()
        except ImportError as exc:
            print(f"{name}: not installed ({exc}); pip install -e '.[bench]'")
            continue
        results.append(run(name, extract, pages, metric, args.repeat, clock))

    print("| extractor | F1 | precision | recall | accuracy | median ms/page | p90 ms/page |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        s = r["summary"]
        quality = (
            "— | — | — | —"
            if r["name"] == "selectolax parse only"
            else f"{s.f1:.3f} | {s.precision:.3f} | {s.recall:.3f} | {s.accuracy:.3f}"
        )
        print(f"| {r['name']} | {quality} | {r['median']:.2f} | {r['p90']:.2f} |")
    for r in results:
        if r["name"] == "selectolax parse only":
            continue
        low = sorted((s for s in r["scores"] if s.f1 < 0.5), key=lambda s: s.f1)
        worst = sorted(r["scores"], key=lambda s: s.f1)[: max(args.worst, len(low))]
        if worst:
            print(f"\n{r['name']}: worst pages (F1 / precision / recall)")
            for s in worst:
                print(
                    f"  {s.page_id[:12]}  {s.f1:.3f} / {s.precision or 0:.3f} / {s.recall or 0:.3f}"
                )


if __name__ == "__main__":
    main()
