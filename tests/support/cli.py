"""``watchwire`` as a user runs it: a subprocess, its exit status, its output.

``run_cli`` awaits the process without blocking the event loop, so that loopback servers
started by the test on that loop keep answering it; ``run_cli_sync`` is for tests with no
server. The environment is the test's minus every ``WATCHWIRE_*`` variable (plus ``env``).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Done", "run_cli", "run_cli_sync"]

TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Done:
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout ---\n{self.out}\n--- stderr ---\n{self.err}"


def _env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHWIRE_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


async def run_cli(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT,  # noqa: ASYNC109 - a bound on the process, kept with the call
) -> Done:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "watchwire", *map(str, args),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, cwd=cwd, env=_env(env),
    )  # fmt: skip
    try:
        async with asyncio.timeout(timeout):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return Done(proc.returncode, out.decode(), err.decode())


def run_cli_sync(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT,
) -> Done:
    done = subprocess.run(
        [sys.executable, "-m", "watchwire", *map(str, args)],
        stdin=subprocess.DEVNULL, capture_output=True, cwd=cwd, env=_env(env),
        timeout=timeout, check=False,
    )  # fmt: skip
    return Done(done.returncode, done.stdout.decode(), done.stderr.decode())
