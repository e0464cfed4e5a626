"""Overlapping feeds: how many times each article page is fetched on a first crawl.

    python -m bench.bench_overlap                          # 40 sites x 50 articles, 4 sections
    python -m bench.bench_overlap --python ../old/.venv/bin/python   # another checkout's watchwire

Every site of the loopback universe serves its main feed and ``--sections`` section feeds that
overlap (each article is listed in three to five of its site's feeds), and every one of those
feeds is a source. ``watchwire once`` (the real command, in a subprocess; one extraction worker
as on this 2-core machine) crawls them all once. The universe counts the article pages it
served; the figure that matters is requests per distinct article (1.00: each fetched once).
CPU is the watchwire process's and its workers', from the OS.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import emit
from bench.universe import Universe, UniverseOptions


def _config(folder: Path, feeds: list[str]) -> Path:
    sources = "\n".join(f'  - {{name: s{i}, url: "{url}"}}' for i, url in enumerate(feeds))
    path = folder / "watchwire.yaml"
    path.write_text(
        f"""
storage: watchwire.db
crawl: {{per_host_delay: 0s, per_host_concurrency: 4, timeout: 30s, interval: 1h,
         max_articles_per_poll: 500}}
sources:
{sources}
channels:
  sink: {{type: console}}
terms:
  belarus: [Belarus, Belarusian*, Білорус*]
  sanctions: [sanction*, санкці*]
rules:
  - {{name: belarus-sanctions, query: "@belarus AND @sanctions", within: paragraph}}
""",
        encoding="utf-8",
    )
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sites", type=int, default=40)
    p.add_argument("--articles", type=int, default=50, help="articles per site")
    p.add_argument("--sections", type=int, default=4, help="section feeds per site")
    p.add_argument("--python", default=sys.executable, help="the interpreter whose watchwire runs")
    a = p.parse_args()
    opts = UniverseOptions(
        sites=a.sites, articles=a.articles, sections=a.sections, pregenerate=True,
        dup_fraction=0.0,
    )  # fmt: skip
    with Universe(opts) as universe, tempfile.TemporaryDirectory(prefix="ww-overlap-") as tmp:
        # A site's feeds side by side, as people add them: polled at about the same time.
        sections = list(universe.info["section_feeds"])
        feeds = [
            url
            for i, main_feed in enumerate(universe.feeds)
            for url in (main_feed, *sections[i * a.sections : (i + 1) * a.sections])
        ]
        config = _config(Path(tmp), feeds)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        served_before = universe.stats()
        t0 = time.perf_counter()
        done = subprocess.run(
            [a.python, "-m", "watchwire", "once", "-c", str(config), "--drain-timeout", "5",
             "--log-level", "warning"],
            cwd=tmp, capture_output=True, text=True, timeout=1800, check=False,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        stats = universe.stats()
    if done.returncode not in (0, 1):
        sys.exit(f"watchwire once failed ({done.returncode}):\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    counts, old = stats["counts"], served_before["counts"]
    requests = counts.get("article_200", 0) - old.get("article_200", 0)
    distinct = stats["distinct_articles"]
    expected = a.sites * a.articles
    per = requests / distinct if distinct else float("nan")
    print(
        f"{len(feeds)} feeds ({a.sites} sites x {1 + a.sections}), {expected} articles: "
        f"{requests} article requests for {distinct} distinct pages = {per:.2f} per article; "
        f"first crawl {wall:.1f} s, CPU {cpu:.1f} s = {1000 * cpu / max(distinct, 1):.2f} ms "
        f"per article ({a.python})",
        flush=True,
    )
    note = f"{len(feeds)} overlapping feeds, {expected} articles, each in 3-5 feeds"
    emit("Article requests per distinct article", round(per, 2), "", target="<= 1.0", note=note)
    emit("First crawl of overlapping feeds", round(wall, 1), "s", note=note)
    emit("CPU per article, overlapping feeds", round(1000 * cpu / max(distinct, 1), 2), "ms",
         note=note)  # fmt: skip


if __name__ == "__main__":
    main()
