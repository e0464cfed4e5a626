"""``sources import`` and ``sources export``: subscriptions in and out of feed readers (OPML)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchwire.cli.common import EXIT_OK, Failed, add_command, load
from watchwire.cli.parents import Parents
from watchwire.exceptions import ConfigError
from watchwire.opml import OpmlError, OpmlFeed, read_opml, source_name, write_opml

if TYPE_CHECKING:
    from watchwire.config import Config

__all__ = ["register"]


def register(sub: Any, parents: Parents) -> None:
    common = [parents.config, parents.logs]
    so = add_command(
        sub, "sources", parents=[parents.logs],
        summary="sources in and out of feed readers: OPML import and export",
        description="Move subscriptions between watchwire and feed readers (Miniflux, "
        "FreshRSS, Feedly, NetNewsWire…), which import and export OPML.",
        examples=["watchwire sources import subscriptions.opml > new-sources.yaml",
                  "watchwire sources export -c watchwire.yaml > watchwire.opml"],
    )  # fmt: skip
    actions = so.add_subparsers(dest="action", metavar="ACTION", required=True)
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
