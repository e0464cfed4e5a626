"""The command line: ``watchwire run|once|validate|extract|check|search|alerts|sources|backup``
and ``demo``.

Exit status: 0 done, 1 runtime failure, 2 bad usage or bad config.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from watchwire import __version__
from watchwire.config import Config, RuleConfig, default_config_path, load_config, parse_duration
from watchwire.exceptions import ConfigError, StoreError, WatchwireError
from watchwire.gzipfile import GzipError, is_gzip, iter_gunzip
from watchwire.logs import redact_url, setup_logging
from watchwire.models import FetchResult
from watchwire.timeutil import iso_z, utcnow

__all__ = ["main"]

log = logging.getLogger("watchwire")

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-c", "--config", type=Path, help="config file "
                        "(default: $WATCHWIRE_CONFIG, then ./watchwire.yaml)")  # fmt: skip
    common.add_argument("--log-level", default="info",
                        choices=["debug", "info", "warning", "error"])  # fmt: skip
    common.add_argument("--log-format", default="text", choices=["text", "json"])

    p = argparse.ArgumentParser(
        prog="watchwire",
        description="Watch news sites; alert once and reliably when keyword rules match.",
    )
    p.add_argument("--version", action="version", version=f"watchwire {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", parents=[common], help="run the service until SIGTERM/SIGINT")
    once = sub.add_parser("once", parents=[common], help="poll every source once, then exit")
    once.add_argument(
        "--drain-timeout", type=float, default=30.0,
        help="seconds to wait for due alerts to be delivered (default 30)",
    )  # fmt: skip
    va = sub.add_parser(
        "validate", parents=[common], help="check the config, print what it would do"
    )
    va.add_argument("--check-store", action="store_true",
                    help="also read every page of the store looking for damage (slow on a "
                    "large store: minutes for gigabytes)")  # fmt: skip

    ex = sub.add_parser("extract", parents=[common], help="print the extracted article as JSON")
    ex.add_argument("target", metavar="URL_OR_FILE")

    ck = sub.add_parser("check", parents=[common], help="show which rules match a page, and why")
    ck.add_argument("target", metavar="URL_OR_FILE")
    ck.add_argument("--source", help="judge as if from this source (for rules with sources:)")

    se = sub.add_parser("search", parents=[common], help="search stored articles")
    se.add_argument("query", nargs="?", help="a query in the rule language")
    se.add_argument("--rule", help="replay a configured rule instead of QUERY")
    se.add_argument("--since", help="only articles newer than this (e.g. 7d)")
    se.add_argument(
        "--limit", type=_positive_int, default=50, help="at most this many (default 50)"
    )
    se.add_argument("--json", action="store_true", help="one JSON object per line")

    al = sub.add_parser("alerts", parents=[common], help="the outbox: list or retry alerts")
    al.add_argument("action", nargs="?", default="list", choices=["list", "retry"])
    al.add_argument("ids", nargs="*", help="with retry: only these ids (default: all failed)")
    al.add_argument("--state", action="append",
                    choices=["pending", "delivering", "delivered", "failed", "queued"])  # fmt: skip
    al.add_argument("--limit", type=_positive_int, default=100)
    al.add_argument("--json", action="store_true")

    so = sub.add_parser("sources", parents=[common], help="every source with its health")
    so.add_argument("--json", action="store_true", help="one JSON object per line")

    bk = sub.add_parser("backup", parents=[common], help="a consistent copy of the live store")
    bk.add_argument("path", metavar="PATH", type=Path,
                    help="a new file, or a folder (the copy is named with the time)")  # fmt: skip

    demo = sub.add_parser("demo", parents=[common], help="a self-contained demo on this machine")
    demo.add_argument("--keep", action="store_true", help="keep the demo's files")
    return p


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    handler = _COMMANDS[args.command]
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"watchwire: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (StoreError, WatchwireError) as exc:
        print(f"watchwire: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.config or default_config_path())


# --- run / once / validate --------------------------------------------------------------------


def _cmd_run(args: argparse.Namespace) -> int:
    from watchwire.service import default_workers, run_service

    config = _config(args)
    path = config.path

    async def go() -> None:
        stop, reload = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGHUP, reload.set)
        assert path is not None
        await run_service(
            config, stop=stop, reload=reload, loader=lambda: load_config(path),
            workers=default_workers(),
        )  # fmt: skip

    asyncio.run(go())
    return EXIT_OK


def _cmd_once(args: argparse.Namespace) -> int:
    from watchwire.service import default_workers, run_once

    config = _config(args)
    report = asyncio.run(
        run_once(config, drain_timeout=args.drain_timeout, progress=sys.stderr,
                 workers=default_workers())
    )  # fmt: skip
    for p in report.polls:
        status = "ok" if p.ok else f"FAILED: {p.error}"
        print(f"{p.source:24} {status:10} new={p.new} stored={p.stored} alerts={p.alerts}"
              + (f" failed={p.failed}" if p.failed else ""))  # fmt: skip
    print(f"alerts: {report.delivered} delivered, {report.pending} pending, "
          f"{report.failed} failed")  # fmt: skip
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from watchwire.alerts import channel_target
    from watchwire.rules import compile_rules

    config = _config(args)
    rules = compile_rules(config.rules, config.terms)
    location = config.store_location()
    print(f"config: {config.path}  ok")
    print(f"storage: {location}")
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
    print(f"rules ({len(rules)} enabled of {len(config.rules)}):")
    for r in config.rules:
        notify = ", ".join(r.notify) if r.notify is not None else "every channel"
        print(f"  {r.name:20} {r.query}")
        print(f"  {'':20} within {r.within}; fields {', '.join(r.fields)}; → {notify}"
              + ("" if r.enabled else "  [disabled]"))  # fmt: skip
    if location.exists():
        return asyncio.run(_print_health(config, check=args.check_store))
    return EXIT_OK


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
        print("source health (fetches in the last 24h):")
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


# --- extract / check --------------------------------------------------------------------------


def _load_page(target: str, config: Config | None) -> tuple[str, str | None]:
    """The page's text and URL, from a URL (fetched politely) or a file (.gz too)."""
    from watchwire.fetch import Fetcher, decode_html

    if target.startswith(("http://", "https://")):
        settings = (config or Config()).settings_for(None)

        async def fetch() -> FetchResult:
            async with Fetcher(settings) as fetcher:
                return await fetcher.fetch(target, settings=settings, purpose="page")

        result = asyncio.run(fetch())
        if not result.ok:
            raise WatchwireError(f"cannot fetch {redact_url(target)}: {result.error}")
        return decode_html(result.content, charset=result.charset), result.final_url
    try:
        data = Path(target).read_bytes()
    except OSError as exc:
        raise WatchwireError(f"cannot read {target}: {exc.strerror}") from None
    if is_gzip(data):
        try:
            data = b"".join(iter_gunzip(data))
        except GzipError as exc:
            raise WatchwireError(f"cannot read {target}: broken gzip file ({exc})") from None
    return decode_html(data, charset=None), None


def _cmd_extract(args: argparse.Namespace) -> int:
    from watchwire.extract import article_to_json, extract_article

    html, url = _load_page(args.target, None)
    article = extract_article(html, url=url)
    print(json.dumps(article_to_json(article), ensure_ascii=False, indent=2))
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from watchwire import queries
    from watchwire.extract import extract_article
    from watchwire.rules import compile_rules

    config = _config(args)
    rules = compile_rules(config.rules, config.terms)
    html, url = _load_page(args.target, config)
    article = extract_article(html, url=url)
    color = sys.stdout.isatty()
    print(f"title: {article.title}")
    print(f"url: {article.url}  language: {article.language}  published: "
          f"{iso_z(article.published_at)}")  # fmt: skip
    print(f"body: {len(article.paragraphs)} paragraph(s), {len(article.text.split())} words\n")
    matched = 0
    for report in queries.explain(rules, article, source=args.source):
        if report.matched:
            matched += 1
            print(f"MATCH    {report.rule}")
            for span in report.spans:
                print(f"         {span.field}[{span.start}:{span.end}] {_hl(span.text, color)}")
            if report.snippet:
                print(f"         {report.snippet}")
        else:
            why = report.reason or "no match"
            print(f"no match {report.rule}: {why}")
    print(f"\n{matched} of {len(rules)} rule(s) match")
    return EXIT_OK


def _hl(text: str, color: bool) -> str:
    return f"\x1b[1;33m{text}\x1b[0m" if color else f"«{text}»"


# --- search / alerts --------------------------------------------------------------------------


def _cmd_search(args: argparse.Namespace) -> int:
    from watchwire import queries
    from watchwire.rules import compile_rules
    from watchwire.store import open_store

    config = _config(args)
    if args.rule:
        found = [r for r in config.rules if r.name == args.rule]
        if not found:
            raise ConfigError(f"no rule named '{args.rule}'")
        rule = found[0].model_copy(update={"enabled": True, "sources": None})
    elif args.query:
        rule = RuleConfig(name="query", query=args.query)
    else:
        print("watchwire: search needs QUERY or --rule NAME", file=sys.stderr)
        return EXIT_USAGE
    rules = compile_rules([rule], config.terms)
    since = utcnow() - parse_duration(args.since) if args.since else None

    async def go() -> queries.SearchResult:
        async with open_store(config.store_location()) as store:
            return await queries.search(store, rules, rule.name, since=since, limit=args.limit)

    result = asyncio.run(go())
    for hit in result.hits:
        if args.json:
            print(json.dumps(queries.hit_json(hit), ensure_ascii=False))
        else:
            row, a = hit.row, hit.row.article
            when = iso_z(a.published_at or row.first_seen_at) or ""
            print(f"{when[:16]}  {row.source:16} {a.title}\n    {row.url}\n    {hit.match.snippet}")
    if not args.json:
        print(f"{len(result.hits)} article(s)")
    return EXIT_OK


def _cmd_alerts(args: argparse.Namespace) -> int:
    from watchwire import queries
    from watchwire.store import open_store

    config = _config(args)

    async def go() -> int:
        async with open_store(config.store_location()) as store:
            if args.action == "retry":
                n = await queries.requeue_failed(store, now=utcnow(), ids=args.ids)
                print(f"{n} failed alert(s) requeued; `watchwire run` or `once` delivers them")
                return EXIT_OK
            rows = await queries.outbox(store, states=args.state or (), limit=args.limit)
            summary = await queries.store_summary(store)
        for r in rows:
            if args.json:
                print(json.dumps(queries.outbox_row_json(r), ensure_ascii=False))
            else:
                err = f"  ({r.last_error})" if r.last_error and r.state != "delivered" else ""
                print(f"{iso_z(r.created_at)}  {r.state:10} {r.channel:12} "
                      f"x{r.attempts}  {r.id}  {r.summary}{err}")  # fmt: skip
        if not args.json:
            print(", ".join(f"{n} {state}" for state, n in summary.outbox.items()))
        return EXIT_OK

    return asyncio.run(go())


# --- sources / backup -------------------------------------------------------------------------


def _cmd_sources(args: argparse.Namespace) -> int:
    from watchwire import queries
    from watchwire.store import open_store

    config = _config(args)
    location = config.store_location()

    async def go() -> list[queries.SourceStatus]:
        if not location.exists():  # before the first run: every source never polled
            return await queries.sources(config, None, now=utcnow())
        async with open_store(location) as store:
            return await queries.sources(config, store, now=utcnow())

    statuses = asyncio.run(go())
    if args.json:
        for st in statuses:
            print(json.dumps(queries.source_json(st), ensure_ascii=False))
        return EXIT_OK
    print(f"{'source':20} {'state':14} {'since':17} {'last success':17} {'last new':17} "
          f"{'/day':>6} {'next poll':17} given up")  # fmt: skip
    for st in statuses:
        per_day = "" if st.articles_per_day is None else f"{st.articles_per_day:g}"
        state = st.state + ("" if st.enabled else " (off)")
        print(f"{st.name:20} {state:14} {_when(st.since):17} {_when(st.last_ok_at):17} "
              f"{_when(st.last_new_at):17} {per_day:>6} {_when(st.next_poll_at):17} "
              f"{st.given_up}")  # fmt: skip
        if st.reason and st.state != "ok":
            print(f"{'':20} {st.reason}")
    bad = sum(st.state not in ("ok", "never-polled") for st in statuses)
    print(f"{len(statuses)} source(s), {bad} needing attention")
    return EXIT_OK


def _when(dt: datetime | None) -> str:
    text = iso_z(dt)
    return text[:16].replace("T", " ") if text else "-"


def _cmd_backup(args: argparse.Namespace) -> int:
    from watchwire.store import open_store

    config = _config(args)
    location = config.store_location()
    target: Path = args.path
    if target.is_dir():
        target = target / f"watchwire-{utcnow().strftime('%Y%m%dT%H%M%SZ')}.db"
    if target.exists():
        print(f"watchwire: {target} exists; back up to a new file", file=sys.stderr)
        return EXIT_USAGE
    if not location.exists():
        print(f"watchwire: no store at {location} yet: nothing to back up", file=sys.stderr)
        return EXIT_FAILURE

    async def go() -> None:
        async with open_store(location) as store:
            await store.backup(target)

    asyncio.run(go())
    size = target.stat().st_size
    print(f"backed up {location} to {target} ({size / 2**20:.1f} MiB)")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from watchwire.demo import run_demo

    status: int = asyncio.run(run_demo(keep=args.keep))
    return status


_COMMANDS = {
    "run": _cmd_run,
    "once": _cmd_once,
    "validate": _cmd_validate,
    "extract": _cmd_extract,
    "check": _cmd_check,
    "search": _cmd_search,
    "alerts": _cmd_alerts,
    "sources": _cmd_sources,
    "backup": _cmd_backup,
    "demo": _cmd_demo,
}
