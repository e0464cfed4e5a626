"""What every command shares: exit statuses, errors in words, config and store lookup,
argument types, how a command's help is laid out, and output (time, colour, JSON).

Exit status: 0 done, 1 runtime failure, 2 bad usage or bad config. A command raises
``UsageError`` (2) for an argument or name that cannot be right, ``ConfigError`` (2) for the
config, any other ``WatchwireError`` (1) for what went wrong at run time; ``main`` turns each
into ``watchwire: <what happened>`` on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchwire.exceptions import ConfigError, WatchwireError
from watchwire.timeutil import utcnow

if TYPE_CHECKING:
    from watchwire.config import Config
    from watchwire.store import StoreLocation

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "Failed",
    "Painter",
    "UsageError",
    "add_command",
    "age",
    "duration",
    "existing_store",
    "load",
    "local_time",
    "print_json",
]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

EXAMPLE_CONFIG = "config/watchwire.yaml"
"""The commented example config, in watchwire's source."""


class UsageError(WatchwireError):
    """The command line asks for something that cannot be right (exit status 2)."""


class Failed(WatchwireError):
    """The command ran and could not do what was asked (exit status 1)."""


# --- help -----------------------------------------------------------------------------------------


def add_command(
    sub: Any,
    name: str,
    *,
    summary: str,
    description: str,
    examples: Sequence[str],
    parents: Sequence[argparse.ArgumentParser] = (),
) -> argparse.ArgumentParser:
    """A sub-command whose ``--help`` says what it does, then shows how it is used."""
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    return sub.add_parser(  # type: ignore[no-any-return]
        name,
        help=summary,
        description=textwrap.fill(description, 92),
        epilog=epilog,
        parents=list(parents),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def duration(text: str) -> timedelta:
    """An argument such as ``7d``, ``12h`` or ``30m`` (argparse type)."""
    from watchwire.config import parse_duration

    try:
        return parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a duration such as 30m, 12h or 7d, got {text!r}"
        ) from None


# --- config and store -----------------------------------------------------------------------------


def load(args: argparse.Namespace) -> Config:
    """The config named by ``-c``, else ``$WATCHWIRE_CONFIG``, else ``./watchwire.yaml``; when
    there is none, say where it was looked for and how to give one."""
    from watchwire.config import load_config

    given: Path | None = getattr(args, "config", None)
    env = os.environ.get("WATCHWIRE_CONFIG")
    path = given or Path(env or "watchwire.yaml")
    if not path.exists():
        if given is not None:
            where = f"{path} (given with -c) does not exist"
        elif env:
            where = f"{path} (named by $WATCHWIRE_CONFIG) does not exist"
        else:
            where = "no watchwire.yaml in this folder"
        raise ConfigError(
            f"config file not found: {where}\n"
            "  Give one with -c FILE or $WATCHWIRE_CONFIG. To start one, copy the commented "
            f"example ({EXAMPLE_CONFIG} in watchwire's source), or run `watchwire demo --keep` "
            "and keep its working config."
        )
    return load_config(path)


def existing_store(config: Config) -> StoreLocation:
    """The config's store, which must exist: a command that only reads never creates one."""
    location = config.store_location()
    if not location.exists():
        raise UsageError(
            f"no store at {location}: nothing has been stored there yet. `watchwire once` or "
            f"`watchwire run` creates it; or is `storage:` in {config.path} not the one you "
            "meant?"
        )
    return location


# --- output ---------------------------------------------------------------------------------------


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False))


def local_time(when: datetime | None) -> str:
    """``2026-11-30 14:05`` in this machine's time zone ('-' for none)."""
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else "-"


def age(when: datetime | None, *, now: datetime | None = None) -> str:
    """``3h ago``, ``in 5m``."""
    if when is None:
        return "-"
    seconds = int(((now or utcnow()) - when).total_seconds())
    later, seconds = seconds < 0, abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            text = f"{seconds // size}{unit}"
            break
    else:
        text = f"{seconds}s"
    return f"in {text}" if later else f"{text} ago"


class Painter:
    """Colour on a terminal (unless ``NO_COLOR`` or ``--color never``), plain text elsewhere.

    Matched words are shown in colour on a terminal; elsewhere between ``⟦`` and ``⟧``, which
    no news text uses (``«»`` are ordinary quotation marks in Ukrainian and Russian).
    """

    MARK_OPEN, MARK_CLOSE = "⟦", "⟧"

    def __init__(self, mode: str = "auto", stream: Any = None) -> None:
        stream = stream or sys.stdout
        if mode == "auto":
            self.color = stream.isatty() and not os.environ.get("NO_COLOR")
        else:
            self.color = mode == "always"

    def _paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def hit(self, text: str) -> str:
        return (
            self._paint(text, "1;33") if self.color else f"{self.MARK_OPEN}{text}{self.MARK_CLOSE}"
        )

    def good(self, text: str) -> str:
        return self._paint(text, "32")

    def bad(self, text: str) -> str:
        return self._paint(text, "31")

    def dim(self, text: str) -> str:
        return self._paint(text, "2")

    def bold(self, text: str) -> str:
        return self._paint(text, "1")

    def snippet(self, text: str, words: Iterable[str]) -> str:
        """A snippet whose matched ``words`` are marked ``«»`` (DESIGN.md), in this output's
        marks; other ``«»`` in it are the article's own quotation marks and stay."""
        from watchwire.alerts.render import snippet_segments

        wanted = {" ".join(w.split()).casefold() for w in words}
        return "".join(self.hit(t) if hit else t for t, hit in snippet_segments(text, wanted))
