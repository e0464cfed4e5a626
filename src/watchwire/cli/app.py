"""``main``: the parser of every command, and the one place where errors become words.

A user never sees a traceback: a usage error, a bad config, a closed pipe (``| head``) and
Ctrl-C each end with one line on standard error and a documented exit status; an unexpected
exception (a bug) is reported in one line too, its traceback logged at debug level.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from watchwire import __version__
from watchwire.cli import (
    channel_cmds,
    copy_cmds,
    page_cmds,
    service_cmds,
    source_cmds,
    store_cmds,
)
from watchwire.cli.common import EXIT_FAILURE, EXIT_USAGE, Failed, UsageError
from watchwire.cli.parents import Parents
from watchwire.exceptions import ConfigError, WatchwireError
from watchwire.logs import setup_logging

__all__ = ["build_parser", "main"]

log = logging.getLogger("watchwire")

_DESCRIPTION = """\
Watch news sites; alert once, and reliably, when keyword rules match.

Start with `watchwire demo`; then write a config (`-c FILE`, else $WATCHWIRE_CONFIG, else
./watchwire.yaml), check it with `watchwire validate`, and run `watchwire run` (a service) or
`watchwire once` (from cron). `watchwire COMMAND --help` explains each command with examples.

exit status: 0 done, 1 runtime failure, 2 bad usage or bad config"""


def build_parser() -> argparse.ArgumentParser:
    config = argparse.ArgumentParser(add_help=False)
    # Defaults are SUPPRESS'd: a sub-command's own default would otherwise overwrite what was
    # given before it (`watchwire alerts -c w.yaml list`); `_defaults` fills them in after.
    config.add_argument("-c", "--config", type=Path, metavar="FILE", default=argparse.SUPPRESS,
                        help="the config file (default: $WATCHWIRE_CONFIG, then "
                        "./watchwire.yaml)")  # fmt: skip
    logs = argparse.ArgumentParser(add_help=False)
    logs.add_argument("--log-level", choices=["debug", "info", "warning", "error"],
                      default=argparse.SUPPRESS,
                      help="what is logged to standard error (default: info)")  # fmt: skip
    logs.add_argument("--log-format", choices=["text", "json"], default=argparse.SUPPRESS,
                      help="log lines as text or as JSON objects (default: text)")  # fmt: skip
    color = argparse.ArgumentParser(add_help=False)
    color.add_argument("--color", default=argparse.SUPPRESS, choices=["auto", "always", "never"],
                       help="colour matched words (default: auto, on a terminal unless "
                       "$NO_COLOR is set)")  # fmt: skip

    parser = argparse.ArgumentParser(
        prog="watchwire",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"watchwire {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parents = Parents(config=config, logs=logs, color=color)
    for module in (service_cmds, page_cmds, store_cmds, copy_cmds, channel_cmds, source_cmds):
        module.register(sub, parents)
    return parser


_DEFAULTS = {"config": None, "log_level": "info", "log_format": "text", "color": "auto"}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit status (0 done, 1 failure, 2 bad usage or config)."""
    try:
        return _main(argv)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_FAILURE
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:  # the reader left (`| head`): what is left is not wanted
            _silence_stdout()


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)  # exits 2 with a usage line on a bad command line
    for name, value in _DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    setup_logging(args.log_level, args.log_format)
    try:
        status: int = args.handler(args)
    except ConfigError as exc:
        for error in exc.errors:
            _say(str(error))
        return EXIT_USAGE
    except UsageError as exc:
        _say(str(exc))
        return EXIT_USAGE
    except (Failed, WatchwireError) as exc:
        _say(str(exc))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_FAILURE
    except BrokenPipeError:
        raise
    except Exception as exc:  # a bug: one line for the user, the traceback for a bug report
        log.debug("unexpected error", exc_info=True)
        _say(f"unexpected error ({type(exc).__name__}: {exc}); this is a bug in watchwire. "
             "Run again with --log-level debug for the details to report.")  # fmt: skip
        return EXIT_FAILURE
    return status


def _say(message: str) -> None:
    print(f"watchwire: {message}", file=sys.stderr)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush at exit does
    not fail a second time on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)
