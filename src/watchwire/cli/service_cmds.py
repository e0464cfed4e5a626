"""``run``, ``once``, ``validate`` and ``demo``: the commands that run watchwire or plan it."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from watchwire.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    add_command,
    load,
    local_time,
)
from watchwire.cli.parents import Parents
from watchwire.exceptions import ConfigError
from watchwire.logs import redact_url
from watchwire.timeutil import utcnow

if TYPE_CHECKING:
    from watchwire.config import Config

__all__ = ["register"]


def register(sub: Any, parents: Parents) -> None:
    both = [parents.config, parents.logs]
    run = add_command(
        sub, "run", parents=both,
        summary="the service: poll every source on its interval until stopped",
        description="Poll every enabled source on its interval and deliver alerts, until "
        "SIGTERM or SIGINT (Ctrl-C) stops it cleanly. SIGHUP reloads the config: a bad new "
        "config is logged and the running one kept. One service per embedded store.",
        examples=["watchwire run -c watchwire.yaml", "systemctl kill -s HUP watchwire"],
    )  # fmt: skip
    _add_workers(run)
    run.set_defaults(handler=_cmd_run)

    once = add_command(
        sub, "once", parents=both,
        summary="poll every source once, deliver what is due, exit (for cron)",
        description="Poll every enabled source once (or those named with --source), deliver "
        "the alerts that are due (waiting at most --drain-timeout), print what this run did, "
        "and exit: 0 when every source was read and every alert of the run delivered (or "
        "queued for a digest); 1 when a source failed or an alert failed or is still waiting "
        "for a retry; 2 for a bad config. --dry-run stores nothing and sends nothing: it "
        "prints what would alert.",
        examples=[
            "watchwire once -c watchwire.yaml",
            "watchwire once --source unn-en --source bbc --dry-run",
            "*/10 * * * *  watchwire once -c /etc/watchwire.yaml --log-level warning",
        ],
    )  # fmt: skip
    once.add_argument(
        "--source",
        action="append",
        metavar="NAME",
        dest="sources",
        help="poll only this source (repeat for more); a disabled one too",
    )
    once.add_argument("--dry-run", action="store_true",
                      help="store nothing, send nothing: print what would alert")  # fmt: skip
    once.add_argument(
        "--drain-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for due alerts to be delivered (default 30)",
    )
    _add_workers(once)
    once.set_defaults(handler=_cmd_once)

    validate = add_command(
        sub, "validate", parents=both,
        summary="check the config and print what it would do",
        description="Load the config as `run` would and print its plan: the store, each "
        "source, channel, term and rule. Every error `run` or `once` would stop on is shown, "
        "each at its file:line:col (exit 2); things that are legal but will not work as "
        "probably meant are warnings (exit 0).",
        examples=[
            "watchwire validate -c watchwire.yaml",
            "WATCHWIRE_CONFIG=w.yaml watchwire validate",
            "watchwire validate --check-store",
        ],
    )  # fmt: skip
    validate.add_argument(
        "--check-store", action="store_true",
        help="also read every page of the store looking for damage (slow on a large store: "
        "minutes for gigabytes); exit 1 if it is damaged",
    )  # fmt: skip
    validate.set_defaults(handler=_cmd_validate)

    demo = add_command(
        sub, "demo", parents=[parents.logs],
        summary="a self-contained demo on this machine (no network, no config)",
        description="Start a small news site and a signed-webhook receiver on 127.0.0.1, run "
        "watchwire against them with a rule, publish a story on the fly and show its alert. "
        "Its files go to a temporary folder, removed at the end unless --keep.",
        examples=["watchwire demo", "watchwire demo --keep"],
    )  # fmt: skip
    demo.add_argument(
        "--keep",
        action="store_true",
        help="keep the demo's config and store, to try other commands on",
    )
    demo.set_defaults(handler=_cmd_demo)


def _add_workers(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--workers", type=_workers, default=None, metavar="N",
        help="extraction worker processes for bursts of pages (default: one per core but "
        "one); 0: none, for a machine short of memory. A document too costly to parse in the "
        "service process is parsed in a bounded process either way",
    )  # fmt: skip


def _workers(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is no number of processes (0 or more)")
    return n


def _workers_of(args: argparse.Namespace) -> int:
    from watchwire.service import default_workers

    return default_workers() if args.workers is None else int(args.workers)


# --- run ------------------------------------------------------------------------------------------


def _checked(args: argparse.Namespace) -> Config:
    """The config, with what only opening it would find (a channel's package missing) found
    now, each at its place in the file."""
    from watchwire.alerts import check_channels

    config = load(args)
    errors = check_channels(config)
    if errors:
        raise ConfigError.combine(errors)
    return config


def _cmd_run(args: argparse.Namespace) -> int:
    from watchwire.config import load_config
    from watchwire.service import run_service

    config = _checked(args)
    path = config.path
    assert path is not None

    async def go() -> None:
        stop, reload = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGHUP, reload.set)
        await run_service(
            config, stop=stop, reload=reload, loader=lambda: load_config(path),
            workers=_workers_of(args),
        )  # fmt: skip

    asyncio.run(go())
    return EXIT_OK


# --- once -----------------------------------------------------------------------------------------


def _cmd_once(args: argparse.Namespace) -> int:
    from watchwire.service import run_once

    config = _checked(args)
    names = [s.name for s in config.sources]
    for name in args.sources or ():
        if name not in names:
            raise UsageError(f"no source named '{name}' (sources: {', '.join(names) or 'none'})")
    report = asyncio.run(
        run_once(
            config, drain_timeout=args.drain_timeout, progress=sys.stderr,
            workers=_workers_of(args), sources=args.sources, dry_run=args.dry_run,
        )
    )  # fmt: skip
    _print_polls(report)
    if report.dry_run:
        return _print_dry_run(report)
    return _print_delivery(report)


def _print_polls(report: Any) -> None:
    print(f"{'source':24} {'result':7} {'new':>5} {'stored':>6} {'failed':>6} {'alerts':>6}")
    for p in report.polls:
        if not p.ok:
            print(f"{p.source:24} FAILED  {p.error}")
            continue
        print(f"{p.source:24} {'ok':7} {p.new:5} {p.stored:6} {p.failed:6} {p.alerts:6}")


def _print_dry_run(report: Any) -> int:
    print("\ndry run: nothing was stored and nothing sent.")
    if report.would_alert:
        print("would alert (rule → channel: article):")
        for w in report.would_alert:
            via = f"{w.channel} (digest)" if w.digest else w.channel
            print(f"  {w.rule} → {via}: {w.title}\n      {w.url}")
    print(f"{len(report.would_alert)} alert(s) would be written (one per rule, story and channel)")
    failed = [p for p in report.polls if not p.ok]
    if failed:
        print(f"watchwire: {_plural(len(failed), 'source')} failed", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _print_delivery(report: Any) -> int:
    made = sum(p.alerts for p in report.polls)
    print(
        f"\nalerts made by this run: {made} (one per rule, story and channel)"
        + (f", {report.queued} of them queued for a digest" if report.queued else "")
    )
    print(f"delivered by this run: {report.delivered}; failed: {report.failed}; "
          f"waiting for a retry: {report.waiting}")  # fmt: skip
    troubled = [m for m in report.messages if m.state != "delivered"]
    for m in troubled:
        if m.state == "failed":
            state = "failed, not retried"
        else:
            state = f"retry at {local_time(m.next_attempt_at)}"
        print(
            f"  {m.id}  {m.channel}: {m.summary}\n      {state}: {m.last_error or 'not tried yet'}"
        )
    problems = []
    failed_sources = sum(not p.ok for p in report.polls)
    if failed_sources:
        problems.append(f"{_plural(failed_sources, 'source')} failed")
    if report.failed:
        problems.append(f"{_plural(report.failed, 'alert')} failed")
    if report.waiting:
        problems.append(f"{_plural(report.waiting, 'alert')} still waiting for a retry, which "
                        "the next `watchwire once` (or `run`) makes")  # fmt: skip
    if problems:
        print(f"watchwire: {'; '.join(problems)}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# --- validate -------------------------------------------------------------------------------------


def _cmd_validate(args: argparse.Namespace) -> int:
    from watchwire.alerts import channel_target, check_channels

    config = load(args)
    errors = check_channels(config)
    if errors:
        raise ConfigError.combine(errors)
    location = config.store_location()
    enabled_rules = sum(r.enabled for r in config.rules)
    print(f"config: {config.path}")
    print(f"storage: {location}" + ("" if location.exists() else "  (not created yet)"))
    print(f"sources ({len(config.sources)}):")
    for s in config.sources:
        st = config.settings_for(s)
        kind = s.kind or "auto"
        off = "" if s.enabled else "  [disabled]"
        print(f"  {s.name:20} {kind:8} every {_human(st.interval):>5}  {redact_url(s.url)}{off}")
    print(f"channels ({len(config.channels)}):")
    for name, ch in config.channels.items():
        digest = "immediate" if ch.digest is None else f"digest {_human_or(ch.digest)}"
        print(f"  {name:20} {ch.type:8} {digest:16} {channel_target(name, ch)}")
    print(f"terms ({len(config.terms)}): " + ", ".join(f"@{t}" for t in config.terms))
    print(f"rules ({enabled_rules} enabled of {len(config.rules)}):")
    for r in config.rules:
        notify = ", ".join(r.notify) if r.notify is not None else "every channel"
        print(f"  {r.name:20} {r.query}")
        print(f"  {'':20} within {r.within}; fields {', '.join(r.fields)}; → {notify}"
              + ("" if r.enabled else "  [disabled]"))  # fmt: skip
    warnings = _warnings(config)
    for w in warnings:
        print(f"watchwire: warning: {w}", file=sys.stderr)
    print("config ok" + (f", {_plural(len(warnings), 'warning')}" if warnings else ""))
    if location.exists():
        return asyncio.run(_print_health(config, check=args.check_store))
    return EXIT_OK


def _warnings(config: Config) -> list[str]:
    """Legal, but probably not what was meant: each at its place in the file."""
    out: list[ConfigError] = []
    if not config.sources:
        out.append(config.error_at(("sources",), "no sources: nothing will be polled"))
    notified: set[str] = set()
    enabled = {s.name for s in config.sources if s.enabled}
    for i, rule in enumerate(config.rules):
        channels = rule.notify if rule.notify is not None else tuple(config.channels)
        notified.update(channels)
        if rule.enabled and not channels:
            why = "notify: is empty" if rule.notify is not None else "no channels are defined"
            out.append(config.error_at(("rules", i), f"rule '{rule.name}' tells no one ({why}):"
                                       " its matches are stored, never sent"))  # fmt: skip
        if rule.enabled and rule.sources is not None and not enabled & set(rule.sources):
            out.append(config.error_at(("rules", i, "sources"), f"rule '{rule.name}' watches "
                                       "only disabled sources: it never matches"))  # fmt: skip
    out += [
        config.error_at(("channels", name), f"channel '{name}' is notified by no rule")
        for name in config.channels
        if name not in notified
    ]
    return [str(e) for e in out]


async def _print_health(config: Config, *, check: bool = False) -> int:
    from watchwire import queries
    from watchwire.store import open_store

    async with open_store(config.store_location()) as store:
        if check:
            found = await store.check()
            print(f"store check: {'ok' if found.ok else 'DAMAGED'} ({found.pages} pages read "
                  f"in {found.seconds:.1f} s)")  # fmt: skip
            for problem in found.problems:
                print(f"  {problem}")
            if not found.ok:
                print("restore the store from a backup, or move it aside to start a new one")
                return EXIT_FAILURE
        statuses = await queries.sources(config, store, now=utcnow())
        summary = await queries.store_summary(store)
    print(f"store: {summary.articles} article(s); alerts " +
          ", ".join(f"{n} {state}" for state, n in summary.outbox.items()))  # fmt: skip
    if statuses:
        print("source health (fetches in the last 24h; `watchwire sources` for more):")
    for h in statuses:
        state = h.state if not h.failed_polls else f"{h.state}, {h.failed_polls} failed poll(s)"
        reason = f"  {h.reason}" if h.reason and h.state != "ok" else ""
        print(f"  {h.name:20} {state:28} fetches {h.fetches:5} errors {h.errors:4}{reason}")
    return EXIT_OK


def _human(td: timedelta) -> str:
    s = int(td.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size and s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def _human_or(value: timedelta | str) -> str:
    return _human(value) if isinstance(value, timedelta) else f"'{value}'"


# --- demo -----------------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    from watchwire.demo import run_demo

    status: int = asyncio.run(run_demo(keep=args.keep))
    return status
