"""The dashboard's pages in process: each page and its JSON twin, answered from the query layer;
hostile text escaped; headers; errors in words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web.conftest import HOSTILE, Dashboard, form_token, serve
from watchwire import queries
from watchwire.timeutil import utcnow
from watchwire.web import search
from watchwire.web.render import CSP

PAGES = ["/", "/sources", "/sources/kyiv", "/stories", "/stories/1", "/search?q=belarus"]


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_is_html_with_a_strict_policy_and_a_json_twin(
    dashboard: Dashboard, path: str
) -> None:
    page = await dashboard.client.get(path)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == CSP
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"
    assert "<main" in page.text and "style=" not in page.text  # nothing inline to allow
    base, _, query = path.partition("?")
    twin = ("/overview" if base == "/" else base) + ".json" + (f"?{query}" if query else "")
    by_suffix = await dashboard.client.get(twin)
    by_accept = await dashboard.client.get(path, headers={"Accept": "application/json"})
    assert by_suffix.headers["content-type"].startswith("application/json")
    assert by_accept.headers["content-type"].startswith("application/json")
    volatile = re.compile(r'"(seconds|oldest_pending_age_seconds)": [0-9.e-]+')
    assert volatile.sub("", by_suffix.text) == volatile.sub("", by_accept.text)
    assert f'href="{twin}"'.replace("&", "&amp;") in page.text  # the page links its twin


async def test_a_browser_asking_for_html_first_gets_the_page(dashboard: Dashboard) -> None:
    accept = "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8"
    page = await dashboard.client.get("/sources", headers={"Accept": accept})
    assert page.headers["content-type"].startswith("text/html")


async def test_the_overview_s_twin_is_the_query_layer_s_answer(dashboard: Dashboard) -> None:
    body = (await dashboard.client.get("/overview.json")).json()
    want = queries.overview_json(
        await queries.overview(dashboard.snapshot.config, dashboard.store, now=utcnow())
    )
    del body["outbox"]["oldest_pending_age_seconds"], want["outbox"]["oldest_pending_age_seconds"]
    assert body == want
    assert body["sources"]["by_state"]["failing"] == 1
    assert [s["source"] for s in body["sources"]["sources"]] == ["minsk", "quiet", "kyiv"]
    assert body["activity"][-1]["articles"] == 4 and body["activity"][-1]["alerts"] == 3
    assert len(body["latest_alerts"]) == 3


async def test_the_overview_draws_the_days_as_svg_bars(dashboard: Dashboard) -> None:
    page = (await dashboard.client.get("/")).text
    assert page.count('<svg class="chart"') == 2
    bars = re.findall(r'<rect class="bar-articles"[^>]*height="([0-9.]+)"', page)
    assert len(bars) == 14 and float(bars[-1]) > 0 and float(bars[0]) == 0
    assert "minsk" in page and "failing" in page


async def test_sources_come_those_in_trouble_first(dashboard: Dashboard) -> None:
    body = (await dashboard.client.get("/sources.json")).json()
    assert [s["source"] for s in body["sources"]] == ["minsk", "quiet", "kyiv"]
    assert body["sources"][0]["reason"] == "HTTP 500 on 3 polls since 10:02Z"
    page = await queries.source_page(dashboard.snapshot.config, dashboard.store, now=utcnow())
    assert body == queries.source_page_json(page)
    only = (await dashboard.client.get("/sources.json?state=ok")).json()
    assert [s["source"] for s in only["sources"]] == ["kyiv"] and only["total"] == 1


async def test_a_source_page_shows_its_polls_with_their_fetches(dashboard: Dashboard) -> None:
    body = (await dashboard.client.get("/sources/kyiv.json")).json()
    (poll,) = body["polls"]
    assert poll["ok"] is True and poll["new_articles"] == 3
    assert [(f["status"], f["bytes"]) for f in poll["fetches"]] == [(200, 2048)]
    page = (await dashboard.client.get("/sources/minsk")).text
    assert "HTTP 500 Internal Server Error" in page and "HTTP 500 on 3 polls" in page


async def test_an_unknown_source_or_story_is_a_404_in_words(dashboard: Dashboard) -> None:
    missing = await dashboard.client.get("/sources/nowhere")
    assert missing.status_code == 404 and "no source named" in missing.text
    assert "<h1>" in missing.text and "Traceback" not in missing.text
    story = await dashboard.client.get("/stories/999.json")
    assert story.status_code == 404 and "There is no story 999" in story.json()["error"]
    assert (await dashboard.client.get("/stories/x")).status_code == 404
    nothing = await dashboard.client.get("/no/such/page")
    assert nothing.status_code == 404 and "There is no page at this address" in nothing.text


async def test_a_story_lists_its_copies_and_which_alerted(dashboard: Dashboard) -> None:
    body = (await dashboard.client.get("/stories/1.json")).json()
    assert [(c["source"], c["alerted"]) for c in body["copies"]] == [
        ("kyiv", True),
        ("minsk", False),
    ]
    assert {a["rule"] for a in body["alerts"]} == {"belarus-sanctions", "potash"}
    listing = (await dashboard.client.get("/stories.json")).json()
    assert [(s["copies"], s["sources"]) for s in listing["stories"]][-1] == (2, 2)


async def test_search_marks_the_matched_words_and_escapes_the_rest(dashboard: Dashboard) -> None:
    page = (await dashboard.client.get("/search", params={"q": "belarus sanctions"})).text
    assert "<mark>Belarus</mark>" in page and "<mark>sanctions</mark>" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img" not in page
    body = (await dashboard.client.get("/search.json", params={"q": "belarus"})).json()
    assert {h["title"] for h in body["hits"]} >= {HOSTILE}
    assert body["candidates"] >= len(body["hits"]) and body["seconds"] >= 0


async def test_a_rule_replayed_over_history_pages_its_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serve(tmp_path) as ep:
        first = (await ep.client.get("/search.json", params={"rule": "belarus-sanctions",
                                                              "since": "7d"})).json()  # fmt: skip
        assert first["rule"] == "belarus-sanctions" and len(first["hits"]) == 3
        assert first["next"] is None
        # One hit a page: the position of the next page is a link's parameter.
        monkeypatch.setattr(search, "PAGE", 1)
        rule = {"rule": "belarus-sanctions"}
        one = (await ep.client.get("/search.json", params=rule)).json()
        two = (await ep.client.get("/search.json", params={**rule, "before": one["next"]})).json()
        page = (await ep.client.get("/search", params=rule)).text
        assert len(one["hits"]) == len(two["hits"]) == 1
        assert one["hits"][0]["url"] != two["hits"][0]["url"]
        assert 'rel="next"' in page and "Replayed rule" in page and " ms." in page


async def test_a_bad_search_says_what_is_wrong(dashboard: Dashboard) -> None:
    bad = await dashboard.client.get("/search", params={"q": "(belarus"})
    assert bad.status_code == 400 and "does not parse" in bad.text and "^" in bad.text
    unknown = await dashboard.client.get("/search.json", params={"rule": "nope"})
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "no rule named 'nope' (rules: belarus-sanctions, potash)"
    since = await dashboard.client.get("/search", params={"q": "x", "since": "soon"})
    assert since.status_code == 400 and "takes a duration such as" in since.text
    before = await dashboard.client.get("/search", params={"q": "x", "before": "nowhere"})
    assert before.status_code == 400 and "is not a position in the results" in before.text


async def test_static_files_ship_in_the_package(dashboard: Dashboard) -> None:
    page = (await dashboard.client.get("/")).text
    (css,) = re.findall(r'href="(/static/watchwire\.css\?v=[0-9a-f]+)"', page)
    answer = await dashboard.client.get(css)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/css")
    assert "immutable" in answer.headers["cache-control"]
    assert (await dashboard.client.get("/static/nothing.js")).status_code == 404
    assert "url(" not in answer.text and "@import" not in answer.text  # nothing from elsewhere


async def test_with_a_token_a_page_sends_the_browser_to_sign_in(tmp_path: Path) -> None:
    token = "a-token-of-sixteen-or-more"
    async with serve(tmp_path, token=token) as ep:
        page = await ep.client.get("/sources?state=ok", headers={"Accept": "text/html"})
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=/sources?state=ok"
        signed = await ep.client.post("/login", data={"token": token, "next": "/sources"})
        assert signed.headers["location"] == "/sources"
        assert (await ep.client.get("/sources")).status_code == 200
        assert "Sign out" in (await ep.client.get("/sources")).text
        # Signing out is a form too: another site's page cannot sign the browser out.
        assert (await ep.client.post("/logout")).status_code == 403
        token_of_form = await form_token(ep.client, "/sources")
        out = await ep.client.post("/logout", data={"csrf": token_of_form})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        again = await ep.client.get("/sources", headers={"Accept": "text/html"})
        assert again.status_code == 303  # signed out
