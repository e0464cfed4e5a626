"""The option groups commands share, passed to each command module's ``register``."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

__all__ = ["Parents"]


@dataclass(frozen=True, slots=True)
class Parents:
    config: argparse.ArgumentParser
    """``-c FILE``: for commands that read the config."""
    logs: argparse.ArgumentParser
    """``--log-level``, ``--log-format``: every command."""
    color: argparse.ArgumentParser
    """``--color``: commands that highlight matched words."""
