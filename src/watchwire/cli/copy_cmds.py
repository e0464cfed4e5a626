"""``store copy``: move a store to another backend (SQLite into PostgreSQL, or back)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchwire.cli.common import EXIT_OK, UsageError, add_command
from watchwire.cli.parents import Parents

if TYPE_CHECKING:
    from watchwire.store.copy import CopyReport
    from watchwire.store.records import Kind

__all__ = ["register"]


def register(sub: Any, parents: Parents) -> None:
    store = add_command(
        sub, "store", parents=[parents.logs],
        summary="the store itself: copy it into another",
        description="Work on the store as a whole. `store copy` moves a store into another, "
        "empty one — the embedded SQLite file into a PostgreSQL database to run several "
        "workers, or back — with every article, story, source's state and alert.",
        examples=["watchwire store copy --from watchwire.db "
                  "--to postgresql://watchwire@db.example.org/watchwire"],
    )  # fmt: skip
    actions = store.add_subparsers(dest="action", metavar="ACTION", required=True)
    copy = add_command(
        actions, "copy", parents=[parents.logs],
        summary="copy a store into an empty one, or resume a copy",
        description="Copy every record of the store --from into the store --to: an empty "
        "PostgreSQL database (its tables are made) or a new SQLite file. Ids are kept, each "
        "batch is one transaction, and the copy is checked by counting each kind of record "
        "in both. Stop the service using --from first. An interrupted copy resumes where it "
        "stopped when run again; a store holding anything else is refused. The password of a "
        "postgresql:// URL comes from $PGPASSWORD or ~/.pgpass, or from the URL.",
        examples=["watchwire store copy --from watchwire.db --to postgresql://watchwire@db/ww",
                  "watchwire store copy --from sqlite:///var/lib/watchwire/watchwire.db "
                  "--to 'postgresql:///watchwire?host=/run/postgresql'"],
    )  # fmt: skip
    copy.add_argument("--from", dest="source", required=True, metavar="STORE",
                      help="a SQLite file, sqlite:PATH or postgresql://…")  # fmt: skip
    copy.add_argument("--to", dest="target", required=True, metavar="STORE",
                      help="an empty database (postgresql://…) or a new SQLite file")  # fmt: skip
    copy.set_defaults(handler=_cmd_copy)


def _cmd_copy(args: argparse.Namespace) -> int:
    from watchwire.store import locate_store, open_store
    from watchwire.store.copy import copy_store

    source = locate_store(args.source, relative_to=Path.cwd())
    target = locate_store(args.target, relative_to=Path.cwd())
    if not source.exists():
        raise UsageError(f"no store at {source}: --from names the store to copy")
    if source == target:
        raise UsageError("--from and --to are the same store")
    loud = sys.stderr.isatty()

    def progress(kind: Kind, n: int) -> None:
        print(f"  {kind.name:12} +{n}", file=sys.stderr)

    async def go() -> CopyReport:
        async with open_store(source) as src, open_store(target) as dst:
            return await copy_store(src, dst, origin=str(source), into=str(target),
                                    progress=progress if loud else None)  # fmt: skip

    report = asyncio.run(go())
    how = "resumed and finished" if report.resumed else "copied"
    print(f"{how}: {source} -> {target}; {report.copied} record(s) written this run")
    for name, n in report.counts.items():
        print(f"  {name:12} {n:9} (same in both)")
    return EXIT_OK
