"""``search`` and ``alerts``: what the store holds. Both read an existing store and never
create one; only ``alerts retry`` writes (it requeues)."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from watchwire.cli.common import (
    EXIT_OK,
    Failed,
    Painter,
    UsageError,
    add_command,
    age,
    duration,
    existing_store,
    load,
    local_time,
    print_json,
)
from watchwire.cli.parents import Parents
from watchwire.timeutil import utcnow

__all__ = ["register"]

STATES = ("pending", "delivering", "delivered", "failed", "queued")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def register(sub: Any, parents: Parents) -> None:
    common = [parents.config, parents.logs]
    se = add_command(
        sub, "search", parents=[*common, parents.color],
        summary="search stored articles with the rule language",
        description="Search the stored articles with a query in the rule language (as in "
        "`rules[].query`, terms included), or replay a configured rule over history with "
        "--rule. Newest first, matched words highlighted.",
        examples=['watchwire search "@belarus AND sanction*" --since 7d',
                  "watchwire search --rule belarus-sanctions --since 30d --json"],
    )  # fmt: skip
    se.add_argument("query", nargs="?", help="a query in the rule language")
    se.add_argument("--rule", metavar="NAME", help="replay this configured rule instead of QUERY")
    se.add_argument(
        "--since",
        type=duration,
        metavar="AGE",
        help="only articles published (else first seen) this recently, e.g. 7d",
    )
    se.add_argument(
        "--limit", type=_positive_int, default=50, help="at most this many (default 50)"
    )
    se.add_argument("--before", metavar="POSITION",
                    help="only articles older than this position (the next page: the position "
                    "the last page printed)")  # fmt: skip
    se.add_argument("--json", action="store_true", help="one JSON object per line")
    se.set_defaults(handler=_cmd_search)

    al = add_command(
        sub, "alerts", parents=common,
        summary="the alerts: list them, show one with its deliveries, retry failed ones",
        description="Alerts and digests as the outbox holds them: pending (due or waiting for "
        "a retry), delivering, delivered, failed, queued (awaiting a digest). `alerts` alone "
        "lists them.",
        examples=["watchwire alerts list --state failed --since 1d",
                  "watchwire alerts show 0192a4c7e1f27b3c9d5e",
                  "watchwire alerts retry"],
    )  # fmt: skip
    al.set_defaults(handler=_cmd_list)
    # `alerts --json` lists, as `alerts list --json` does: scripts written for either work.
    _list_options(al, defaults=True)
    actions = al.add_subparsers(dest="action", metavar="ACTION")
    ls = add_command(
        actions, "list", parents=common,
        summary="list alerts, newest first",
        description="List alerts and digests newest first: when made, state, channel, rule, "
        "the article's title and URL, and the last error of those not delivered.",
        examples=["watchwire alerts list", "watchwire alerts list --rule potash --state failed",
                  "watchwire alerts list --since 2h --json | jq .url"],
    )  # fmt: skip
    _list_options(ls, defaults=False)
    ls.set_defaults(handler=_cmd_list)

    sh = add_command(
        actions, "show", parents=common,
        summary="one alert: its body and every delivery attempt with the receiver's answer",
        description="Show one alert or digest by id: its state, the body sent, and every "
        "delivery attempt with when, how long, and what the receiver answered.",
        examples=["watchwire alerts show 0192a4c7e1f27b3c9d5e",
                  "watchwire alerts show 0192a4c7e1f27b3c9d5e --json"],
    )  # fmt: skip
    sh.add_argument("id", metavar="ID", help="an id from `watchwire alerts list`")
    sh.add_argument("--json", action="store_true", help="the alert and its deliveries as JSON")
    sh.set_defaults(handler=_cmd_show)

    rt = add_command(
        actions, "retry", parents=common,
        summary="requeue failed alerts for delivery",
        description="Give failed alerts (all, or those named) a new delivery episode: the "
        "next `watchwire run` or `once` delivers them. An id that names no alert, or one that "
        "is not failed, is an error (exit 1).",
        examples=["watchwire alerts retry", "watchwire alerts retry 0192a4c7e1f27b3c9d5e"],
    )  # fmt: skip
    rt.add_argument("ids", nargs="*", metavar="ID", help="only these (default: every failed one)")
    rt.set_defaults(handler=_cmd_retry)

    bk = add_command(
        sub, "backup", parents=common,
        summary="a consistent copy of the live store",
        description="Copy the store while the service keeps running: SQLite's online backup, "
        "one consistent snapshot, written beside PATH and renamed, never over an existing "
        "file. PATH may be a folder: the copy is named with the time. The copy is a store "
        "(restore: docs/deploy.md). A PostgreSQL store is backed up with pg_dump instead: "
        "this says so (exit 2).",
        examples=["watchwire backup /var/backups/watchwire/",
                  "watchwire backup watchwire-before-upgrade.db -c /etc/watchwire/watchwire.yaml"],
    )  # fmt: skip
    bk.add_argument("path", metavar="PATH", type=Path,
                    help="a new file, or a folder (the copy is named with the time)")  # fmt: skip
    bk.set_defaults(handler=_cmd_backup)


# --- search ---------------------------------------------------------------------------------------


def _cmd_search(args: argparse.Namespace) -> int:
    from watchwire import queries
    from watchwire.store import open_store

    config = load(args)
    if args.rule and args.query:
        raise UsageError("give a QUERY or --rule NAME, not both")
    try:
        # The dashboard's search form asks the same way (queries.search_rules).
        rules, name = queries.search_rules(config, query=args.query, rule=args.rule)
        before = queries.parse_key(args.before) if args.before else None
    except queries.BadRequest as exc:
        raise UsageError(str(exc)) from None
    since = utcnow() - args.since if args.since else None
    location = existing_store(config)

    async def go() -> queries.SearchResult:
        async with open_store(location) as store:
            return await queries.search(store, rules, name, since=since, before=before,
                                        limit=args.limit)  # fmt: skip

    result = asyncio.run(go())
    paint = Painter(args.color)
    for hit in result.hits:
        if args.json:
            print_json(queries.hit_json(hit))
            continue
        row, a = hit.row, hit.row.article
        words = [s.text for s in hit.match.spans]
        print(f"{local_time(a.published_at or row.first_seen_at)}  {row.source:16} {a.title}\n"
              f"    {row.url}\n    {paint.snippet(hit.match.snippet, words)}")  # fmt: skip
    if not args.json:
        more = (f"; older ones: --before {queries.key_text(result.next)}" if result.next
                else "")  # fmt: skip
        print(f"{len(result.hits)} article(s){more}")
    return EXIT_OK


def _list_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """The options of `alerts list`. On the subcommand they default to nothing, so that what
    was given before the word `list` stands."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument("--state", action="append", choices=STATES, default=default(None),
                        help="only in this state (repeat for more)")  # fmt: skip
    parser.add_argument("--rule", action="append", metavar="NAME", default=default(None),
                        help="only of this rule (repeatable)")  # fmt: skip
    parser.add_argument("--channel", action="append", metavar="NAME", default=default(None),
                        help="only on this channel (repeatable)")  # fmt: skip
    parser.add_argument("--since", type=duration, metavar="AGE", default=default(None),
                        help="only made this recently, e.g. 1d")  # fmt: skip
    parser.add_argument("--limit", type=_positive_int, default=default(100),
                        help="at most this many (default 100)")  # fmt: skip
    parser.add_argument("--json", action="store_true", default=default(False),
                        help="one JSON object per line")  # fmt: skip


# --- alerts ---------------------------------------------------------------------------------------


def _cmd_list(args: argparse.Namespace) -> int:
    from watchwire import queries
    from watchwire.store import open_store

    config = load(args)
    unknown = [r for r in args.rule or () if r not in {rule.name for rule in config.rules}]
    if unknown:
        names = ", ".join(r.name for r in config.rules) or "none"
        raise UsageError(f"no rule named '{unknown[0]}' (rules: {names})")
    strange = [c for c in args.channel or () if c not in config.channels]
    if strange:
        names = ", ".join(config.channels) or "none"
        raise UsageError(f"no channel named '{strange[0]}' (channels: {names})")
    location = existing_store(config)
    since = utcnow() - args.since if args.since else None

    async def go() -> tuple[list[Any], Any]:
        async with open_store(location) as store:
            rows = await queries.alerts(store, states=args.state or (), rules=args.rule or (),
                                        channels=args.channel or (), since=since,
                                        limit=args.limit)  # fmt: skip
            return rows, await queries.store_summary(store)

    rows, summary = asyncio.run(go())
    if args.json:
        for r in rows:
            print_json(queries.alert_json(r))
        return EXIT_OK
    if rows:
        print(f"{'made':16}  {'state':10} {'channel':12} {'rule':20} {'id':32} article")
    for r in rows:
        what = r.title or r.summary
        print(f"{local_time(r.created_at):16}  {r.state:10} {r.channel:12} {r.rule or '-':20} "
              f"{r.id:32} {what}")  # fmt: skip
        if r.url:
            print(f"{'':18}{r.url}")
        if r.state in ("pending", "failed") and r.last_error:
            when = f", retry {age(r.next_attempt_at)}" if r.state == "pending" else ""
            print(f"{'':18}last error{when}: {r.last_error}")
    print(f"{len(rows)} shown; in the store: "
          + ", ".join(f"{n} {state}" for state, n in summary.outbox.items()))  # fmt: skip
    return EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    from watchwire import queries
    from watchwire.store import open_store

    location = existing_store(load(args))

    async def go() -> queries.AlertDetail | None:
        async with open_store(location) as store:
            return await queries.alert_detail(store, args.id)

    detail = asyncio.run(go())
    if detail is None:
        raise Failed(f"no alert with id {args.id} (`watchwire alerts list` shows the ids)")
    if args.json:
        print_json(queries.alert_detail_json(detail))
        return EXIT_OK
    r = detail.row
    print(f"{r.kind} {r.id}: {r.state}")
    print(f"  channel   {r.channel}")
    if r.rule:
        print(f"  rule      {r.rule}")
    if r.title or r.url:
        print(f"  article   {r.title}\n            {r.url}")
    print(f"  made      {local_time(r.created_at)}"
          + (f"; requeued {local_time(r.requeued_at)}" if r.requeued_at else ""))  # fmt: skip
    if r.digest_id:
        print(f"  digest    sent in digest {r.digest_id}: its deliveries below")
    elif r.state == "queued":
        print("  digest    queued: it goes out with its channel's next digest")
    if r.delivered_at:
        print(f"  delivered {local_time(r.delivered_at)}")
    if r.state == "pending" and r.next_attempt_at:
        print(f"  next try  {local_time(r.next_attempt_at)} ({age(r.next_attempt_at)})")
    print(f"deliveries ({len(detail.attempts)}):")
    for a in detail.attempts:
        then = f"; next try {local_time(a.next_attempt_at)}" if a.next_attempt_at else ""
        print(f"  #{a.attempt}  {local_time(a.at)}  {a.outcome:9}  {a.elapsed * 1000:6.0f} ms  "
              f"{a.answer or ''}{then}")  # fmt: skip
    if not detail.attempts:
        print("  none yet")
    print("body:")
    print(json.dumps(dict(r.payload), ensure_ascii=False, indent=2))
    return EXIT_OK


def _cmd_retry(args: argparse.Namespace) -> int:
    from watchwire import queries
    from watchwire.store import open_store

    location = existing_store(load(args))

    async def go() -> queries.Requeued:
        async with open_store(location) as store:
            return await queries.requeue(store, now=utcnow(), ids=args.ids)

    done = asyncio.run(go())
    print(f"{done.requeued} failed alert(s) requeued; the next `watchwire run` or `once` "
          "delivers them")  # fmt: skip
    problems = [f"no alert with id {i}" for i in done.unknown]
    problems += [
        f"alert {i} is {state}, not failed: nothing to retry" for i, state in done.not_failed
    ]
    if problems:
        raise Failed("; ".join(problems))
    return EXIT_OK


# --- backup ---------------------------------------------------------------------------------------


def _cmd_backup(args: argparse.Namespace) -> int:
    from watchwire.store import open_store

    config = load(args)
    location = existing_store(config)
    instead = location.backup_instead()
    if instead is not None:  # a server's store: its own tools, said before anything is opened
        raise UsageError(instead)
    target: Path = args.path
    if target.is_dir():
        target = target / f"watchwire-{utcnow().strftime('%Y%m%dT%H%M%SZ')}.db"
    if target.exists():
        raise UsageError(f"{target} exists: back up to a new file (or a folder)")

    async def go() -> None:
        async with open_store(location) as store:
            await store.backup(target)

    asyncio.run(go())
    print(f"backed up {location} to {target} ({target.stat().st_size / 2**20:.1f} MiB)")
    return EXIT_OK
