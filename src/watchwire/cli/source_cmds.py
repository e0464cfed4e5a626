"""``sources``: every source with its health (the list of ``docs/alerts.md``), and ``sources
import`` / ``sources export``: subscriptions in and out of feed readers (OPML)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchwire.cli.common import EXIT_OK, Failed, add_command, load, local_time, print_json
from watchwire.cli.parents import Parents
from watchwire.exceptions import ConfigError
from watchwire.opml import OpmlError, OpmlFeed, read_opml, source_name, write_opml

if TYPE_CHECKING:
    from watchwire.config import Config

__all__ = ["register"]


def register(sub: Any, parents: Parents) -> None:
    common = [parents.config, parents.logs]
    so = add_command(
        sub, "sources", parents=common,
        summary="every source with its health; OPML import and export",
        description="`sources` alone lists every configured source with its health (ok, "
        "failing, silent, robots-blocked, gone, moved, never-polled: docs/alerts.md), since "
        "when and why, its last successful poll, its last new article, articles a day (last "
        "7 days), its next poll and the links given up on — before the first run too. "
        "`import` and `export` move subscriptions between watchwire and feed readers "
        "(Miniflux, FreshRSS, Feedly, NetNewsWire…), which import and export OPML.",
        examples=["watchwire sources", "watchwire sources --json | jq 'select(.state != \"ok\")'",
                  "watchwire sources import subscriptions.opml > new-sources.yaml",
                  "watchwire sources export -c watchwire.yaml > watchwire.opml"],
    )  # fmt: skip
    so.add_argument("--json", action="store_true", help="one JSON object per source")
    so.set_defaults(handler=_cmd_list)
    actions = so.add_subparsers(dest="action", metavar="ACTION")
    im = add_command(
        actions, "import", parents=common,
        summary="print the feeds of an OPML file as YAML for `sources:`",
        description="Read an OPML file and print its feeds as `sources:` entries to paste "
        "into (or append to) the config: a name made from each title, the feed's URL. With "
        "a config (-c, $WATCHWIRE_CONFIG or ./watchwire.yaml), feeds it has already are "
        "left out and new names do not clash with its own. Nothing is written but standard "
        "output.",
        examples=["watchwire sources import feeds.opml",
                  "watchwire sources import feeds.opml -c watchwire.yaml >> additions.yaml"],
    )  # fmt: skip
    im.add_argument("file", metavar="FILE.opml", type=Path)
    im.set_defaults(handler=_cmd_import)
    ex = add_command(
        actions, "export", parents=common,
        summary="print the config's sources as OPML",
        description="Print the config's sources as an OPML subscription list for a feed "
        "reader. Sources configured as sitemaps, listing or home pages are not feeds a "
        "reader could follow: they are left out, and named on standard error.",
        examples=["watchwire sources export -c watchwire.yaml > watchwire.opml"],
    )  # fmt: skip
    ex.set_defaults(handler=_cmd_export)


def _cmd_list(args: argparse.Namespace) -> int:
    from watchwire import queries
    from watchwire.store import open_store
    from watchwire.timeutil import utcnow

    config = load(args)
    location = config.store_location()

    async def go() -> list[queries.SourceStatus]:
        if not location.exists():  # before the first run: every source never polled
            return await queries.sources(config, None, now=utcnow())
        async with open_store(location) as store:
            return await queries.sources(config, store, now=utcnow())

    statuses = asyncio.run(go())
    if getattr(args, "json", False):
        for st in statuses:
            print_json(queries.source_json(st))
        return EXIT_OK
    print(f"{'source':20} {'state':14} {'since':16} {'last success':16} {'last new':16} "
          f"{'/day':>6} {'next poll':16} given up")  # fmt: skip
    for st in statuses:
        per_day = "" if st.articles_per_day is None else f"{st.articles_per_day:g}"
        state = st.state + ("" if st.enabled else " (off)")
        print(f"{st.name:20} {state:14} {local_time(st.since):16} {local_time(st.last_ok_at):16} "
              f"{local_time(st.last_new_at):16} {per_day:>6} {local_time(st.next_poll_at):16} "
              f"{st.given_up}")  # fmt: skip
        if st.reason and st.state != "ok":
            print(f"{'':20} {st.reason}")
    bad = sum(st.state not in ("ok", "never-polled") for st in statuses)
    print(f"{len(statuses)} source(s), {bad} needing attention")
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    import yaml

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise Failed(f"cannot read {args.file}: {(exc.strerror or str(exc)).lower()}") from None
    try:
        feeds = read_opml(data)
    except OpmlError as exc:
        raise Failed(f"{args.file} is not an OPML file we can read: {exc}") from None
    config = _optional_config(args)
    have = {s.url.rstrip("/") for s in config.sources} if config else set()
    taken = {s.name for s in config.sources} if config else set()
    new = [
        f
        for f in feeds
        if f.url.rstrip("/") not in have and f.url.startswith(("http://", "https://"))
    ]
    skipped = len(feeds) - len(new)
    entries = [{"name": source_name(f.title, f.url, taken), "url": f.url} for f in new]
    print(f"# {len(entries)} source(s) from {args.file.name}"
          + (f"; {skipped} left out (already in the config, or not http(s))" if skipped else "")
          + "; paste the entries under `sources:` in the config")  # fmt: skip
    if entries:
        print(yaml.safe_dump({"sources": entries}, allow_unicode=True, sort_keys=False,
                             default_flow_style=None, width=1000), end="")  # fmt: skip
    return EXIT_OK


def _optional_config(args: argparse.Namespace) -> Config | None:
    """The config when there is one to compare with (import works without)."""
    try:
        return load(args)
    except ConfigError as exc:
        if getattr(args, "config", None) is None and "config file not found" in exc.message:
            return None
        raise


def _cmd_export(args: argparse.Namespace) -> int:
    config = load(args)
    feeds, left = [], []
    for s in config.sources:
        if s.kind in (None, "feed"):
            feeds.append(OpmlFeed(title=s.name, url=s.url))
        else:
            left.append(f"{s.name} ({s.kind})")
    sys.stdout.buffer.write(write_opml(feeds, title=f"watchwire sources of {config.path}"))
    if left:
        print(f"watchwire: left out, not feeds: {', '.join(left)}", file=sys.stderr)
    return EXIT_OK
