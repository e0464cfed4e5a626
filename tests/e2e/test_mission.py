"""The whole mission, as a user runs it: ``watchwire run`` against two news sites on loopback.

Two gzip-serving sites (one UTF-8 in English; one in Ukrainian, windows-1251 said only in
``<meta>``, as old sites do) are watched through an RSS feed (whose links carry ``utm_`` tags),
a listing page (the link heuristic) and a Google News sitemap. Stories are published over
time: matching and not, in both languages; copies of a matching story on the other site
(verbatim under another headline and byline, and lightly rewritten); an edit; backlog (old
stories, at the first poll and later); stories whose page chrome alone names the keywords.
The alerts must reach a signed webhook, an SMTP server and the console, exactly once per story
and channel. SIGTERM ends the service cleanly; a restart repeats nothing and still alerts on
what is new.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.e2e.conftest import Mailbox, ServiceProcess, cli_json, eventually
from watchwire.demo import DEMO_TERMS, NewsSite, Story, WebhookReceiver, load_stories

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(110)]

RULE = "belarus-sanctions"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TO, FROM = "analyst@example.org", "watchwire@example.org"
WAIT = 20.0
"""Seconds any one expected event may take (polls are every second)."""


def _config(tmp: Path, a: NewsSite, b: NewsSite, receiver: WebhookReceiver, box: Mailbox) -> Path:
    terms = "\n".join(
        f"  {name}: {json.dumps(spellings, ensure_ascii=False)}"
        for name, spellings in DEMO_TERMS.items()
    )
    path = tmp / "watchwire.yaml"
    path.write_text(
        f"""
storage: state/watchwire.db
crawl:
  interval: 1s
  timeout: 5s
  per_host_delay: 0s
  retries: 0
  backfill: 24h
sources:
  - name: wire-rss
    url: {a.feed_url}
  - name: wire-news
    url: {a.listing_url}
    kind: listing
  - name: courier-sitemap
    url: {b.sitemap_url}
channels:
  ops:
    type: webhook
    url: {receiver.url}
    secret: {SECRET}
    retry: {{first: 1s, max: 2s, give_up: 1m}}
  analysts:
    type: email
    to: [{TO}]
    from: {FROM}
    smtp: {{host: 127.0.0.1, port: {box.port}, security: none, timeout: 5s}}
    retry: {{first: 1s, max: 2s, give_up: 1m}}
  terminal:
    type: console
terms:
{terms}
rules:
  - name: {RULE}
    query: '@belarus AND @sanctions'
    within: paragraph
    fields: [title, lead, body]
    notify: [ops, analysts, terminal]
""",
        encoding="utf-8",
    )
    (tmp / "state").mkdir()
    return path


# --- the stories ------------------------------------------------------------------------------

NOW = datetime.now(UTC)
(SEED, METRO, GRAIN, LITHUANIA, BACKLOG_UK, OUTAGES) = load_stories(
    [
        "us-offers-belarus-grand-bargain",  # matches; on site A from the start
        "kyiv-metro-later-weekend-trains",  # keywords only in a "Read also" teaser and related
        "ukraine-grain-exports-danube-ports",  # no match
        "lytva-zaklykaie-posylyty-sanktsii-kalii",  # matches, in Ukrainian
        "yes-prodovzhyv-sanktsii-proty-bilorusi",  # matches, 3 days old
        "hrafiky-vidkliuchen-svitla-dvi-cherhy",  # no match, in Ukrainian
    ],
    now=NOW,
)
OLD_B = Story(
    slug="eu-adds-belarusian-potash-firms-to-sanctions-list",
    title="EU adds Belarusian potash firms to its sanctions list",
    language="en",
    lead="The European Union added three Belarusian potash producers to its sanctions list.",
    body=(
        "The EU said the sanctions target companies that finance the Belarus government and "
        "help Russia evade restrictions on fertiliser exports.",
        "The measures freeze the companies' assets in the EU and ban transactions with them.",
    ),
    published_at=NOW - timedelta(days=5),
    author="Courier staff",
    section="World",
)
SYNDICATED = replace(
    SEED,
    slug="washington-dangles-relief-for-minsk-in-prisoner-deal",
    title="Washington dangles relief for Minsk in a prisoner deal, NYT says",
    author="Baltic Courier staff",
    location="Vilnius",
    related=(),
)
REWRITE = replace(
    SEED,
    slug="us-offers-minsk-relief-for-prisoners-report",
    title="Report: US offers Minsk a deal on prisoners and potash",
    author="Newsdesk",
    body=(
        *(
            b.replace("UNN reports", "the Baltic Courier reports")
            for b in SEED.body
            if not b.startswith(("## ", "recall:"))
        ),
        "This story was first published by UNN.",
    ),
    related=(),
)
"""A light rewrite of the seed: a near-duplicate, not an exact copy."""
POLAND = Story(
    slug="polshcha-zaklykaie-do-novykh-sanktsii-proty-bilorusi",
    title="Польща закликає до нових санкцій проти Білорусі після інциденту на кордоні",
    language="uk",
    lead="Варшава вимагає від ЄС відповіді на провокації на польсько-білоруському кордоні.",
    body=(
        "Польський уряд запропонував запровадити нові санкції проти Білорусі через "
        "повітряні кулі з контрабандою, які залітають з білоруського боку.",
        "Міністр внутрішніх справ заявив, що прикордонники посилили охорону на ділянці "
        "біля Бялистока.",
    ),
    published_at=NOW,
    author="Ірина Шевчук",
    section="Світ",
)


def _published(story: Story) -> Story:
    return story.published(datetime.now(UTC))


# --- helpers ----------------------------------------------------------------------------------


def _verified(receiver: WebhookReceiver) -> list[dict[str, Any]]:
    """Every received webhook, verified again with the reference Standard Webhooks library."""
    wh = Webhook(SECRET)
    out = []
    for hook in receiver.received:
        payload = wh.verify(hook.body, dict(hook.headers))
        assert payload == hook.payload
        assert payload["id"] and hook.headers["content-type"].startswith("application/json")
        out.append(payload)
    return out


def _urls(payloads: list[dict[str, Any]]) -> list[str]:
    return [p["article"]["url"] for p in payloads]


CHROME = (
    "Read also", "Читайте також", "Recall", "Нагадаємо", "views", "переглядів",
    "Electricity outage", "Subscribe", "Підписуйтеся", "cookies", "Breaking", "Терміново",
    "Latest news", "Останні новини", "42.18", "Kyiv Wire", "Baltic Courier",
)  # fmt: skip
"""Words of the sites' page chrome: none may reach an alert."""


def _check_alert(payload: dict[str, Any], site: NewsSite, story: Story, sources: set[str]) -> None:
    """The generic webhook body of DESIGN.md, for ``story`` as published on ``site``."""
    article = payload["article"]
    for field in ("title", "lead", "snippet"):
        leaked = [c for c in CHROME if c in article[field]]
        assert not leaked, (field, leaked, article[field])
    assert payload["type"] == "watchwire.alert"
    assert payload["rule"] == RULE
    assert datetime.fromisoformat(payload["created_at"].replace("Z", "+00:00")) > NOW
    assert article["url"] == site.story_url(story)
    assert article["title"] == story.title
    assert article["source"] in sources
    assert article["language"] == story.language
    published = datetime.fromisoformat(article["published_at"].replace("Z", "+00:00"))
    assert abs(published - story.published_at) < timedelta(seconds=1)
    assert article["lead"] and article["lead"] in story.lead + " " + " ".join(story.body)
    snippet = article["snippet"]
    assert snippet.count("«") >= 2 and snippet.count("»") >= 2, snippet
    assert payload["matches"], payload
    for m in payload["matches"]:
        assert m["field"] in ("title", "lead", "body")
        assert m["end"] - m["start"] == len(m["text"])
    words = {m["text"].casefold() for m in payload["matches"]}
    assert any(w.startswith(("belarus", "білорус")) for w in words), words
    assert any(w.startswith(("sanction", "санкці")) for w in words), words
    assert payload["story"]["id"]
    assert site.story_url(story) in payload["story"]["copies"]


def _check_email(mail: EmailMessage, payload: dict[str, Any]) -> None:
    article = payload["article"]
    assert str(mail["Subject"]).startswith(f"[watchwire] {RULE}: ")
    assert mail["From"] == FROM
    assert mail["To"] == TO
    assert mail["Message-ID"].startswith("<watchwire.") and mail["Message-ID"].endswith(
        "@example.org>"
    )
    assert parsedate_to_datetime(mail["Date"]) > NOW - timedelta(minutes=1)
    assert mail.get_content_type() == "multipart/alternative"
    assert mail.defects == []
    parts = {part.get_content_type(): part for part in mail.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    text = parts["text/plain"].get_content()
    html = parts["text/html"].get_content()
    assert article["url"] in text and article["title"] in text
    assert "<mark" in html and article["url"] in html
    assert "<script" not in html.lower()


async def _all_polled_since(
    sites: tuple[NewsSite, NewsSite], since: float, w: ServiceProcess
) -> None:
    """Every source's document requested at or after ``since``.

    Each source's polls run one at a time, so a request for its document after a page was
    fetched means the poll that fetched the page is over: stored, matched, alerted (or not).
    """
    a, b = sites
    await eventually(
        lambda: bool(a.hits("/rss.xml", since=since))
        and bool(a.hits("/news/", since=since))
        and bool(b.hits("/sitemap.xml", since=since)),
        within=WAIT, what="a poll of every source", alive=w,
    )  # fmt: skip


def _served(site: NewsSite, *stories: Story, since: float = 0.0) -> Callable[[], bool]:
    return lambda: all(site.hits(site.story_path(s), since=since) for s in stories)


# --- the test ---------------------------------------------------------------------------------


async def test_watchwire_run_alerts_once_per_story_and_channel_across_restarts(
    tmp_path: Path,
    mailbox: Mailbox,
    watchwire_cli: Callable[[Path], ServiceProcess],
) -> None:
    """Publish over time; exactly the expected alerts arrive on every channel; none repeat."""
    async with (
        NewsSite("Kyiv Wire", stories=[SEED, METRO],
                 feed_link_query="utm_source=rss&utm_medium=feed") as a,
        NewsSite("Baltic Courier", stories=[OUTAGES, OLD_B], language="uk",
                 charset="windows-1251", header_charset=False) as b,
        WebhookReceiver(SECRET) as receiver,
    ):  # fmt: skip
        config = _config(tmp_path, a, b, receiver, mailbox)

        # 1. First run. The first poll is backfill: the fresh story alerts, the old one not.
        w = watchwire_cli(config)
        await eventually(lambda: len(receiver.received) >= 1 and len(mailbox.messages) >= 1,
                         within=WAIT, what="the first alert", alive=w)  # fmt: skip
        await eventually(_served(a, METRO), within=WAIT, what="the chrome-only page", alive=w)
        await eventually(_served(b, OUTAGES, OLD_B), within=WAIT, what="site B's pages", alive=w)
        await _all_polled_since((a, b), time.time(), w)

        # 2. News: a match in Ukrainian, a non-match whose chrome now names the keywords (the
        # ticker shows the new headline), two copies of the first story on site B (the same
        # body under another headline and byline; a light rewrite), and an old story put
        # online late.
        t2 = time.time()
        lithuania = _published(LITHUANIA)
        a.publish(lithuania)
        a.publish(_published(GRAIN))
        a.publish(BACKLOG_UK)
        b.publish(_published(SYNDICATED))
        b.publish(_published(REWRITE))
        await eventually(lambda: len(receiver.received) >= 2 and len(mailbox.messages) >= 2,
                         within=WAIT, what="the second alert", alive=w)  # fmt: skip
        await eventually(_served(a, GRAIN, BACKLOG_UK, since=t2), within=WAIT,
                         what="the new pages of site A", alive=w)  # fmt: skip
        await eventually(_served(b, SYNDICATED, REWRITE, since=t2), within=WAIT,
                         what="the syndicated copies", alive=w)  # fmt: skip
        await _all_polled_since((a, b), time.time(), w)

        # 3. An edit of the first story: fetched again, alerted never.
        t3 = time.time()
        edited = a.story(SEED.slug).edited(
            title=SEED.title + " (updated)",
            body=(
                SEED.body[0],
                "Update: the State Department declined to comment on the talks.",
                *SEED.body[1:],
            ),
        )
        a.publish(edited)
        await eventually(_served(a, SEED, since=t3), within=WAIT, what="the edited page", alive=w)
        await _all_polled_since((a, b), time.time(), w)

        # 4. SIGTERM: a clean exit, and the outbox holds exactly what was delivered.
        assert await w.terminate() == 0, w.tail()
        first_run = _verified(receiver)
        assert len(first_run) == 2, _urls(first_run)
        _check_alert(first_run[0], a, SEED, {"wire-rss", "wire-news"})
        _check_alert(first_run[1], a, lithuania, {"wire-rss", "wire-news"})
        outbox = cli_json(config, "alerts", "list")
        assert sorted((r["channel"], r["state"]) for r in outbox) == sorted(
            (ch, "delivered") for ch in ("ops", "analysts", "terminal") for _ in range(2)
        ), outbox
        assert {r["id"] for r in outbox if r["channel"] == "ops"} == {
            h.id for h in receiver.received
        }
        assert not receiver.rejected and not receiver.duplicates
        for site in (a, b):  # polite: robots.txt first, an honest User-Agent, conditional GETs
            assert site.requests[0].path == "/robots.txt", site.requests[:3]
            assert all(r.user_agent.startswith("watchwire/") for r in site.requests)
            assert any(r.status == 304 for r in site.requests)
        console = [line for line in w.stdout().splitlines() if RULE in line]
        assert len(console) == 2, w.stdout()
        assert SEED.title in console[0] and a.story_url(SEED) in console[0]

        # What was stored: the backlog and the copy too; the chrome-only stories match nothing.
        hits = {h["url"]: h for h in cli_json(config, "search", "--rule", RULE)}
        assert set(hits) == {
            a.story_url(SEED), a.story_url(LITHUANIA), a.story_url(BACKLOG_UK),
            b.story_url(SYNDICATED), b.story_url(REWRITE), b.story_url(OLD_B),
        }, sorted(hits)  # fmt: skip
        seed_story = hits[a.story_url(SEED)]["story_id"]
        assert hits[b.story_url(SYNDICATED)]["story_id"] == seed_story
        assert hits[b.story_url(REWRITE)]["story_id"] == seed_story
        for word, story, site in (
            ("metro", METRO, a),
            ("Danube", GRAIN, a),
            ("тривитимуть", OUTAGES, b),
            ("declined", SEED, a),
        ):
            stored = cli_json(config, "search", word)
            assert [h["url"] for h in stored] == [site.story_url(story)], (word, stored)

        # 5. Restart: nothing is sent again, and a new story still alerts.
        t5 = time.time()
        w2 = watchwire_cli(config)
        await _all_polled_since((a, b), time.time(), w2)
        poland = _published(POLAND)
        b.publish(poland)
        await eventually(lambda: len(receiver.received) >= 3 and len(mailbox.messages) >= 3,
                         within=WAIT, what="the alert after the restart", alive=w2)  # fmt: skip
        await _all_polled_since((a, b), time.time(), w2)
        assert await w2.terminate() == 0, w2.tail()

    payloads = _verified(receiver)
    assert len(payloads) == 3, _urls(payloads)
    assert payloads[:2] == first_run
    _check_alert(payloads[2], b, poland, {"courier-sitemap"})
    assert all(h.at >= t5 for h in receiver.received[2:])
    assert not receiver.rejected and not receiver.duplicates
    assert len({h.id for h in receiver.received}) == 3

    assert len(mailbox.messages) == 3
    assert len({m["Message-ID"] for m in mailbox.messages}) == 3
    by_url = {p["article"]["url"]: p for p in payloads}
    subjects = []
    for mail, envelope in zip(mailbox.messages, mailbox.envelopes, strict=True):
        assert envelope.rcpt_tos == [TO] and envelope.mail_from == FROM
        url = mail.get_body(("plain",)).get_content().splitlines()[1]  # type: ignore[union-attr]
        _check_email(mail, by_url[url])
        subjects.append(
            (str(mail["Subject"]), f"[watchwire] {RULE}: {by_url[url]['article']['title']}")
        )

    console = [line for line in w2.stdout().splitlines() if RULE in line]
    assert len(console) == 1 and POLAND.title in console[0], w2.stdout()
    outbox = cli_json(config, "alerts", "list")
    assert len(outbox) == 9 and {r["state"] for r in outbox} == {"delivered"}, outbox

    # Last, so that it hides nothing else: a subject must read back as it was written.
    for got, want in subjects:
        assert got == want
