"""The rule playground: a page tried against the rules, nothing stored; a fetch only of pages on
configured sources' hosts; its form guarded against other sites' posts."""

from __future__ import annotations

from pathlib import Path

from tests.support.httpserver import Request, Response, ServerFactory, html, status
from tests.web.conftest import Dashboard, form_token, serve
from watchwire.workers import Limits, WorkerPool

PAGE = """<!DOCTYPE html><html lang="en"><head><title>{title}</title></head><body>
<article><h1>{title}</h1>
<p>The European Union agreed new sanctions on Belarus on Monday, officials said in Brussels.</p>
<p>Potash exports are the target, and the measures take effect at once for every member.</p>
</article></body></html>"""


async def tried(ep: Dashboard, **fields: str) -> dict[str, object]:
    token = await form_token(ep.client, "/playground")
    answer = await ep.client.post("/playground.json", data={"csrf": token, **fields})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


async def test_a_pasted_page_against_every_rule(dashboard: Dashboard) -> None:
    before = await dashboard.store.count_articles()
    body = await tried(dashboard, page=PAGE.format(title="EU sanctions Belarus"))
    article = body["article"]
    assert isinstance(article, dict) and article["title"] == "EU sanctions Belarus"
    rules = {r["rule"]: r for r in body["rules"]}  # type: ignore[attr-defined]
    # Judged as `watchwire check` judges: both rules would alert their channel.
    assert rules["belarus-sanctions"]["verdict"] == "alert"
    assert rules["belarus-sanctions"]["channels"] == ["ops"]
    assert rules["belarus-sanctions"]["explain"]["matched"] is True
    (window, *_) = rules["belarus-sanctions"]["windows"]
    assert window["field"] in ("title", "body")
    assert rules["potash"]["verdict"] == "alert"
    one = await tried(dashboard, page=PAGE.format(title="EU"), rule="potash")
    assert [r["rule"] for r in one["rules"]] == ["potash"]  # type: ignore[attr-defined]
    assert await dashboard.store.count_articles() == before  # nothing stored


async def test_a_near_miss_says_which_part_failed(dashboard: Dashboard) -> None:
    page = PAGE.format(title="Brussels decides")
    near = await tried(dashboard, page=page, query="Belarus potash", within="sentence")
    (verdict,) = near["rules"]  # type: ignore[misc]
    assert verdict["verdict"] == "no-match" and verdict["explain"]["matched"] is False
    assert verdict["explain"]["reason"] == "the terms occur, but not within one sentence"
    missing = await tried(dashboard, page=page, query="Belarus AND Lukashenko")
    (verdict,) = missing["rules"]  # type: ignore[misc]
    assert verdict["explain"]["missing"] == ["Lukashenko"]
    assert verdict["detail"] == "missing: Lukashenko"
    shown = await dashboard.client.post("/playground", data={
        "csrf": await form_token(dashboard.client, "/playground"), "page": page,
        "query": "Belarus potash", "within": "sentence"})  # fmt: skip
    assert "Why not: the terms occur, but not within one sentence" in shown.text


async def test_pasted_text_and_a_hostile_title_are_shown_as_text(dashboard: Dashboard) -> None:
    text = "<script>window.pwned=1</script> Belarus news\n\nNew sanctions on Belarus today."
    body = await tried(dashboard, page=text, query="belarus sanctions")
    title = body["article"]["title"]  # type: ignore[index]
    assert title == "<script>window.pwned=1</script> Belarus news"
    hostile = PAGE.format(title="&lt;img src=x onerror=alert(1)&gt;Belarus sanctions")
    token = await form_token(dashboard.client, "/playground")
    page = await dashboard.client.post("/playground", data={"csrf": token, "page": hostile})
    assert "&lt;img src=x onerror=alert(1)&gt;Belarus sanctions" in page.text
    assert "<img" not in page.text


async def test_a_bad_rule_or_an_empty_page_is_said_in_words(dashboard: Dashboard) -> None:
    token = await form_token(dashboard.client, "/playground")
    bad = await dashboard.client.post("/playground", data={"csrf": token, "page": "x\n\ny",
                                                            "query": "(belarus"})  # fmt: skip
    assert bad.status_code == 400 and "The rule does not parse" in bad.text and "^" in bad.text
    empty = await dashboard.client.post("/playground.json", data={"csrf": token})
    assert empty.status_code == 400
    assert empty.json()["error"] == "paste a page (its HTML or its text) or give its URL"


async def test_a_post_from_another_site_or_without_the_form_is_refused(
    dashboard: Dashboard,
) -> None:
    bare = await dashboard.client.post("/playground", data={"page": "x"})
    assert bare.status_code == 403 and "Reload the page" in bare.text
    token = await form_token(dashboard.client, "/playground")
    cross = await dashboard.client.post(
        "/playground", data={"csrf": token, "page": "x"},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )  # fmt: skip
    assert cross.status_code == 403 and "another site" in cross.text
    forged = await dashboard.client.post("/playground", data={"csrf": "0" * 64, "page": "x"})
    assert forged.status_code == 403
    script = await dashboard.client.post("/playground.json", data={"page": "Title\n\nBelarus"},
                                         headers={"X-Watchwire-Request": "1"})  # fmt: skip
    assert script.status_code == 200


async def test_a_url_is_fetched_only_on_a_configured_source_s_host(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    site = await http_server({"/news/1": html(PAGE.format(title="EU sanctions Belarus")),
                              "/robots.txt": status(404)})  # fmt: skip
    elsewhere = await http_server({"/secret": html("<p>intranet</p>")})

    async def hop(request: Request, response: Response) -> None:
        await response.send(302, b"", {"Location": elsewhere.url("/secret")})

    site.route("/away")(hop)
    sources = f'  - {{name: site, url: "{site.url("/feed.xml")}"}}'
    async with serve(tmp_path, sources=sources, seeded=False) as ep:
        body = await tried(ep, url=site.url("/news/1"), query="belarus sanctions")
        assert body["fetched"] == site.url("/news/1") and body["source"] == "site"
        assert body["rules"][0]["verdict"] == "match"  # type: ignore[index]
        token = await form_token(ep.client, "/playground")
        for url in (elsewhere.url("/secret"), site.url("/away"), "file:///etc/passwd"):
            refused = await ep.client.post("/playground.json", data={"csrf": token, "url": url})
            assert refused.status_code == 400, refused.text
            assert "not the host of a configured source" in refused.json()["error"]
    assert elsewhere.requests == []  # not even the redirect's target was asked


async def test_a_page_is_parsed_in_a_sandbox_and_one_over_its_bound_is_refused_in_words(
    tmp_path: Path,
) -> None:
    """The service hands the playground its workers: a page is extracted there, an empty one
    is said in words from there, and one that costs too much is refused, the service untouched."""
    hostile = "<!doctype html><html><body>" + "<b>" * 200_000 + "Belarus sanctions. " * 20
    bound = Limits(cpu=0.2, memory=400 << 20, wall=20)
    async with WorkerPool(0, limits=bound) as pool, serve(tmp_path, sandboxes=pool) as ep:
        body = await tried(ep, page=PAGE.format(title="EU sanctions Belarus"))
        assert body["article"]["title"] == "EU sanctions Belarus"  # type: ignore[index]
        assert pool.running  # it was parsed there
        token = await form_token(ep.client, "/playground")
        empty = await ep.client.post("/playground.json", data={
            "csrf": token, "page": "<html><body><nav>Home</nav></body></html>"})  # fmt: skip
        assert empty.status_code == 400
        assert empty.json()["error"].startswith("no article text was found in that page")
        refused = await ep.client.post("/playground.json", data={"csrf": token,
                                                                 "page": hostile})  # fmt: skip
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error.startswith("that page cannot be tried: parsing it "), error
        assert "more than" in error, error
        again = await tried(ep, page=PAGE.format(title="Still here"))
        assert again["article"]["title"] == "Still here"  # type: ignore[index]
