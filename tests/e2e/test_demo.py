"""``watchwire demo`` and its parts: the loopback news site and the webhook receiver.

The parts are checked over real HTTP on loopback (they are what the end-to-end test stands
on); the demo itself runs as the user runs it, as a command.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from watchwire.config import RuleConfig
from watchwire.demo import (
    DEMO_TERMS,
    NewsSite,
    SignatureError,
    WebhookReceiver,
    load_stories,
    new_secret,
    shipped_story_slugs,
    verify_signature,
)
from watchwire.discover import discover
from watchwire.models import Article, SourceKind
from watchwire.rules import compile_rules

SEED = "us-offers-belarus-grand-bargain"
METRO = "kyiv-metro-later-weekend-trains"


# --- the site ---------------------------------------------------------------------------------


async def test_site_serves_pages_with_charset_etag_304_and_head() -> None:
    """GET, HEAD, conditional GET and the error statuses, as a polite crawler meets them."""
    async with NewsSite(stories=load_stories()) as site, httpx.AsyncClient() as client:
        page = await client.get(site.story_url(SEED))
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "Belarus" in page.text and "<nav" in page.text and "<footer" in page.text
        etag = page.headers["etag"]

        again = await client.get(site.story_url(SEED), headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        weak = await client.get(site.story_url(SEED), headers={"If-None-Match": f'W/{etag}, "x"'})
        assert weak.status_code == 304

        head = await client.head(site.feed_url)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-type"] == "application/rss+xml; charset=utf-8"
        feed = await client.get(site.feed_url)
        assert head.headers["content-length"] == feed.headers["content-length"]
        assert feed.headers["content-encoding"] == "gzip"  # httpx accepts it; the site obliges
        plain = await client.get(site.feed_url, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.content == feed.content
        assert plain.headers["etag"] != feed.headers["etag"]  # one strong ETag per encoding

        robots = await client.get(site.url + "robots.txt")
        assert robots.headers["content-type"] == "text/plain; charset=utf-8"
        assert f"Sitemap: {site.sitemap_url}" in robots.text
        assert (await client.get(site.url + "news/no-such-story")).status_code == 404
        assert (await client.post(site.feed_url)).status_code == 405

        assert [r.status for r in site.hits(site.story_path(SEED))] == [200, 304, 304]
        assert site.hits(site.story_path(SEED))[1].conditional


async def test_site_publishes_and_edits_on_the_fly() -> None:
    """A published story is in the feed, sitemap and listing; an edit moves its dates."""
    (seed, fresh) = load_stories([SEED, "lytva-zaklykaie-posylyty-sanktsii-kalii"])
    async with NewsSite(stories=[seed]) as site, httpx.AsyncClient() as client:
        before = (await client.get(site.feed_url)).headers["etag"]
        site.publish(fresh.published())
        after = await client.get(site.feed_url, headers={"If-None-Match": before})
        assert after.status_code == 200 and site.story_url(fresh) in after.text
        assert site.story_url(fresh) in (await client.get(site.sitemap_url)).text
        assert site.story_url(fresh) not in (await client.get(site.listing_url)).text  # relative
        assert f'href="{site.story_path(fresh)}"' in (await client.get(site.listing_url)).text

        site.publish(site.story(SEED).edited(title="Edited title"))
        feed = (await client.get(site.feed_url)).text
        assert "Edited title" in feed and "<atom:updated>" in feed


async def test_site_documents_are_read_by_watchwire_discovery() -> None:
    """The feed, the news sitemap and the listing (heuristic) each yield every story."""
    stories = load_stories()
    async with NewsSite(stories=stories) as site, httpx.AsyncClient() as client:
        want = {site.story_url(s) for s in stories}
        for url, kind in ((site.feed_url, SourceKind.FEED), (site.sitemap_url, SourceKind.SITEMAP),
                          (site.listing_url, SourceKind.LISTING)):  # fmt: skip
            r = await client.get(url)
            given = kind if kind is SourceKind.LISTING else None  # HTML is a PAGE unless told
            found = discover(r.content, url=url, content_type=r.headers["content-type"], kind=given)
            assert found.kind is kind, url
            assert {link.url for link in found.links} == want, url
        feed = discover((await client.get(site.feed_url)).content, url=site.feed_url)
        dated = {link.url: link.published_at for link in feed.links}
        for s in stories:
            assert dated[site.story_url(s)] == s.published_at.replace(microsecond=0)


async def test_site_in_windows_1251_says_so_and_means_it() -> None:
    """A Ukrainian story served in windows-1251 decodes back to the same text."""
    (story,) = load_stories(["hrafiky-vidkliuchen-svitla-dvi-cherhy"])
    async with (
        NewsSite(stories=[story], language="uk", charset="windows-1251") as site,
        httpx.AsyncClient() as client,
    ):
        page = await client.get(site.story_url(story))
        assert page.headers["content-type"] == "text/html; charset=windows-1251"
        assert b'<meta charset="windows-1251">' in page.content
        assert story.title in page.content.decode("cp1251")
        sitemap = await client.get(site.sitemap_url)
        assert sitemap.content.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')


def test_chrome_only_story_would_match_if_its_chrome_were_read() -> None:
    """The control for the e2e test's chrome-only story: its "Read also" teaser matches."""
    (metro,) = load_stories([METRO])
    rules = compile_rules(
        [RuleConfig(name="r", query="@belarus AND @sanctions", within="paragraph")],  # type: ignore[arg-type]
        {k: tuple(v) for k, v in DEMO_TERMS.items()},
    )
    teaser = next(b for b in metro.body if b.startswith("read-also:"))
    prose = [b for b in metro.body if not b.startswith("read-also:")]
    as_read = Article(title=metro.title, lead=metro.lead, text="\n\n".join(prose))
    with_chrome = Article(title=metro.title, lead=metro.lead, text="\n\n".join([*prose, teaser]))
    assert rules.match(as_read) == []
    assert [m.rule for m in rules.match(with_chrome)] == ["r"]


def test_shipped_stories_cover_both_languages_and_the_seed() -> None:
    stories = load_stories()
    assert [s.slug for s in stories] == shipped_story_slugs()
    assert {s.language for s in stories} == {"en", "uk"}
    seed = next(s for s in stories if s.slug == SEED)
    assert "grand bargain" in seed.title and len(seed.body) > 15


# --- the receiver -----------------------------------------------------------------------------


async def test_receiver_accepts_reference_signatures_and_rejects_forgeries() -> None:
    """Signed by the reference library: accepted once; tampered, stale or unsigned: 401."""
    secret = new_secret()
    wh = Webhook(secret)
    body = json.dumps({"type": "watchwire.alert", "id": "a1"})
    now = datetime.now(UTC)

    def headers(msg_id: str, when: datetime, data: str = body) -> dict[str, str]:
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": wh.sign(msg_id, when, data),
            "content-type": "application/json",
        }

    async with WebhookReceiver(secret) as receiver, httpx.AsyncClient() as client:
        ok = await client.post(receiver.url, content=body, headers=headers("m1", now))
        repeat = await client.post(receiver.url, content=body, headers=headers("m1", now))
        tampered = await client.post(
            receiver.url, content=body.replace("a1", "a2"), headers=headers("m2", now)
        )
        stale = datetime.fromtimestamp(now.timestamp() - 3600, UTC)
        old = await client.post(receiver.url, content=body, headers=headers("m3", stale))
        unsigned = await client.post(receiver.url, content=body)
        wrong_path = await client.post(receiver.url + "x", content=body)
    assert [ok.status_code, repeat.status_code] == [204, 204]
    assert [tampered.status_code, old.status_code, unsigned.status_code] == [401, 401, 401]
    assert wrong_path.status_code == 404
    assert [h.id for h in receiver.received] == ["m1"]
    assert receiver.received[0].payload == {"type": "watchwire.alert", "id": "a1"}
    assert [h.id for h in receiver.duplicates] == ["m1"]
    assert len(receiver.rejected) == 3


def test_verify_signature_accepts_any_of_several_signatures() -> None:
    """Key rotation: the header may carry several space-separated signatures."""
    secret, other = new_secret(), new_secret()
    when = datetime.now(UTC)
    good = Webhook(secret).sign("m", when, "{}")
    bad = Webhook(other).sign("m", when, "{}")
    headers = {"webhook-id": "m", "webhook-timestamp": str(int(when.timestamp()))}
    assert verify_signature(secret, {**headers, "webhook-signature": f"{bad} {good}"}, b"{}")
    with pytest.raises(SignatureError):
        verify_signature(secret, {**headers, "webhook-signature": bad}, b"{}")


# --- the demo ---------------------------------------------------------------------------------


@pytest.mark.e2e
def test_watchwire_demo_shows_two_alerts_and_exits_cleanly() -> None:
    """`watchwire demo`: the seeded alert, the one published on the fly, a clean exit."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "watchwire", "demo"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    console = [line for line in out.splitlines() if line.startswith("   console  │ ")]
    assert len(console) == 2 and all("belarus-sanctions" in line for line in console), out
    assert out.count("✓ signature verified") == 2, out
    assert "stopped cleanly" in out and "2 verified webhook(s), 0 rejected" in out
    assert "Kyiv metro" in out  # listed among the stories read but rightly not alerted
    # The config it names is in a folder it removes: it says so, and what to do next.
    assert "removed at the end; `watchwire demo --keep` keeps it" in out
    assert "The demo's files were removed" in out and "Next steps" in out
    assert "watchwire discover URL" in out and "watchwire once --dry-run -c FILE" in out
    assert elapsed < 40, elapsed
