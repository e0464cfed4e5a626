"""End-to-end throughput: a cold crawl of the loopback universe through the real pipeline.

    python -m bench.bench_pipeline                 # 200 sites x 50 articles, 10,000 rules
    python -m bench.bench_pipeline --quick         # 20 sites x 50, 1,000 rules
    python -m bench.bench_pipeline --profile       # sampled by py-spy: CPU per stage
    python -m bench.bench_pipeline --cprofile      # plus a cProfile'd crawl of 40 sites

Every source is polled once, as ``watchwire once`` does (16 sources at a time, the pipeline's
own article concurrency), by the real ``Poller`` with SQLite + FTS5 in a temporary directory
and a webhook channel to a sink. The crawl is timed apart from the delivery of the alerts it
queued. CPU is this process's (all threads: the event loop, the store's SQLite threads); the
universe's CPU is measured apart. ``per_host_delay`` is 0 here: with the default 1 s a site
yields one article a second, and this benchmark measures CPU, not politeness.

Then the same article URLs are fetched again by a bare ``Fetcher`` at the same concurrency,
to give the HTTP client's CPU per fetched page on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import (
    ChildrenMeter,
    CpuMeter,
    ProcMeter,
    descendants,
    emit,
    profiled,
    pyspy,
    pyspy_path,
    pyspy_stages,
    stage_profile,
)
from bench.corpus import _Generator, make_rules_yaml
from bench.universe import Universe, UniverseOptions, site_host
from watchwire.config import Config, load_config
from watchwire.dedupe import canonicalize_url, fingerprint
from watchwire.extract import extract_article
from watchwire.fetch import Fetcher, decode_html
from watchwire.pipeline import PollReport
from watchwire.rules import RuleSet, compile_rules
from watchwire.service import default_workers, freeze_long_lived, open_service

SOURCE_CONCURRENCY = 16
"""Sources polled at once, as ``watchwire once`` (``service.run_once``) does."""
FLOOR_MS = 1.5
"""CPU per article done in C: loopback 0.1 + Lexbor parse 0.7 + FTS5 0.6-0.8 ms (issue 10)."""


def write_config(
    tmp: Path,
    feeds: list[str],
    hook: str,
    *,
    rules: int,
    delay: str = "0s",
    interval: str = "1h",
    extra_crawl: str = "",
) -> Path:
    sources = "\n".join(
        f"  - name: s{i}\n    url: {url}\n    kind: feed" for i, url in enumerate(feeds)
    )
    text = (
        f"storage: {tmp / 'watchwire.db'}\n"
        "crawl:\n"
        f"  interval: {interval}\n"
        f"  per_host_delay: {delay}\n"
        "  per_host_concurrency: 2\n"
        "  timeout: 60s\n"
        f"{extra_crawl}"
        f"sources:\n{sources}\n"
        "channels:\n"
        "  hook:\n"
        "    type: webhook\n"
        f"    url: {hook}\n"
        "    concurrency: 16\n" + make_rules_yaml(rules)
    )
    path = tmp / "watchwire.yaml"
    path.write_text(text)
    return path


async def crawl(
    config: Config,
    *,
    profile: bool,
    spy: Path | None = None,
    workers: int = 0,
    exclude: frozenset[int] = frozenset(),
) -> dict[str, Any]:
    async with open_service(config, workers=workers) as rt:
        freeze_long_lived()  # as `watchwire once` and `run` do
        gate = asyncio.Semaphore(SOURCE_CONCURRENCY)
        reports: list[PollReport] = []

        async def poll(source: Any) -> None:
            async with gate:
                reports.append(await rt.poller.poll(source, force=True))

        with contextlib.ExitStack() as stack:
            if spy is not None:
                stack.enter_context(pyspy(os.getpid(), spy))
            kids = ChildrenMeter(exclude=exclude | _spy_pids()).start()
            meter = CpuMeter().start()
            with profiled(profile) as prof:
                async with asyncio.TaskGroup() as tg:
                    for source in config.sources:
                        tg.create_task(poll(source))
            meter.stop()
            kids.stop()
        drain = CpuMeter().start()
        delivered = 0
        try:
            async with asyncio.timeout(300):
                while n := await rt.drain():
                    delivered += n
        except TimeoutError:
            pass
        drain.stop()
        counts = await rt.store.outbox_counts()
    return {
        "meter": meter,
        "kids": kids,
        "reports": reports,
        "prof": prof,
        "drain": drain,
        "delivered": delivered,
        "outbox": counts,
    }


async def fetch_only(config: Config, urls: list[str], concurrency: int) -> tuple[CpuMeter, int]:
    """The HTTP client alone: fetch ``urls`` at ``concurrency``, read the bodies, no parsing."""
    settings = config.settings_for(None)
    async with Fetcher(settings) as fetcher:
        # Warm: robots.txt of every host, connections.
        hosts = {u.split("/news/")[0]: u for u in urls}
        await asyncio.gather(
            *(fetcher.fetch(u, settings=settings, purpose="page") for u in list(hosts.values()))
        )
        gate = asyncio.Semaphore(concurrency)
        ok = 0

        async def one(url: str) -> None:
            nonlocal ok
            async with gate:
                r = await fetcher.fetch(url, settings=settings, purpose="page")
                ok += r.ok

        meter = CpuMeter().start()
        async with asyncio.TaskGroup() as tg:
            for u in urls:
                tg.create_task(one(u))
        meter.stop()
    return meter, ok


def _spy_pids() -> frozenset[int]:
    """py-spy, a child of ours too, is not the pipeline's CPU."""
    out = set()
    for pid in descendants():
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == "py-spy":
                    out.add(pid)
        except FileNotFoundError:
            continue
    return frozenset(out)


def article_urls(db: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(db) as con:
        return [r[0] for r in con.execute("SELECT url FROM articles ORDER BY id")]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--sites", type=int)
    p.add_argument("--articles", type=int, default=50)
    p.add_argument("--rules", type=int)
    p.add_argument("--profile", action="store_true", help="sample the crawl with py-spy")
    p.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="extraction worker processes, as the service uses (default: cores - 1)",
    )
    p.add_argument("--cprofile", action="store_true", help="also run a cProfile'd crawl")
    p.add_argument(
        "--profile-sites",
        type=int,
        default=40,
        help="sites in the cProfile'd crawl (cProfile slows it)",
    )
    a = p.parse_args()
    sites = a.sites or (20 if a.quick else 200)
    n_rules = a.rules or (1000 if a.quick else 10000)
    opts = UniverseOptions(sites=sites, articles=a.articles, pregenerate=True)
    with Universe(opts) as uni, tempfile.TemporaryDirectory(prefix="ww-bench-") as tmpdir:
        print(
            f"universe: {sites} sites x {a.articles} articles, set up in "
            f"{uni.info['setup_s']:.1f}s",
            flush=True,
        )
        runs = [("plain", False)]
        if a.cprofile:
            runs.append(("profiled", True))
        if a.profile and pyspy_path() is None:
            print("py-spy is not installed (pip install py-spy): no sampled profile", flush=True)
        results: dict[str, dict[str, Any]] = {}
        for label, prof in runs:
            tmp = Path(tmpdir) / label
            tmp.mkdir()
            feeds = uni.feeds[: a.profile_sites] if prof else uni.feeds
            cfg_path = write_config(tmp, feeds, uni.hook, rules=n_rules)
            config = load_config(cfg_path)
            t = time.perf_counter()
            rules = compile_rules(config.rules, config.terms)
            compile_s = time.perf_counter() - t
            print(f"[{label}] {len(rules)} rules compiled in {compile_s:.2f}s", flush=True)
            server = ProcMeter(uni.pid).start()
            spy = Path(tmpdir) / "pyspy.txt" if a.profile and not prof and pyspy_path() else None
            r = asyncio.run(
                crawl(
                    config, profile=prof, spy=spy, workers=a.workers, exclude=frozenset({uni.pid})
                )
            )
            r["workers"] = a.workers
            r["spy"] = spy
            server.stop()
            r["server"] = server
            r["db"] = tmp / "watchwire.db"
            results[label] = r
            report(label, r, len(feeds) * a.articles, quick=a.quick)
        stage_costs(opts, rules, config)
        # The HTTP client alone, on the article pages of the first run.
        first = next(iter(results.values()))
        urls = article_urls(first["db"])
        conc = SOURCE_CONCURRENCY * 2  # 16 sources, each host 2 in flight (per_host_concurrency)
        config = load_config(Path(first["db"]).parent / "watchwire.yaml")
        m, ok = asyncio.run(fetch_only(config, urls, conc))
        ms = m.cpu / max(ok, 1) * 1000
        print(
            f"fetch only: {ok} pages in {m.wall:.1f}s, {m.cpu:.1f}s CPU "
            f"(main thread {m.main:.1f}s) at concurrency {conc}",
            flush=True,
        )
        emit(
            "HTTP client CPU per fetched page",
            round(ms, 3),
            "ms",
            target="<= 0.6",
            note=f"Fetcher alone, {conc} in flight, gzipped 50-150 KB pages",
        )


def stage_costs(opts: UniverseOptions, rules: RuleSet, config: Config, n: int = 300) -> None:
    """CPU per article of each pure stage, unprofiled, on ``n`` of the universe's own pages.

    The profile above says where the time goes but inflates Python-heavy code; this says what
    each stage costs on its own (``time.process_time``, one core), with the same 10,000 rules.
    """
    gen = _Generator(opts, [f"{site_host(i)}:80" for i in range(opts.sites)], time.time())
    refs = list(gen.by_key.values())[:: max(1, len(gen.by_key) // n)][:n]
    pages = [(gen.sites[r.site].url(r), gen.article_html(r)) for r in refs]
    extra = config.dedupe.tracking_params
    costs: dict[str, float] = {}

    def timed(name: str, fn: Any) -> list[Any]:
        t = time.process_time()
        out = [fn(x) for x in items]
        costs[name] = (time.process_time() - t) / len(items) * 1000
        return out

    items: list[Any] = pages
    texts = timed("decode (charset)", lambda p: (p[0], decode_html(p[1], charset="utf-8")))
    items = texts
    articles = timed("extract (selectolax)", lambda p: extract_article(p[1], url=p[0]))
    items = list(zip(pages, articles, strict=True))
    timed("dedupe (canonical URL + fingerprint)",
          lambda pa: (canonicalize_url(pa[0][0], extra_params=extra, canonical=pa[1].url),
                      fingerprint(pa[1].text or pa[1].title)))  # fmt: skip
    items = articles
    timed(f"rules ({len(rules):,} rules)", lambda a: rules.match(a, source="s0"))
    print(f"stage costs, unprofiled, on {len(pages)} universe pages (ms CPU per article):")
    for name, ms in costs.items():
        print(f"  {name:48s} {ms:6.2f}")
    print(f"  {'sum':48s} {sum(costs.values()):6.2f}", flush=True)
    for name, ms in costs.items():
        emit(
            f"Stage CPU per article: {name}",
            round(ms, 2),
            "ms",
            note="unprofiled, one core",
            detail=True,
        )


def report_spy(path: Path, meter: CpuMeter, stored: int, *, workers_cpu: float = 0.0) -> None:
    """CPU per article per stage: py-spy's samples scaled to the measured CPU of each thread."""
    detail: dict[str, dict[str, int]] = {}
    groups = pyspy_stages(path, detail)
    cpu = {"main": meter.main, "other": meter.cpu - meter.main}
    print("CPU per stage, py-spy samples scaled to measured CPU (ms per article):")
    rows: dict[str, float] = defaultdict(float)
    for group, stages in groups.items():
        total = sum(stages.values()) or 1
        for stage, n in stages.items():
            rows[f"{stage} [{'event loop thread' if group == 'main' else 'other threads'}]"] += (
                cpu[group] * n / total / max(stored, 1) * 1000
            )
    if workers_cpu:
        rows["decode + extract + fingerprint [worker processes]"] = (
            workers_cpu / max(stored, 1) * 1000
        )
    for name, ms in sorted(rows.items(), key=lambda p: -p[1]):
        print(f"  {name:64s} {ms:6.2f}")
        emit(f"Profile: {name}", round(ms, 2), "ms/article", note="py-spy", detail=True)
    print(f"  {'total':64s} {sum(rows.values()):6.2f}", flush=True)
    print("where, in the biggest stages (share of that stage's samples):")
    for key, frames in sorted(detail.items(), key=lambda p: -sum(p[1].values()))[:4]:
        total = sum(frames.values())
        print(f"  {key}")
        for frame, n in sorted(frames.items(), key=lambda p: -p[1])[:8]:
            print(f"    {100 * n / total:5.1f}%  {frame}")


def report(label: str, r: dict[str, Any], expected: int, *, quick: bool) -> None:
    meter: CpuMeter = r["meter"]
    reports: list[PollReport] = r["reports"]
    stored = sum(x.stored for x in reports)
    failed = sum(x.failed for x in reports)
    alerts = sum(x.alerts for x in reports)
    bad = [x for x in reports if not x.ok]
    rate = stored / meter.wall if meter.wall else 0.0
    kids: ChildrenMeter = r["kids"]
    cpu_ms = (meter.cpu + kids.cpu) / max(stored, 1) * 1000
    server: ProcMeter = r["server"]
    print(
        f"[{label}] {stored}/{expected} stored ({failed} failed, {len(bad)} sources failed), "
        f"{alerts} alerts queued, in {meter.wall:.1f}s = {rate:.0f} articles/s; CPU "
        f"{meter.cpu:.1f}s = {cpu_ms:.2f} ms/article (event loop {meter.main:.1f}s, other "
        f"threads {meter.cpu - meter.main:.1f}s, {r['workers']} extraction worker process(es) "
        f"{kids.cpu:.1f}s); universe CPU {server.cpu:.1f}s; delivery: "
        f"{r['delivered']} in {r['drain'].wall:.1f}s, outbox {r['outbox']}; CPU-bound ceiling "
        f"of one event loop: {1000 / max(meter.main / max(stored, 1) * 1000, 1e-9):.0f} articles/s",
        flush=True,
    )
    if label == "plain":
        scale = "quick: 1,000 articles, 1,000 rules" if quick else "10,000 articles, 10,000 rules"
        scale += f", {r['workers']} extraction worker(s)"
        emit(
            "End-to-end throughput, cold crawl",
            round(rate, 1),
            "articles/s",
            target=">= 200",
            note=scale,
        )
        emit(
            "CPU per article (floor in C ~1.5 ms)",
            round(cpu_ms, 2),
            "ms",
            note=f"{cpu_ms / FLOOR_MS:.1f}x the C floor",
        )
        emit(
            "Universe server CPU per article",
            round(server.cpu / max(stored, 1) * 1000, 3),
            "ms",
            note="the loopback sites' process, apart",
        )
    if r.get("spy") is not None and r["spy"].exists():
        report_spy(r["spy"], meter, stored, workers_cpu=r["kids"].cpu)
    if r["prof"] is not None:
        per, top = stage_profile(r["prof"])
        total = sum(per.values())
        other = meter.cpu - meter.main
        print(
            f"[{label}] main-thread profile ({total:.1f}s profiled; other threads, mostly "
            f"SQLite in aiosqlite's thread: {other:.1f}s):"
        )
        for stage, sec in per.items():
            print(
                f"  {stage:36s} {sec:7.2f}s  {sec / max(stored, 1) * 1000:6.2f} ms/article "
                f"{100 * sec / total:5.1f}%"
            )
        print("  top functions (own time):")
        for name, sec in top:
            print(f"    {sec:7.2f}s  {name}")


if __name__ == "__main__":
    main()
