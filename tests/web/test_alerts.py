"""The alerts pages: the list with its filters and pages, one alert with its highlighted
snippet and delivery tries, and the one write — retrying a failed alert."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import HOSTILE, Dashboard, form_token, serve
from watchwire import queries
from watchwire.store import DeliveryAttempt
from watchwire.timeutil import utcnow
from watchwire.web import alerts


async def fail(ep: Dashboard, title: str) -> str:
    """The alert of the article titled ``title``, tried twice and given up on."""
    rows = await queries.alerts(ep.store, limit=100)
    (row,) = [r for r in rows if r.title == title and r.rule == "belarus-sanctions"]
    for n, outcome in ((1, "retry"), (2, "failed")):
        await ep.store.record_attempt(DeliveryAttempt(
            message_id=row.id, attempt=n, at=utcnow(), outcome=outcome,
            answer="HTTP 503 Service Unavailable" if n == 1 else "HTTP 410 Gone", elapsed=0.12,
        ))  # fmt: skip
    await ep.store.mark_failed(row.id, error="HTTP 410 Gone", now=utcnow())
    return row.id


async def test_the_list_is_the_query_layer_s_rows_newest_first(dashboard: Dashboard) -> None:
    body = (await dashboard.client.get("/alerts.json")).json()
    rows = await queries.alerts(dashboard.store, limit=alerts.PAGE + 1)
    assert body == {"alerts": [queries.alert_json(r) for r in rows], "next": None}
    assert len(body["alerts"]) == 3 and {a["source"] for a in body["alerts"]} == {"kyiv"}
    page = (await dashboard.client.get("/alerts")).text
    assert "&lt;img src=x onerror=alert(1)&gt;Belarus sanctions" in page and "<img" not in page


async def test_the_list_filters_by_rule_channel_state_and_day(dashboard: Dashboard) -> None:
    get = dashboard.client.get
    by_rule = (await get("/alerts.json", params={"rule": "potash"})).json()["alerts"]
    assert [a["rule"] for a in by_rule] == ["potash"]
    assert (await get("/alerts.json", params={"channel": "nowhere"})).json()["alerts"] == []
    failed_id = await fail(dashboard, "Belarus sanctions relief offered")
    failed = (await get("/alerts.json", params={"state": "failed"})).json()["alerts"]
    assert [a["id"] for a in failed] == [failed_id]
    today = utcnow().date().isoformat()
    assert len((await get("/alerts.json", params={"date": today})).json()["alerts"]) == 3
    assert (await get("/alerts.json", params={"date": "2001-01-01"})).json()["alerts"] == []
    bad = await get("/alerts", params={"state": "lost"})
    assert bad.status_code == 400 and "is not a state" in bad.text
    day = await get("/alerts", params={"date": "yesterday"})
    assert day.status_code == 400 and "takes a day such as" in day.text


async def test_the_list_pages_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alerts, "PAGE", 2)
    async with serve(tmp_path) as ep:
        first = (await ep.client.get("/alerts.json")).json()
        second = (await ep.client.get("/alerts.json", params={"before": first["next"]})).json()
        page = (await ep.client.get("/alerts")).text
    assert len(first["alerts"]) == 2 and len(second["alerts"]) == 1 and second["next"] is None
    assert {a["id"] for a in first["alerts"]}.isdisjoint(a["id"] for a in second["alerts"])
    assert 'rel="next"' in page


async def test_an_alert_shows_its_snippet_and_every_try(dashboard: Dashboard) -> None:
    ident = await fail(dashboard, HOSTILE)
    page = await dashboard.client.get(f"/alerts/{ident}")
    assert page.status_code == 200
    assert "<mark>Belarusian</mark>" in page.text and "<mark>sanctions</mark>" in page.text
    assert "HTTP 503 Service Unavailable" in page.text and "HTTP 410 Gone" in page.text
    assert "<img" not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert 'action="/alerts/' + ident + '/retry"' in page.text  # failed: a Retry button
    body = (await dashboard.client.get(f"/alerts/{ident}.json")).json()
    detail = await queries.alert_detail(dashboard.store, ident)
    assert detail is not None and body == queries.alert_detail_json(detail)
    assert [d["answer"] for d in body["deliveries"]] == ["HTTP 503 Service Unavailable",
                                                          "HTTP 410 Gone"]  # fmt: skip
    missing = await dashboard.client.get("/alerts/0000")
    assert missing.status_code == 404 and "There is no alert 0000" in missing.text


async def test_retry_requeues_a_failed_alert_and_wakes_the_dispatcher(tmp_path: Path) -> None:
    woken: list[bool] = []
    async with serve(tmp_path, wake=lambda: woken.append(True)) as ep:
        ident = await fail(ep, "Belarus sanctions relief offered")
        token = await form_token(ep.client, f"/alerts/{ident}")
        done = await ep.client.post(f"/alerts/{ident}/retry", data={"csrf": token})
        assert done.status_code == 303
        assert done.headers["location"] == f"/alerts/{ident}?retried=1"
        assert woken == [True]
        row = await ep.store.outbox_message(ident)
        assert row is not None and row.state == "pending" and row.requeued_at is not None
        shown = await ep.client.get(done.headers["location"])
        assert "Requeued" in shown.text and "/retry" not in shown.text  # no longer failed
        again = await ep.client.post(f"/alerts/{ident}/retry", data={"csrf": token})
        assert again.status_code == 409 and "is pending, not failed" in again.text
        gone = await ep.client.post("/alerts/0000/retry", data={"csrf": token})
        assert gone.status_code == 404
        await ep.store.mark_failed(ident, error="HTTP 410 Gone", now=utcnow())
        scripted = await ep.client.post(f"/alerts/{ident}/retry.json",
                                        headers={"X-Watchwire-Request": "1"})  # fmt: skip
        assert scripted.json() == {"requeued": 1, "id": ident}


async def test_retry_is_refused_without_the_form_or_from_another_site(
    dashboard: Dashboard,
) -> None:
    ident = await fail(dashboard, "Belarus sanctions relief offered")
    bare = await dashboard.client.post(f"/alerts/{ident}/retry")
    assert bare.status_code == 403
    token = await form_token(dashboard.client, f"/alerts/{ident}")
    forged = await dashboard.client.post(
        f"/alerts/{ident}/retry", data={"csrf": token},
        headers={"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"},
    )  # fmt: skip
    assert forged.status_code == 403 and "another site" in forged.text
    row = await dashboard.store.outbox_message(ident)
    assert row is not None and row.state == "failed"  # nothing was written
