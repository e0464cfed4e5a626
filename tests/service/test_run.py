"""`watchwire run` as a real subprocess: starts, polls, reloads on SIGHUP, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.support.httpserver import HttpServer, Request, Response, ServerFactory, html

FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>Nothing here</title><link>{link}</link></item></channel></rss>"
)


def write_config(path: Path, server: HttpServer, *, rule: str = "belarus") -> None:
    path.write_text(f"""
storage: {path.parent / "w.db"}
crawl: {{interval: 1s, per_host_delay: 0s, timeout: 3s}}
sources:
  - {{name: site, url: "{server.url("/feed.xml")}"}}
channels:
  out: {{type: console}}
rules:
  - {{name: r1, query: "{rule}"}}
""")


class Service:
    """The subprocess and its merged output, read line by line as it comes."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    async def wait_for(self, text: str) -> str:
        async with asyncio.timeout(20):
            for line in self.lines:
                if text in line:
                    return line
            assert self.proc.stdout is not None
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise AssertionError(f"exited before {text!r}:\n" + "".join(self.lines))
                line = raw.decode()
                self.lines.append(line)
                if text in line:
                    return line


async def start(config: Path) -> Service:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "watchwire", "run", "-c", str(config), "--log-level", "debug",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    return Service(proc)


async def stop(service: Service) -> int:
    if service.proc.returncode is None:
        service.proc.send_signal(signal.SIGTERM)
    async with asyncio.timeout(20):
        assert service.proc.stdout is not None
        rest = await service.proc.stdout.read()
        service.lines.append(rest.decode())
        return await service.proc.wait()


FEED_HIT = "feed_hit"


@pytest.fixture
async def site(http_server: ServerFactory) -> HttpServer:
    server = await http_server()
    link = server.url("/a/1")
    feed = html(FEED.replace(b"{link}", link.encode()), content_type="application/rss+xml")
    hit = asyncio.Event()
    setattr(server, FEED_HIT, hit)

    async def counted(request: Request, response: Response) -> None:
        hit.set()
        await feed(request, response)

    server.route("/feed.xml")(counted)
    server.route("/a/1")(
        html(
            "<html><body><article><h1>Nothing here</h1><p>"
            + "Quiet day in the city. " * 20
            + "</p></article></body></html>"
        )
    )
    return server


async def test_runs_polls_and_stops_cleanly_on_sigterm(tmp_path: Path, site: HttpServer) -> None:
    config = tmp_path / "w.yaml"
    write_config(config, site)
    service = await start(config)
    try:
        await service.wait_for("watching 1 source(s) with 1 rule(s)")
        await service.wait_for("1 new of 1 discovered")
        assert len(site.hits("/feed.xml")) >= 1
    finally:
        code = await stop(service)
    assert code == 0, "".join(service.lines)
    assert "stopped" in service.lines[-1] or any("stopped" in ln for ln in service.lines)
    # A clean close checkpoints the WAL and removes it.
    assert not (tmp_path / "w.db-wal").exists()


async def test_sighup_reloads_a_good_config_and_keeps_the_old_on_a_bad_one(
    tmp_path: Path, site: HttpServer
) -> None:
    config = tmp_path / "w.yaml"
    write_config(config, site)
    service = await start(config)
    try:
        await service.wait_for("watching 1 source(s)")
        write_config(config, site, rule="belarus AND sanctions")
        service.proc.send_signal(signal.SIGHUP)
        await service.wait_for("config reloaded: 1 source(s), 1 rule(s)")
        config.write_text(config.read_text().replace("query:", "qurey:"))
        service.proc.send_signal(signal.SIGHUP)
        line = await service.wait_for("config reload failed")
        assert "keeping the running config" in line
        await service.wait_for("w.yaml:")  # the error names the file (next line of the log)
        hit: asyncio.Event = getattr(site, FEED_HIT)
        hit.clear()
        async with asyncio.timeout(10):
            await hit.wait()  # still polling, on the old config
    finally:
        code = await stop(service)
    assert code == 0, "".join(service.lines)


async def test_bad_config_exits_2_with_the_position(tmp_path: Path) -> None:
    config = tmp_path / "w.yaml"
    config.write_text("sources:\n  - name: a\n    url: https://a.example/\n    bogus: 1\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "watchwire", "run", "-c", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(20):
        _, err = await proc.communicate()
    assert proc.returncode == 2
    assert f"{config}:4:5: sources[0].bogus: unknown key" in err.decode()
