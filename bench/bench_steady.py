"""Steady state: the service watching 1,000 unchanged feeds that answer 304.

    python -m bench.bench_steady            # 1,000 feeds every 60 s, measured over 5 minutes
    python -m bench.bench_steady --quick    # measured over 2 minutes

``watchwire run`` (a subprocess) watches every site of the universe; nothing new is
published. After the first crawl and one full round of conditional GETs answered ``304``, the
service's CPU (user + system, all threads, from ``/proc/PID/stat``) and RSS are read over the
window. Targets: under 5 % of one core, under 150 MB RSS.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.common import ProcMeter, emit, proc_peak_rss, proc_rss
from bench.harness import Receiver, ServiceProcess, wait_until, write_service_config
from bench.universe import Universe, UniverseOptions


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--sources", type=int, default=1000)
    p.add_argument("--interval", type=int, default=60, help="poll interval, seconds")
    p.add_argument("--window", type=float, help="seconds measured")
    p.add_argument("--rules", type=int, default=1000)
    a = p.parse_args()
    window = a.window or (120.0 if a.quick else 300.0)
    opts = UniverseOptions(
        sites=a.sources, articles=5, initial_age=48 * 3600, belarus_fraction=0.0, dup_fraction=0.0
    )
    with (
        tempfile.TemporaryDirectory(prefix="ww-steady-") as tmpdir,
        Universe(opts) as uni,
        Receiver() as rx,
    ):
        tmp = Path(tmpdir)
        cfg = write_service_config(tmp, uni, rx.url, interval=f"{a.interval}s", rules=a.rules)
        with ServiceProcess(cfg, tmp / "service.log") as svc:
            t_boot = time.time()
            ok = wait_until(
                lambda: svc.alive() and uni.stats()["counts"].get("feed_304", 0) >= a.sources,
                timeout=600 + 2 * a.interval,
                what="a full round of 304s",
            )
            if not ok or not svc.alive():
                print(svc.log_tail(), flush=True)
                raise SystemExit("the service did not reach its steady state")
            print(f"steady after {time.time() - t_boot:.0f}s; measuring {window:.0f}s", flush=True)
            before = uni.stats()["counts"]
            meter = ProcMeter(svc.pid).start()
            server = ProcMeter(uni.pid).start()
            time.sleep(window)
            meter.stop()
            server.stop()
            after = uni.stats()["counts"]
            rss, peak = proc_rss(svc.pid), proc_peak_rss(svc.pid)
        polls = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        n304 = polls.get("feed_304", 0)
        pct = 100 * meter.cpu / meter.wall
        print(
            f"{a.sources} feeds every {a.interval}s: {meter.cpu:.2f}s CPU over {meter.wall:.0f}s "
            f"= {pct:.2f}% of a core; requests in the window {polls}; "
            f"{1000 * meter.cpu / max(n304, 1):.2f} ms CPU per 304 poll; RSS {rss / 2**20:.0f} MB "
            f"(peak {peak / 2**20:.0f} MB, first crawl included); universe {server.cpu:.2f}s CPU",
            flush=True,
        )
        scale = f"{a.sources} feeds / {a.interval}s, {n304} polls answered 304"
        emit("Steady state CPU", round(pct, 2), "% of a core", target="< 5", note=scale)
        emit("Steady state RSS", round(rss / 2**20, 1), "MB", target="< 150", note=scale)
        emit(
            "Steady state CPU per 304 poll",
            round(1000 * meter.cpu / max(n304, 1), 2),
            "ms",
            note=scale,
        )


if __name__ == "__main__":
    main()
