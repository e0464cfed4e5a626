"""One frozen snapshot of a config load: the config, its compiled rules, who each rule tells.

Built once per load and swapped whole: the service holds the current snapshot, a poll reads one
snapshot from start to end, and a reload builds the next one (compiling rules costs seconds at
tens of thousands of rules: the service builds it off the event loop) before it swaps it in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from watchwire.config import Config
from watchwire.rules import RuleSet, compile_rules

__all__ = ["Snapshot", "Target"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """A channel a rule notifies, and whether it collects alerts into digests."""

    channel: str
    digest: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    config: Config
    rules: RuleSet
    """The enabled rules, compiled."""
    targets: Mapping[str, tuple[Target, ...]]
    """Rule name → the channels it notifies (``notify:``, else every channel)."""

    @classmethod
    def build(cls, config: Config) -> Snapshot:
        """Compile ``config``'s rules (CPU-heavy for large rule sets)."""
        channels = config.channels
        targets = {
            rule.name: tuple(
                Target(channel=name, digest=channels[name].digest is not None)
                for name in (rule.notify if rule.notify is not None else tuple(channels))
                if name in channels
            )
            for rule in config.rules
        }
        return cls(config=config, rules=compile_rules(config.rules, config.terms), targets=targets)
