"""Operating the service: `watchwire run` as a subprocess with its HTTP endpoint on, source
health alerts to a real webhook receiver that verifies signatures, across a restart; backups
of the live store."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import ServiceProcess, eventually, http_port
from tests.support.httpserver import HttpServer, Request, Response, ServerFactory
from watchwire.demo import WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

TOKEN = "e2e-token-0123456789abcdef"
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>Quiet day</title><link>{link}</link></item></channel></rss>"
)


async def flaky_site(http_server: ServerFactory) -> tuple[HttpServer, dict[str, bool]]:
    server = await http_server()
    up = {"feed": True}
    body = FEED.replace(b"{link}", server.url("/a/1").encode())

    async def feed(request: Request, response: Response) -> None:
        if up["feed"]:
            await response.send(200, body, {"Content-Type": "application/rss+xml"})
        else:
            await response.send(500, b"down", {"Content-Type": "text/plain"})

    async def article(request: Request, response: Response) -> None:
        html = "<html><body><article><h1>Quiet day</h1><p>" + "Nothing new. " * 40
        await response.send(200, (html + "</p></article></body></html>").encode(),
                            {"Content-Type": "text/html"})  # fmt: skip

    server.route("/feed.xml")(feed)
    server.route("/a/1")(article)
    return server, up


def write_config(path: Path, feed: str, *, http: str, hook: WebhookReceiver | None = None) -> Path:
    channels = f'ops: {{type: webhook, url: "{hook.url}", secret: "{hook.secret}"}}' if hook else (
        "ops: {type: console}"
    )  # fmt: skip
    path.write_text(f"""
storage: {path.parent / "w.db"}
http: {http}
crawl: {{interval: 1s, per_host_delay: 0s, timeout: 3s, max_backoff: 1s}}
sources:
  - {{name: site, url: "{feed}"}}
channels:
  {channels}
health: {{notify: [ops], failing_after: 2 polls}}
rules:
  - {{name: r1, query: "belarus"}}
""")
    return path


async def test_the_endpoint_answers_health_readiness_and_metrics(
    tmp_path: Path, http_server: ServerFactory, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    server, _ = await flaky_site(http_server)
    config = write_config(
        tmp_path / "w.yaml", server.url("/feed.xml"), http="{listen: '127.0.0.1:0'}"
    )
    service = watchwire_cli(config)
    port = await http_port(service)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        health = await client.get("/healthz")
        assert health.status_code == 200 and health.json()["store"]["ok"] is True
        ready: list[httpx.Response] = []

        async def is_ready() -> bool:
            ready.append(await client.get("/readyz"))
            return ready[-1].status_code == 200

        for _ in range(100):
            if await is_ready():
                break
            await asyncio.sleep(0.1)
        assert ready[-1].json()["checks"] == {"config": True, "scheduler": True}
        await eventually(lambda: len(server.hits("/feed.xml")) >= 2, within=20,
                         what="two polls", alive=service)  # fmt: skip
        text = (await client.get("/metrics")).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    polls = sum(s.value for s in families["watchwire_polls"].samples if s.name.endswith("_total"))
    assert polls >= 1
    sources = {s.labels["state"]: s.value for s in families["watchwire_sources"].samples}
    assert sources["ok"] == 1
    expected = {
        "watchwire_fetch_duration_seconds", "watchwire_outbox_messages",
        "watchwire_outbox_oldest_pending_age_seconds", "watchwire_store_size_bytes",
        "watchwire_alert_latency_seconds", "watchwire_rule_evaluation_seconds",
        "watchwire_extraction_workers", "process_resident_memory_bytes",
    }  # fmt: skip
    assert expected <= set(families)
    assert await service.terminate() == 0, service.tail()


async def test_off_loopback_the_token_is_required_and_enforced(
    tmp_path: Path, http_server: ServerFactory, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    server, _ = await flaky_site(http_server)
    refused = write_config(tmp_path / "bare.yaml", server.url("/feed.xml"),
                           http="{listen: '0.0.0.0:0'}")  # fmt: skip
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "watchwire", "run", "-c", str(refused)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "needs http.token" in done.stderr
    assert "Traceback" not in done.stderr
    config = write_config(tmp_path / "w.yaml", server.url("/feed.xml"),
                          http=f"{{listen: '0.0.0.0:0', token: {TOKEN}}}")  # fmt: skip
    service = watchwire_cli(config)
    port = await http_port(service)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/readyz")).status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert (await client.get("/metrics", headers=auth)).status_code == 200
    assert await service.terminate() == 0, service.tail()


async def test_health_alerts_once_per_episode_across_a_restart(
    tmp_path: Path, http_server: ServerFactory, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    server, up = await flaky_site(http_server)
    async with WebhookReceiver() as hook:
        config = write_config(tmp_path / "w.yaml", server.url("/feed.xml"), http="null", hook=hook)

        def polls(n: int) -> Callable[[], bool]:
            start = len(server.hits("/feed.xml"))
            return lambda: len(server.hits("/feed.xml")) >= start + n

        first = watchwire_cli(config)
        await eventually(polls(2), within=20, what="good polls", alive=first)
        up["feed"] = False
        await eventually(lambda: len(hook.received) >= 1, within=30, what="the failing alert",
                         alive=first)  # fmt: skip
        await eventually(polls(3), within=30, what="more failing polls", alive=first)
        backup = tmp_path / "live-copy.db"
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "watchwire", "backup", str(backup), "-c", str(config)],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert await first.terminate() == 0, first.tail()

        second = watchwire_cli(config)  # still failing: nothing more to say
        await eventually(lambda: "source is failing since" in second.stderr(), within=20,
                         what="the start-up warning", alive=second)  # fmt: skip
        await eventually(polls(3), within=30, what="failing polls after the restart", alive=second)
        assert len(hook.received) == 1
        up["feed"] = True
        await eventually(lambda: len(hook.received) >= 2, within=30, what="the recovery alert",
                         alive=second)  # fmt: skip
        await eventually(polls(3), within=30, what="good polls", alive=second)
        assert await second.terminate() == 0, second.tail()

    bodies = [h.payload for h in hook.received]
    assert [(b["state"], b["previous_state"]) for b in bodies] == [("failing", "ok"),
                                                                   ("ok", "failing")]  # fmt: skip
    assert bodies[0]["type"] == "watchwire.source_health"
    assert bodies[0]["source"]["name"] == "site"
    assert (
        bodies[0]["reason"].startswith("HTTP 500") and " on 2 polls since " in bodies[0]["reason"]
    )
    assert not hook.rejected and not hook.duplicates  # every signature verified, none repeated
    con = sqlite3.connect(backup)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT state FROM sources").fetchall() == [("failing",)]
    con.close()
