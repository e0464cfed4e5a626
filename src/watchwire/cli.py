"""The command line: ``watchwire run|once|validate|extract|check|search|alerts|demo``.

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
from datetime import timedelta
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
        health = await queries.source_health(store, since=utcnow() - timedelta(days=1))
        summary = await queries.store_summary(store)
    print(f"store: {summary.articles} article(s); alerts " +
          ", ".join(f"{n} {state}" for state, n in summary.outbox.items()))  # fmt: skip
    if health:
        print("source health (last 24h):")
    for h in health:
        state = "ok" if h.consecutive_failures == 0 else f"failing x{h.consecutive_failures}"
        err = f"  last error: {h.last_error}" if h.last_error and h.consecutive_failures else ""
        print(f"  {h.name:20} {state:12} fetches {h.fetches:5} errors {h.errors:4} "
              f"articles {h.articles:6}{err}")  # fmt: skip
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
    "demo": _cmd_demo,
}
