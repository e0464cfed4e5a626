"""Run every benchmark, print one table, and (``--write``) record it in ``bench/README.md``.

    python -m bench.run                 # everything, full size (about an hour)
    python -m bench.run --quick         # smaller sizes (about 15 minutes)
    python -m bench.run --quick --write
    python -m bench.run --only pipeline,latency

Each ``bench_*.py`` runs as a subprocess, one after another (they measure CPU; running them
side by side would disturb them), with a time limit. The system benchmarks report figures as
``BENCH {json}`` lines (``bench/common.py``); the stage benchmarks' own tables are read by the
small parsers below, so a figure from any of them lands in the one table.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import machine

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
README = BENCH / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    quick: tuple[str, ...]
    full: tuple[str, ...] = ()
    timeout_quick: float = 900
    timeout_full: float = 3600


# The order matters little; the system benchmarks first, then the stages'.
SPECS = (
    Spec("bench_pipeline", ("--quick", "--profile"), ("--profile",), 1200, 2400),
    Spec("bench_latency", ("--quick",), (), 900, 1800),
    # The dashboard's overview open and refreshing, as its script does: the targets still hold.
    Spec("bench_steady", ("--quick", "--dashboard", "30"), ("--dashboard", "30"), 900, 1800),
    Spec("bench_store", ("--quick",), (), 1800, 7200),
    Spec("bench_dashboard", ("--quick",), (), 1800, 7200),
    Spec("bench_postgres", ("--quick",), (), 2400, 7200),
    Spec("bench_overlap", ("--sites", "20", "--articles", "30"), ()),
    Spec("bench_retention", ("--quick",), (), 1800, 7200),
    Spec("bench_extract", (), ()),
    Spec("bench_dates", (), ()),
    Spec("bench_rules", ("--sizes", "100,1000,10000,100000", "--repeat", "3"), ()),
    Spec("bench_fetch", ("-n", "2000", "--rounds", "2"), ()),
    Spec("bench_discover", ("--quick",), ()),
    Spec("bench_dedupe", ("--quick",), ()),
    Spec("bench_bounds", (), ()),
)


def run_one(
    spec: Spec, *, quick: bool, logs: Path, collect: bool = False
) -> tuple[list[Row], str, float, int]:
    """Run one benchmark (or, with ``collect``, read its last log); its figures, its output,
    seconds taken, exit status."""
    args = spec.quick if quick else spec.full
    timeout = spec.timeout_quick if quick else spec.timeout_full
    cmd = [sys.executable, "-m", f"bench.{spec.name}", *args]
    shown = " ".join(["python -m", f"bench.{spec.name}", *args])
    t = time.perf_counter()
    log = logs / f"{spec.name}.log"
    if collect:
        if not log.exists():
            return [], "", 0.0, 0
        out = log.read_text()
        first = out.splitlines()[0] if out else ""
        shown = first.removeprefix("$ ") if first.startswith("$ ") else shown
        status = 0 if "[exit 0]" in out or "[exit" not in out else 1
        return _figures(spec, out, shown, status), out, 0.0, status
    try:
        proc = subprocess.run(
            cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
        )
        out, status = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = _text(exc.stdout) + _text(exc.stderr) + f"\n[timed out after {timeout:.0f}s]"
        status = -1
    took = time.perf_counter() - t
    log.write_text(f"$ {shown}\n{out}\n[exit {status}]\n")
    return _figures(spec, out, shown, status), out, took, status


def _figures(spec: Spec, out: str, shown: str, status: int) -> list[Row]:
    mine = "bench.common" in (BENCH / f"{spec.name}.py").read_text()
    rows = [json.loads(line[6:]) for line in out.splitlines() if line.startswith("BENCH {")]
    if spec.name == "bench_store" and not any("while open" in r["figure"] for r in rows):
        # Older logs named the RSS after closing "Store RSS"; the slice lines have it open.
        for r in rows:
            if r["figure"] == "Store RSS":
                r["figure"] = "Store RSS after closing"
        sizes = [float(m) for m in re.findall(r"/s in this slice, RSS (\d+) MB", out)]
        if sizes:
            rows.append(_row("Store RSS while open", max(sizes), "MB", note="the slice lines"))
    if not rows and not mine:
        parser = PARSERS.get(spec.name)
        rows = parser(out) if parser else []
    for row in rows:
        # Logs from before ``detail``: profile rows belong in the README sections, not the table.
        row.setdefault("detail", row["figure"].startswith(("Profile:", "Stage CPU")))
        command = row.get("command") or shown
        row["command"] = shown if command.startswith("python -m bench.") else command
        row["source"] = spec.name
    if status != 0:
        rows.append(
            {
                "figure": f"{spec.name} failed (exit {status})",
                "measured": None,
                "unit": "",
                "target": "",
                "met": False,
                "command": shown,
                "source": spec.name,
                "note": out.strip().splitlines()[-1][:120] if out.strip() else "",
            }
        )
    return rows


def _text(b: bytes | str | None) -> str:
    if b is None:
        return ""
    return b if isinstance(b, str) else b.decode(errors="replace")


def _row(figure: str, measured: float | None, unit: str, target: str = "", note: str = "") -> Row:
    met: bool | None = None
    if measured is not None and target:
        op, _, value = target.partition(" ")
        bound = float(value)
        met = {">=": measured >= bound, "<=": measured <= bound, "<": measured < bound}[op]
    return {
        "figure": figure,
        "measured": measured,
        "unit": unit,
        "target": target,
        "met": met,
        "command": "",
        "note": note,
    }


def _num(text: str) -> float | None:
    m = re.search(r"-?[\d,]*\.?\d+", text)
    return float(m.group().replace(",", "")) if m else None


# --- the stage benchmarks' own output ---------------------------------------------------------


def _md_rows(out: str) -> list[list[str]]:
    return [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in out.splitlines()
        if line.lstrip().startswith("|") and not set(line) <= set("|-: ")
    ]


def parse_extract(out: str) -> list[Row]:
    rows: list[Row] = []
    table = _md_rows(out)
    if not table:
        return rows
    header = [h.lower() for h in table[0]]
    for cells in table[1:]:
        rec = dict(zip(header, cells, strict=False))
        name = rec.get("extractor", "?")
        f1 = _num(rec.get("f1", ""))
        ms = _num(rec.get("median ms/page", ""))
        own = name == "watchwire"
        if not own and name != "trafilatura":
            continue
        if f1 is not None:
            rows.append(_row(f"Extraction F1 ({name})", f1, "", ">= 0.955" if own else ""))
        if ms is not None:
            rows.append(
                _row(f"Extraction median ms/page ({name})", ms, "ms", "<= 4" if own else "")
            )
    return rows


def parse_rules(out: str) -> list[Row]:
    targets = {100: "<= 0.3", 10000: "<= 1", 100000: "<= 5"}
    rows: list[Row] = []
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", line)
        if m:
            n = int(m.group(1).replace(",", ""))
            rows.append(
                _row(
                    f"Rules: median ms/article, {n:,} rules",
                    float(m.group(2)),
                    "ms",
                    targets.get(n, ""),
                    note=(
                        f"p90 {m.group(3)} ms; {m.group(4)} ms with every match's spans and "
                        "snippet; 1,000-word articles"
                    ),
                )
            )
    return rows


def parse_fetch(out: str) -> list[Row]:
    rows: list[Row] = []
    for line in out.splitlines():
        m = re.match(r"\s*(.+?)\s{2,}(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$", line)
        if m and not line.lstrip().startswith("client"):
            client, shape = m.group(1).strip(), m.group(2)
            if client != "Fetcher":
                continue  # the client watchwire uses; the others are in the Fetch section
            target = "<= 0.6"
            rows.append(
                _row(f"HTTP CPU ms/page: {client} ({shape})", float(m.group(3)), "ms", target)
            )
    return rows


def parse_discover(out: str) -> list[Row]:
    rows: list[Row] = []
    for cells in _md_rows(out)[1:]:
        if len(cells) < 4:
            continue
        doc, path, _size, ms = cells[:4]
        target = ""
        if "unchanged" in doc:
            target = "<= 1"
        elif "50 items" in doc and "discover" in path and "RSS" in doc:
            target = "<= 5"
        if target:
            rows.append(_row(f"Discovery: {doc} — {path.strip('`')}", _num(ms), "ms", target))
    return rows


def parse_dedupe(out: str) -> list[Row]:
    rows: list[Row] = []
    for line in out.splitlines():
        m = re.match(r"#+\s*all of dedupe per (.+?): ([\d.,]+) µs", line)
        if m:
            rows.append(
                _row(
                    f"Dedupe: all of it per {m.group(1)}",
                    _num(m.group(2)),
                    "µs",
                    "<= 500",
                    note="CPU; canonical URL, fingerprint, band keys, lookup",
                )
            )
        m = re.match(r"\s+lookup median \(µs\)\s+([\d.]+)", line)
        if m:
            rows.append(
                _row("Dedupe: candidate lookup among 1,000,000, median", float(m.group(1)), "µs")
            )
    return rows


PARSERS: dict[str, Callable[[str], list[Row]]] = {
    "bench_extract": parse_extract,
    "bench_rules": parse_rules,
    "bench_fetch": parse_fetch,
    "bench_discover": parse_discover,
    "bench_dedupe": parse_dedupe,
}


# --- the table --------------------------------------------------------------------------------


def _fmt(v: float | None) -> str:
    if v is None:
        return "—"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:g}"


def table(rows: list[Row]) -> str:
    lines = ["| figure | measured | target | met? | command |", "| --- | ---: | --- | :-: | --- |"]
    for r in rows:
        if r.get("detail"):
            continue
        unit = f" {r['unit']}" if r.get("unit") else ""
        met = {True: "yes", False: "**no**", None: ""}[r.get("met")]
        note = f" ({r['note']})" if r.get("note") else ""
        target = f"{r['target']}{unit}" if r.get("target") else ""
        lines.append(
            f"| {r['figure']}{note} | {_fmt(r.get('measured'))}{unit} | {target} | {met} | "
            f"`{r.get('command', '')}` |"
        )
    return "\n".join(lines)


def write_readme(text: str) -> None:
    current = README.read_text() if README.exists() else "# watchwire benchmarks\n"
    block = f"{START}\n{text}\n{END}"
    if START in current and END in current:
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1]
        current = before + block + after
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(current)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller sizes, about 15 minutes")
    p.add_argument("--only", help="comma-separated names (pipeline,latency,…)")
    p.add_argument("--write", action="store_true", help="write the table into bench/README.md")
    p.add_argument("--logs", type=Path, default=Path("/tmp/watchwire-bench-logs"))
    p.add_argument(
        "--collect",
        action="store_true",
        help="run nothing: build the table from the logs of earlier runs (one per benchmark)",
    )
    a = p.parse_args()
    a.logs.mkdir(parents=True, exist_ok=True)
    wanted = {f"bench_{n.strip().removeprefix('bench_')}" for n in (a.only or "").split(",") if n}
    rows: list[Row] = []
    for spec in SPECS:
        if wanted and spec.name not in wanted:
            continue
        if not (BENCH / f"{spec.name}.py").exists():
            continue
        print(f"{'reading' if a.collect else 'running'} {spec.name} …", flush=True)
        got, _out, took, status = run_one(spec, quick=a.quick, logs=a.logs, collect=a.collect)
        print(
            f"  {len(got)} figure(s) in {took:.0f}s (exit {status}); log in "
            f"{a.logs / (spec.name + '.log')}",
            flush=True,
        )
        rows += got
    m = machine()
    how = (
        "collected from the logs of each row's command"
        if a.collect
        else f"measured with `python -m bench.run{' --quick' if a.quick else ''}`"
    )
    header = (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {how}, on {m['cores']} cores "
        f"({m['cpu'] or 'unknown CPU'}), {m['memory']}; Python {m['python']}, SQLite "
        f"{m['sqlite']}, httpx {m['httpx']}, aiohttp {m['aiohttp']}, isal {m['isal']}, "
        f"selectolax {m['selectolax']}, aiosqlite {m['aiosqlite']}."
    )
    text = header + "\n\n" + table(rows)
    print()
    print(text)
    if a.write:
        write_readme(text)
        print(f"\nwritten to {README}")


if __name__ == "__main__":
    main()
