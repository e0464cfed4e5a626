"""The command line: ``watchwire run|once|validate|extract|check|discover|search|alerts|
notify-test|sources|demo``.

Each group of commands is a module (``service_cmds``, ``page_cmds``, ``store_cmds``,
``channel_cmds``, ``source_cmds``) with a ``register(sub, parents)`` that adds its parsers;
``app`` builds the parser and turns every error into words. What a command prints comes from
``watchwire.queries`` (one JSON shape per use case), so ``--json`` and the dashboard agree.

Exit status: 0 done, 1 runtime failure, 2 bad usage or bad config.
"""

from __future__ import annotations

from watchwire.cli.app import main

__all__ = ["main"]
