"""The HTTP endpoint in process: real aiohttp server on loopback, real store, real client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from watchwire.config import parse_config
from watchwire.exceptions import WatchwireError
from watchwire.metrics import Metrics
from watchwire.snapshot import Snapshot
from watchwire.store import HealthRecord, Store, locate_store, open_store
from watchwire.timeutil import utcnow
from watchwire.web import HttpServer, WebContext
from watchwire.web.auth import COOKIE

TOKEN = "s3cret-token-of-enough-length"


@dataclass
class Endpoint:
    url: str
    store: Store
    metrics: Metrics
    ready: dict[str, bool]


def _config(tmp_path: Path) -> Snapshot:
    config = parse_config(f"""
storage: {tmp_path / "w.db"}
sources:
  - {{name: good, url: "http://127.0.0.1:9/a"}}
  - {{name: bad, url: "http://127.0.0.1:9/b"}}
  - {{name: new, url: "http://127.0.0.1:9/c"}}
rules:
  - {{name: r1, query: belarus}}
""")
    return Snapshot.build(config)


@asynccontextmanager
async def endpoint(tmp_path: Path, *, token: str | None = None) -> AsyncIterator[Endpoint]:
    snap = _config(tmp_path)
    metrics = Metrics()
    ready = {"config": True, "scheduler": False}
    async with open_store(locate_store(tmp_path / "w.db")) as store:
        context = WebContext(
            snapshot=lambda: snap, store=store, metrics=metrics, readiness=lambda: ready,
            workers=lambda: 0, started_at=utcnow(), token=token,
        )  # fmt: skip
        async with HttpServer(context, "127.0.0.1", 0) as server:
            yield Endpoint(f"http://127.0.0.1:{server.port}", store, metrics, ready)


Get = Callable[..., httpx.Response]


async def test_healthz_and_readyz_say_what_holds(tmp_path: Path) -> None:
    async with endpoint(tmp_path) as ep, httpx.AsyncClient(base_url=ep.url) as client:
        health = await client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "ok" and health.json()["store"]["ok"] is True
        not_yet = await client.get("/readyz")
        assert not_yet.status_code == 503
        assert not_yet.json()["checks"] == {"config": True, "scheduler": False}
        ep.ready["scheduler"] = True
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["config"]["rules"] == 1


async def test_metrics_parse_and_carry_the_store_s_gauges(tmp_path: Path) -> None:
    async with endpoint(tmp_path) as ep, httpx.AsyncClient(base_url=ep.url) as client:
        now = utcnow()
        for name in ("good", "bad"):
            await ep.store.record_poll(name, url="http://127.0.0.1:9/", now=now, ok=True)
        await ep.store.record_health("good", HealthRecord(state="ok", since=now), [], now=now)
        since = now - timedelta(hours=1)
        await ep.store.record_health(
            "bad", HealthRecord(state="failing", since=since, reason="HTTP 500"), [], now=now
        )
        ep.metrics.polled("ok", 0.1)
        ep.metrics.fetched("feed", "ok", 0.2)
        ep.metrics.delivered("ops", "alert", [12.0])
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    states = {s.labels["state"]: s.value for s in families["watchwire_sources"].samples}
    assert states["ok"] == 1 and states["failing"] == 1 and states["never-polled"] == 1
    (bad,) = families["watchwire_source_unhealthy"].samples
    assert bad.labels == {"source": "bad", "state": "failing"}
    assert bad.value == pytest.approx(since.timestamp())
    polls = {s.labels["outcome"]: s.value for s in families["watchwire_polls"].samples
             if s.name == "watchwire_polls_total"}  # fmt: skip
    assert polls == {"ok": 1.0}
    latency = families["watchwire_alert_latency_seconds"].samples
    assert any(s.name.endswith("_count") and s.value == 1 for s in latency)
    assert families["watchwire_store_size_bytes"].samples[0].value > 0
    assert "process_cpu_seconds" in families  # the process collectors


async def test_the_token_guards_everything_but_healthz(tmp_path: Path) -> None:
    async with endpoint(tmp_path, token=TOKEN) as ep, httpx.AsyncClient(base_url=ep.url) as c:
        assert (await c.get("/healthz")).status_code == 200
        refused = await c.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        wrong = await c.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert (await c.get("/readyz", headers={"Authorization": f"Bearer {TOKEN}"})).is_error
        ok = await c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        assert (await c.get("/nowhere")).status_code == 401  # nothing said without the token


async def test_a_browser_trades_the_token_once_for_a_strict_cookie(tmp_path: Path) -> None:
    async with endpoint(tmp_path, token=TOKEN) as ep, httpx.AsyncClient(base_url=ep.url) as c:
        page = await c.get("/metrics", headers={"Accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/metrics"
        form = await c.get("/login?next=/metrics")
        assert form.status_code == 200 and 'name="token"' in form.text
        assert "default-src 'none'" in form.headers["content-security-policy"]
        bad = await c.post("/login", data={"token": "guess", "next": "/metrics"})
        assert bad.status_code == 401 and COOKIE not in bad.cookies
        good = await c.post("/login", data={"token": TOKEN, "next": "/metrics"})
        assert good.status_code == 303 and good.headers["location"] == "/metrics"
        cookie = good.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
        with_cookie = await c.get("/metrics")  # the client keeps the cookie, as a browser does
        assert with_cookie.status_code == 200
        c.cookies.set(COOKIE, with_cookie.request.headers["cookie"].split("=", 1)[1] + "0")
        assert (await c.get("/metrics")).status_code == 401  # a forged cookie is no session


async def test_behind_an_https_proxy_the_cookie_is_secure_and_next_stays_here(
    tmp_path: Path,
) -> None:
    async with endpoint(tmp_path, token=TOKEN) as ep, httpx.AsyncClient(base_url=ep.url) as c:
        answer = await c.post("/login", data={"token": TOKEN, "next": "//evil.example/"},
                              headers={"X-Forwarded-Proto": "https"})  # fmt: skip
        assert answer.headers["location"] == "/"
        assert "Secure" in answer.headers["set-cookie"]


async def test_a_port_in_use_is_said_in_words(tmp_path: Path) -> None:
    async with endpoint(tmp_path) as ep:
        port = int(ep.url.rsplit(":", 1)[1])
        context = WebContext(
            snapshot=lambda: _config(tmp_path), store=ep.store, metrics=ep.metrics,
            readiness=dict, workers=lambda: 0, started_at=utcnow(),
        )  # fmt: skip
        with pytest.raises(WatchwireError, match="the port is in use"):
            async with HttpServer(context, "127.0.0.1", port):
                pass
