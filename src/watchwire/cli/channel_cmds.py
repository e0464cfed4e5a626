"""``notify-test``: a test alert through one channel, and the receiver's answer."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from watchwire.cli.common import EXIT_FAILURE, EXIT_OK, UsageError, add_command, load
from watchwire.cli.parents import Parents
from watchwire.exceptions import ConfigError
from watchwire.timeutil import utcnow

__all__ = ["register"]


def register(sub: Any, parents: Parents) -> None:
    nt = add_command(
        sub, "notify-test", parents=[parents.config, parents.logs],
        summary="send a test alert through one channel and show the receiver's answer",
        description="Send one test alert (rule `watchwire-test`, in the channel's real format, "
        "signed as configured) through a configured channel, now, and print what the receiver "
        "answered and how long it took. Nothing is stored. Exit 1 when the delivery fails.",
        examples=["watchwire notify-test ops -c watchwire.yaml",
                  "watchwire notify-test analysts   # an email channel: one test mail"],
    )  # fmt: skip
    nt.add_argument("channel", metavar="CHANNEL", help="a channel's name under `channels:`")
    nt.set_defaults(handler=_cmd_notify_test)


def _cmd_notify_test(args: argparse.Namespace) -> int:
    from watchwire.alerts import channel_target
    from watchwire.alerts.probe import send_test

    config = load(args)
    channel = config.channels.get(args.channel)
    if channel is None:
        names = ", ".join(config.channels) or "none defined"
        raise UsageError(f"no channel named '{args.channel}' (channels: {names})")
    print(f"sending a test alert through {args.channel} ({channel.type}: "
          f"{channel_target(args.channel, channel)})…")  # fmt: skip
    try:
        probe = asyncio.run(send_test(args.channel, channel, now=utcnow()))
    except ConfigError as exc:
        raise config.error_at(("channels", args.channel), exc.message) from None
    took = f"{probe.elapsed * 1000:.0f} ms"
    if probe.ok:
        print(f"delivered in {took}: {probe.answer}")
        return EXIT_OK
    kind = "would be retried" if probe.transient else "would not be retried"
    print(f"FAILED after {took} ({kind}): {probe.answer}")
    return EXIT_FAILURE
