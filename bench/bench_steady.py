"""Steady state: the service watching 1,000 unchanged feeds that answer 304, its HTTP
endpoint on and /metrics scraped every 15 s (as Prometheus would).

    python -m bench.bench_steady            # 1,000 feeds every 60 s, measured twice 4 minutes
    python -m bench.bench_steady --quick    # measured twice 2 minutes

``watchwire run`` (a subprocess) watches every site of the universe; nothing new is
published. After the first crawl and one full round of conditional GETs answered ``304``, the
service's CPU (user + system, all threads, from ``/proc/PID/stat``) and RSS are read over the
window. Then the service is restarted on the same store and measured again: its polls are
conditional from the first, so that is the cost of watching without the first crawl's memory
high-water mark. RSS counts the service's worker processes too. Targets: under 5 % of one
core, under 150 MB RSS; a scrape of /metrics at 1,000 sources in at most 50 ms.

    python -m bench.bench_steady --quick --dashboard 30   # the dashboard's overview open too

With ``--dashboard`` the overview is also fetched every so many seconds, as an open page does
(its script refreshes it every 30 s), and the targets must still hold.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import (
    ProcMeter,
    descendants,
    emit,
    proc_peak_rss,
    proc_rss,
    pyspy,
    pyspy_path,
    pyspy_stages,
)
from bench.harness import Receiver, ServiceProcess, wait_until, write_service_config
from bench.universe import Universe, UniverseOptions


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--sources", type=int, default=1000)
    p.add_argument("--interval", type=int, default=60, help="poll interval, seconds")
    p.add_argument("--window", type=float, help="seconds measured")
    p.add_argument("--rules", type=int, default=1000)
    p.add_argument("--profile", action="store_true", help="py-spy the restarted service")
    p.add_argument("--scrape-every", type=float, default=15.0, help="seconds between scrapes")
    p.add_argument(
        "--dashboard",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="also keep the dashboard's overview open, refreshed this often (its script: 30)",
    )
    a = p.parse_args()
    window = a.window or (120.0 if a.quick else 240.0)
    opts = UniverseOptions(
        sites=a.sources, articles=5, initial_age=48 * 3600, belarus_fraction=0.0, dup_fraction=0.0
    )
    with (
        tempfile.TemporaryDirectory(prefix="ww-steady-") as tmpdir,
        Universe(opts) as uni,
        Receiver() as rx,
    ):
        tmp = Path(tmpdir)
        port = _free_port()
        cfg = write_service_config(
            tmp, uni, rx.url, interval=f"{a.interval}s", rules=a.rules, http_port=port
        )
        scrape = Scraper(f"http://127.0.0.1:{port}/metrics", a.scrape_every)
        if a.dashboard:
            scrape.pages = (f"http://127.0.0.1:{port}/", a.dashboard)
        # 1. The service that did the first crawl itself (its memory high-water mark stays).
        with ServiceProcess(cfg, tmp / "service.log") as svc:
            t_boot = time.time()
            settle(uni, svc, a.sources, a.interval)
            print(f"steady after {time.time() - t_boot:.0f}s; measuring {window:.0f}s", flush=True)
            first = measure(uni, svc, window, scrape)
        # 2. Restarted on the same store: every poll is conditional from the start.
        with ServiceProcess(cfg, tmp / "service-restarted.log") as svc:
            seen = uni.stats()["counts"].get("feed_304", 0)
            settle(uni, svc, a.sources, a.interval, after=seen)
            if a.profile and pyspy_path() is not None:
                with pyspy(svc.pid, tmp / "pyspy.txt"):
                    restarted = measure(uni, svc, window, scrape)
                print_profile(tmp / "pyspy.txt", restarted)
            else:
                restarted = measure(uni, svc, window, scrape)
    for label, m in (("after its first crawl", first), ("restarted on the store", restarted)):
        n304 = m["polls"].get("feed_304", 0)
        print(
            f"{label}: {a.sources} feeds every {a.interval}s: {m['cpu']:.2f}s CPU over "
            f"{m['wall']:.0f}s = {m['pct']:.2f}% of a core; requests in the window {m['polls']}; "
            f"{1000 * m['cpu'] / max(n304, 1):.2f} ms CPU per 304 poll; RSS {m['rss'] / 2**20:.0f} "
            f"MB with {m['children_rss'] / 2**20:.0f} MB in worker processes (service's peak "
            f"{m['peak'] / 2**20:.0f} MB); universe {m['server']:.2f}s CPU; scrapes (ms) "
            f"{[round(t, 1) for t in m['scrapes']]} of {m['scrape_bytes']} bytes",
            flush=True,
        )
        scale = f"{a.sources} feeds / {a.interval}s, {n304} polls answered 304, {label}"
        if a.dashboard:
            scale += f", the dashboard open (refreshed every {a.dashboard:g}s)"
            pages = m["pages"]
            emit(
                "Dashboard overview while watching, median",
                round(statistics.median(pages), 1) if pages else None,
                "ms",
                note=f"{a.sources} sources, {len(pages)} refreshes, {label}",
            )
        emit("Steady state CPU", round(m["pct"], 2), "% of a core", target="< 5", note=scale)
        emit("Steady state RSS", round(m["rss"] / 2**20, 1), "MB", target="< 150", note=scale)
        ms = m["scrapes"]
        emit(
            "Scrape of /metrics, median",
            round(statistics.median(ms), 1) if ms else None,
            "ms",
            note=f"{a.sources} sources, {len(ms)} scrapes every {a.scrape_every:g}s, {label}",
        )
        emit(
            "Scrape of /metrics, slowest",
            round(max(ms), 1) if ms else None,
            "ms",
            target="<= 50",
            note=f"{a.sources} sources, {len(ms)} scrapes, {label}",
        )
        emit(
            "Steady state CPU per 304 poll",
            round(1000 * m["cpu"] / max(n304, 1), 2),
            "ms",
            note=scale,
        )


def print_profile(path: Path, m: dict[str, Any]) -> None:
    """Where a 304 poll's CPU goes: py-spy samples, scaled to the measured CPU."""
    detail: dict[str, dict[str, int]] = {}
    groups = pyspy_stages(path, detail)
    total = sum(sum(v.values()) for v in groups.values()) or 1
    n304 = max(m["polls"].get("feed_304", 0), 1)
    print("CPU per 304 poll by stage (py-spy samples scaled to the measured CPU, all threads):")
    flat = [(f"{stage} [{g}]", n) for g, st in groups.items() for stage, n in st.items()]
    for name, n in sorted(flat, key=lambda p: -p[1]):
        print(f"  {name:56s} {1000 * m['cpu'] * n / total / n304:6.3f} ms")
    for key, frames in sorted(detail.items(), key=lambda p: -sum(p[1].values()))[:4]:
        sub = sum(frames.values())
        print(f"  {key}")
        for frame, n in sorted(frames.items(), key=lambda p: -p[1])[:6]:
            print(f"    {100 * n / sub:5.1f}%  {frame}")


def settle(uni: Universe, svc: ServiceProcess, sources: int, interval: int, after: int = 0) -> None:
    """Wait until every feed has answered one more 304 than ``after`` counts."""
    initial = uni.opts.sites * uni.opts.articles  # the first crawl is over, too

    def done() -> bool:
        counts = uni.stats()["counts"]
        return (
            counts.get("feed_304", 0) >= after + sources and counts.get("article_200", 0) >= initial
        )

    ok = wait_until(
        lambda: svc.alive() and done(),
        timeout=600 + 2 * interval,
        what="a full round of 304s",
    )
    if not ok or not svc.alive():
        print(svc.log_tail(), flush=True)
        raise SystemExit("the service did not reach its steady state")


def _rss_or_zero(pid: int) -> int:
    try:
        return proc_rss(pid)
    except FileNotFoundError:  # a worker that exited meanwhile
        return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Scraper:
    """Scrapes ``url`` every ``every`` seconds on a thread, as Prometheus would, timing each;
    and, with ``pages``, keeps a page open as a browser would (``watchwire.js`` refreshes the
    overview every 30 s)."""

    def __init__(self, url: str, every: float) -> None:
        self.url = url
        self.every = every
        self.pages: tuple[str, float] | None = None

    def browse(self, stop: threading.Event, times: list[float]) -> None:
        if self.pages is None:
            return
        url, every = self.pages
        request = urllib.request.Request(url, headers={"Accept": "text/html"})
        while not stop.is_set():
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
                times.append(1000 * (time.perf_counter() - started))
            except OSError as exc:
                print(f"dashboard refresh failed: {exc}", flush=True)
            stop.wait(every)

    def run(self, stop: threading.Event, times: list[float], sizes: list[int]) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(self.url, timeout=10) as response:
                    sizes.append(len(response.read()))
                times.append(1000 * (time.perf_counter() - started))
            except OSError as exc:
                print(f"scrape failed: {exc}", flush=True)
            stop.wait(self.every)


def measure(uni: Universe, svc: ServiceProcess, window: float, scrape: Scraper) -> dict[str, Any]:
    before = uni.stats()["counts"]
    meter = ProcMeter(svc.pid).start()
    server = ProcMeter(uni.pid).start()
    stop, times, sizes = threading.Event(), list[float](), list[int]()
    pages: list[float] = []
    scraper = threading.Thread(target=scrape.run, args=(stop, times, sizes), daemon=True)
    browser = threading.Thread(target=scrape.browse, args=(stop, pages), daemon=True)
    scraper.start()
    browser.start()
    time.sleep(window)
    stop.set()
    scraper.join()
    browser.join()
    meter.stop()
    server.stop()
    after = uni.stats()["counts"]
    children_rss = sum(_rss_or_zero(pid) for pid in descendants(svc.pid))
    return {
        "cpu": meter.cpu,
        "wall": meter.wall,
        "pct": 100 * meter.cpu / meter.wall,
        "polls": {k: after.get(k, 0) - before.get(k, 0) for k in after},
        # The service with its extraction worker processes (and the forkserver): the RSS a
        # user sees for watchwire, not only the event loop's process.
        "rss": proc_rss(svc.pid) + children_rss,
        "children_rss": children_rss,
        "peak": proc_peak_rss(svc.pid),
        "server": server.cpu,
        "scrapes": times,
        "scrape_bytes": max(sizes, default=0),
        "pages": pages,
    }


if __name__ == "__main__":
    main()
