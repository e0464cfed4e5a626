"""The service under test: ``watchwire run`` as a subprocess, and a webhook receiver.

Used by ``bench_latency`` and ``bench_steady``: the service runs in a process of its own (so
its CPU and RSS are its own), against the universe, with a webhook channel pointing at a
receiver in the benchmark's process that notes when each alert arrives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.universe import Universe, make_rules_yaml

__all__ = ["Arrival", "Receiver", "ServiceProcess", "wait_until", "write_service_config"]

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float
    rule: str
    url: str


@dataclass(slots=True)
class Receiver:
    """A webhook receiver on loopback: ``POST /`` → 204, noting the arrival time."""

    arrivals: list[Arrival] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    def __enter__(self) -> Receiver:
        arrivals = self.arrivals
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                at = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                try:
                    payload = json.loads(body)
                except ValueError:
                    return
                items = payload.get("alerts", [payload])  # a digest carries several
                with lock:
                    for item in items:
                        article = item.get("article") or {}
                        arrivals.append(Arrival(at, str(item.get("rule")), str(article.get("url"))))

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.thread is not None:
            self.thread.join(10)


def write_service_config(
    tmp: Path,
    uni: Universe,
    hook: str,
    *,
    interval: str,
    rules: int,
    delay: str = "1s",
    http_port: int | None = None,
) -> Path:
    """A config watching every feed of ``uni`` at ``interval``, alerting ``hook``; with its
    HTTP endpoint on ``http_port`` (loopback) when given."""
    sources = "\n".join(
        f"  - name: s{i}\n    url: {url}\n    kind: feed" for i, url in enumerate(uni.feeds)
    )
    text = (
        f"storage: {tmp / 'watchwire.db'}\n"
        + (f"http: {{listen: '127.0.0.1:{http_port}'}}\n" if http_port is not None else "")
        + "crawl:\n"
        f"  interval: {interval}\n"
        f"  per_host_delay: {delay}\n"
        f"sources:\n{sources}\n"
        "channels:\n"
        "  hook:\n"
        "    type: webhook\n"
        f"    url: {hook}\n"
        "    retry: {first: 1s, max: 10s, give_up: 1h}\n" + make_rules_yaml(rules)
    )
    path = tmp / "watchwire.yaml"
    path.write_text(text)
    return path


class ServiceProcess:
    """``watchwire run -c CONFIG`` in a subprocess; SIGTERM (then SIGKILL) on exit."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log_path = log
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def __enter__(self) -> ServiceProcess:
        self._log = self.log_path.open("wb")
        exe = Path(sys.executable).with_name("watchwire")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "watchwire"]
        self.proc = subprocess.Popen(
            [*cmd, "run", "-c", str(self.config), "--log-level", "warning"],
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._log is not None:
            self._log.close()

    def log_tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def wait_until(check: Any, *, timeout: float, every: float = 1.0, what: str = "") -> bool:
    """Call ``check()`` every ``every`` seconds until it is true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    print(f"timed out after {timeout:.0f}s waiting for {what}", flush=True)
    return False
