"""Alert latency: from the moment an article appears in a feed to its webhook arriving.

    python -m bench.bench_latency            # 1,000 sources polled every 60 s, ~4 min of news
    python -m bench.bench_latency --quick    # 100 sources every 10 s, 1 min of news

The real service (``watchwire run``, a subprocess) watches every site of the universe with the
default politeness (1 s between two requests to a host). The sites' initial articles are two
days old: stored on the first poll, never alerted. Once that first crawl is done, new articles
start appearing at a steady rate, each on a random site, each mentioning Belarus and sanctions,
so each must raise one ``belarus-sanctions`` alert. Article ``k`` appears at exactly
``t_start + k / rate``; the receiver notes when its alert arrives.

An article waits for the next poll of its feed (0 to one interval), then the politeness
delay, one article fetch and the pipeline: p50 should sit near half the interval and
p99 near the whole of it. Target: p99 <= interval + 2 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.common import ProcMeter, emit, proc_peak_rss, proc_rss
from bench.harness import Receiver, ServiceProcess, wait_until, write_service_config
from bench.universe import Universe, UniverseOptions, appeared_at


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    i = min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))
    return s[i]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--sources", type=int)
    p.add_argument("--interval", type=int, help="poll interval, seconds")
    p.add_argument("--duration", type=float, help="seconds over which new articles appear")
    p.add_argument("--rate", type=float, help="new articles per second")
    p.add_argument("--rules", type=int, default=1000)
    a = p.parse_args()
    sources = a.sources or (100 if a.quick else 1000)
    interval = a.interval or (10 if a.quick else 60)
    duration = a.duration or (60.0 if a.quick else 240.0)
    rate = a.rate or (2.0 if a.quick else 4.0)
    count = int(duration * rate)
    opts = UniverseOptions(
        sites=sources,
        articles=5,
        rate=rate,
        rate_count=count,
        initial_age=48 * 3600,
        belarus_fraction=0.0,
        dynamic_belarus=1.0,
        dup_fraction=0.0,
    )
    with (
        tempfile.TemporaryDirectory(prefix="ww-latency-") as tmpdir,
        Universe(opts) as uni,
        Receiver() as rx,
    ):
        tmp = Path(tmpdir)
        cfg = write_service_config(tmp, uni, rx.url, interval=f"{interval}s", rules=a.rules)
        with ServiceProcess(cfg, tmp / "service.log") as svc:
            initial = sources * opts.articles
            t_boot = time.time()
            ok = wait_until(
                lambda: svc.alive() and uni.stats()["counts"].get("article_200", 0) >= initial,
                timeout=600,
                what="the first crawl",
            )
            if not ok or not svc.alive():
                print(svc.log_tail(), flush=True)
                raise SystemExit("the service did not finish its first crawl")
            print(
                f"first crawl of {sources} sources x {opts.articles} articles done in "
                f"{time.time() - t_boot:.0f}s; new articles: {count} over {duration:.0f}s",
                flush=True,
            )
            time.sleep(min(interval, 10))
            meter = ProcMeter(svc.pid).start()
            t_start = uni.start_new_articles()
            last = t_start + (count - 1) / rate
            wanted = {f"-d{k}.html" for k in range(count)}

            def all_in() -> bool:
                got = {a.url[a.url.rfind("-d") :] for a in rx.arrivals if "-d" in a.url}
                return wanted <= got

            wait_until(
                lambda: time.time() > last and all_in(),
                timeout=duration + interval * 2 + 60,
                every=2.0,
                what="every alert",
            )
            meter.stop()
            rss, peak = proc_rss(svc.pid), proc_peak_rss(svc.pid)
            errors = svc.log_tail(5)
        lat: dict[str, float] = {}
        for arrival in rx.arrivals:
            if arrival.rule != "belarus-sanctions":
                continue
            appeared = appeared_at(arrival.url, t_start, rate)
            if appeared is None:
                continue
            delay = arrival.at - appeared
            lat[arrival.url] = min(delay, lat.get(arrival.url, delay))
        values = list(lat.values())
        p50, p99 = percentile(values, 50), percentile(values, 99)
        dupes = sum(1 for a in rx.arrivals if a.rule == "belarus-sanctions") - len(values)
        print(
            f"{len(values)}/{count} alerts arrived ({dupes} duplicate deliveries); latency "
            f"p50 {p50:.1f}s p90 {percentile(values, 90):.1f}s p99 {p99:.1f}s "
            f"max {max(values, default=float('nan')):.1f}s; service CPU {meter.cpu:.1f}s over "
            f"{meter.wall:.0f}s ({100 * meter.cpu / meter.wall:.1f}% of a core), RSS "
            f"{rss / 2**20:.0f} MB (peak {peak / 2**20:.0f} MB)",
            flush=True,
        )
        if errors.strip():
            print("service log tail:\n" + errors, flush=True)
        scale = f"{sources} sources / {interval}s, {count} new articles"
        emit("Alert latency p50", round(p50, 1), "s", note=scale)
        emit("Alert latency p99", round(p99, 1), "s", target=f"<= {interval + 2}", note=scale)
        emit(
            "Alerts delivered / expected",
            round(len(values) / count, 3),
            "",
            target=">= 1",
            note=f"{len(values)} of {count}",
        )


if __name__ == "__main__":
    main()
