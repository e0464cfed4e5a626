"""Loopback servers and a process runner for the end-to-end tests.

Everything runs on 127.0.0.1 and port 0: the news sites and the webhook receiver come from
``watchwire.demo`` (they run on the test's event loop), the SMTP server is aiosmtpd, and
watchwire itself is the real ``watchwire run`` command in a subprocess. Fixtures close what
they start; the subprocess is killed in a ``finally`` however the test ends.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import pytest
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session

# --- waiting ----------------------------------------------------------------------------------


async def eventually(
    check: Callable[[], bool],
    *,
    within: float,
    what: str,
    alive: ServiceProcess | None = None,
) -> None:
    """Wait until ``check()`` holds, polling; fail after ``within`` seconds or if ``alive`` died.

    The state polled is in this process (servers on this loop), so a short poll is cheap.
    """
    deadline = time.monotonic() + within
    while not check():
        if alive is not None and alive.returncode is not None:
            pytest.fail(f"watchwire exited ({alive.returncode}) while waiting for {what}\n"
                        f"{alive.tail()}")  # fmt: skip
        if time.monotonic() > deadline:
            detail = f"\n{alive.tail()}" if alive is not None else ""
            pytest.fail(f"timed out after {within:g}s waiting for {what}{detail}")
        await asyncio.sleep(0.05)


# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    host: str = "127.0.0.1"
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.original_content, bytes)
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.box.envelopes.append(envelope)
        self.box.raw.append(envelope.original_content)
        self.box.messages.append(parsed)
        return "250 OK"


@pytest.fixture
async def mailbox() -> AsyncIterator[Mailbox]:
    """A plaintext aiosmtpd server on loopback recording every message it accepts."""
    box = Mailbox()
    protocols: list[SMTPServer] = []

    def factory() -> SMTPServer:
        proto = SMTPServer(_Handler(box), hostname="mx.e2e.test")
        protocols.append(proto)
        return proto

    server = await asyncio.get_running_loop().create_server(factory, box.host, 0)
    box.port = server.sockets[0].getsockname()[1]
    try:
        yield box
    finally:
        server.close()
        for proto in protocols:
            if proto.transport is not None:
                proto.transport.close()
        await server.wait_closed()
        await asyncio.sleep(0.01)


# --- the watchwire process --------------------------------------------------------------------


class ServiceProcess:
    """``python -m watchwire run -c CONFIG [ARGS]`` with its output in files (no pipe to fill
    up)."""

    def __init__(self, config: Path, folder: Path, run: int, args: Sequence[str] = ()) -> None:
        self.config = config
        self.stdout_path = folder / f"run{run}.stdout"
        self.stderr_path = folder / f"run{run}.stderr"
        env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHWIRE_")}
        env["PYTHONUNBUFFERED"] = "1"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "watchwire", "run", "-c", str(config),
                 "--log-level", "debug", *args],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=folder, env=env,
            )  # fmt: skip

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 60) -> str:
        text = self.stderr().splitlines()[-lines:]
        return "--- watchwire stderr (tail) ---\n" + "\n".join(text)

    async def terminate(self, *, within: float = 20.0) -> int:
        """SIGTERM, then wait (without blocking the loop the servers run on) for the exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + within
        while (code := self.proc.poll()) is None:
            if time.monotonic() > deadline:
                pytest.fail(f"watchwire did not exit within {within:g}s of SIGTERM\n{self.tail()}")
            await asyncio.sleep(0.05)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


async def http_port(service: ServiceProcess) -> int:
    """The port ``watchwire run`` serves HTTP on (``listen: 127.0.0.1:0`` takes a free one)."""
    found: list[int] = []

    def serving() -> bool:
        m = re.search(r"serving HTTP on [^ ]+:(\d+)", service.stderr())
        if m:
            found.append(int(m[1]))
        return bool(m)

    await eventually(serving, within=20, what="the HTTP endpoint", alive=service)
    return found[0]


class StartService(Protocol):
    def __call__(self, config: Path, *args: str) -> ServiceProcess: ...


@pytest.fixture
def watchwire_cli(tmp_path: Path) -> Iterator[StartService]:
    """Start ``watchwire run`` processes; all are killed at the end if still running."""
    started: list[ServiceProcess] = []

    def start(config: Path, *args: str) -> ServiceProcess:
        service = ServiceProcess(config, tmp_path, len(started) + 1, args)
        started.append(service)
        return service

    try:
        yield start
    finally:
        for service in started:
            service.kill()


def cli_json(config: Path, *args: str) -> list[dict[str, Any]]:
    """Run a one-shot ``watchwire`` command with ``--json``; its output, one object a line."""
    done = subprocess.run(
        [sys.executable, "-m", "watchwire", *args, "-c", str(config), "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"watchwire {' '.join(args)} failed:\n{done.stderr}"
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str


async def run_cli(
    *args: str, cwd: Path, within: float = 60.0, max_file_size: int | None = None
) -> Completed:
    """A one-shot ``watchwire`` command, awaited without blocking the loop the test's servers
    run on; killed if it outlives ``within`` seconds. ``max_file_size`` caps every file it
    writes (RLIMIT_FSIZE): a disk that fills up, where no small filesystem can be mounted."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHWIRE_")}

    def limit() -> None:
        if max_file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_size, max_file_size))

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "watchwire", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL, cwd=cwd, env=env,
        preexec_fn=limit if max_file_size is not None else None,
    )  # fmt: skip
    try:
        async with asyncio.timeout(within):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        pytest.fail(f"watchwire {' '.join(args)} ran over {within:g}s\n{err.decode()[-3000:]}")
    assert proc.returncode is not None
    return Completed(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


def once_table(stdout: str) -> dict[str, dict[str, str]]:
    """``watchwire once``'s table of sources: source → column → value (``result`` is ``ok`` or
    ``FAILED``; a failed source's ``error`` is the rest of its line)."""
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["source", "result"])
    columns = lines[header].split()
    rows: dict[str, dict[str, str]] = {}
    for line in lines[header + 1 :]:
        if not line.strip():
            break
        name, result, *rest = line.split(maxsplit=2)
        if result == "FAILED":
            rows[name] = {"result": result, "error": " ".join(rest)}
        else:
            rows[name] = dict(zip(columns, line.split(), strict=True))
    return rows
