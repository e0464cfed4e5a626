"""``watchwire demo``: a news site, a webhook receiver and the real service, on this machine.

Nothing leaves 127.0.0.1 and nothing is configured by hand: the demo writes a config into a
temporary folder, runs ``watchwire.service.run_service`` on it in-process, narrates what
happens, publishes one more story on the fly, waits for its alert, and stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import shutil
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from watchwire.config import load_config
from watchwire.demo.receiver import ReceivedWebhook, WebhookReceiver
from watchwire.demo.site import NewsSite
from watchwire.demo.stories import load_stories
from watchwire.timeutil import utcnow

__all__ = ["DEMO_RULE", "DEMO_TERMS", "demo_config", "run_demo"]

INTERVAL = timedelta(seconds=3)
FIRST_ALERT_TIMEOUT = 20.0
NEXT_ALERT_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0

DEMO_TERMS: dict[str, list[str]] = {
    "belarus": ["Belarus", "Belarusian*", "Беларус*", "Білорус*", "Białoru*"],
    "sanctions": ["sanction*", "санкці*", "санкци*", "sankcj*"],
}
DEMO_RULE = "belarus-sanctions"

_SEED = "us-offers-belarus-grand-bargain"
_ON_SITE = (
    _SEED,
    "hrafiky-vidkliuchen-svitla-dvi-cherhy",
    "kyiv-metro-later-weekend-trains",
    "ukraine-grain-exports-danube-ports",
    "yes-prodovzhyv-sanktsii-proty-bilorusi",
)
_ON_THE_FLY = "lytva-zaklykaie-posylyty-sanktsii-kalii"
_WHY_NOT = {
    "kyiv-metro-later-weekend-trains": (
        "only its page chrome names Belarus and sanctions (“Read also”, related, ticker)"
    ),
    "hrafiky-vidkliuchen-svitla-dvi-cherhy": (
        "only its chrome names Білорусь and санкції (a “Читайте також” teaser)"
    ),
    "yes-prodovzhyv-sanktsii-proty-bilorusi": (
        "it matches, but it is 3 days old: backlog is stored and searchable, never alerted"
    ),
}


def demo_config(
    *,
    site: NewsSite,
    receiver: WebhookReceiver,
    interval: timedelta = INTERVAL,
    storage: str = "watchwire.db",
) -> str:
    """The YAML text of the demo's config (one site, console + signed webhook, one rule)."""

    def q(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML scalar

    seconds = f"{max(int(interval.total_seconds()), 1)}s"
    terms = "\n".join(
        f"  {name}: [{', '.join(q(s) for s in spellings)}]"
        for name, spellings in DEMO_TERMS.items()
    )
    return f"""# Written by `watchwire demo`: a local news site, a console and a signed webhook.
storage: {q(storage)}

crawl:
  interval: {seconds}
  timeout: 5s
  per_host_delay: 0s          # it is our own site on loopback: no need to be gentle
  backfill: 24h               # the first poll stores older stories without alerting

sources:
  - name: kyiv-wire-rss
    url: {q(site.feed_url)}
  - name: kyiv-wire-sitemap
    url: {q(site.sitemap_url)}
    kind: sitemap
  - name: kyiv-wire-news
    url: {q(site.listing_url)}
    kind: listing
    links: "ul.news-list h2 a"

channels:
  terminal:
    type: console
  receiver:
    type: webhook
    url: {q(receiver.url)}
    secret: {q(receiver.secret)}
    format: json
    retry: {{first: 1s, max: 5s, give_up: 1m}}

terms:
{terms}

rules:
  - name: {DEMO_RULE}
    query: '@belarus AND @sanctions'
    within: paragraph
    fields: [title, lead, body]
    notify: [terminal, receiver]
"""


# --- narration --------------------------------------------------------------------------------


class _Prefixed(io.TextIOBase):
    """A text stream that writes to ``out`` with ``prefix`` at the start of every line."""

    def __init__(self, out: TextIO, prefix: str) -> None:
        self._out = out
        self._prefix = prefix
        self._at_line_start = True
        self.lines = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        for piece in text.splitlines(keepends=True):
            if self._at_line_start:
                self._out.write(self._prefix)
            self._out.write(piece)
            self._at_line_start = piece.endswith("\n")
            self.lines += self._at_line_start
        return len(text)

    def flush(self) -> None:
        self._out.flush()


def _ago(when: datetime, now: datetime) -> str:
    seconds = int((now - when).total_seconds())
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def _short(text: str, width: int = 72) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


class _Narrator:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.step = 0

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def heading(self, text: str) -> None:
        self.step += 1
        self.say(f"\n{self.step}. {text}")

    def webhook(self, hook: ReceivedWebhook) -> None:
        p: dict[str, Any] = hook.payload
        article = p.get("article") or {}
        self.say(f"   webhook  │ ✓ signature verified · webhook-id {hook.id}")
        self.say(
            f"            │ {p.get('type')} · rule {p.get('rule')} · source "
            f"{article.get('source')} · language {article.get('language')}"
        )
        self.say(f"            │ title    {_short(str(article.get('title', '')), 66)}")
        self.say(f"            │ snippet  {_short(str(article.get('snippet', '')), 66)}")


@contextlib.contextmanager
def _quiet_service_logs() -> Iterator[None]:
    """The narration replaces the service's info logs; warnings and errors still show."""
    logger = logging.getLogger("watchwire")
    before = logger.level
    if logger.getEffectiveLevel() > logging.DEBUG:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(before)


@contextlib.contextmanager
def _lenient(stream: TextIO) -> Iterator[None]:
    """On a terminal that cannot show Cyrillic or “quotes”, show ``?`` rather than crash."""
    if not isinstance(stream, io.TextIOWrapper) or stream.errors != "strict":
        yield
        return
    stream.reconfigure(errors="replace")
    try:
        yield
    finally:
        stream.reconfigure(errors="strict")


# --- the demo ---------------------------------------------------------------------------------


async def _until_alerted(
    receiver: WebhookReceiver, url: str, service: asyncio.Task[None], seconds: float
) -> bool:
    """Wait for the alert about ``url``; False if the time runs out or the service ended."""
    waiter = asyncio.ensure_future(receiver.wait_for_article(url))
    try:
        await asyncio.wait([waiter, service], timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
    return waiter.done() and not waiter.cancelled() and waiter.exception() is None


async def run_demo(*, keep: bool = False, out: TextIO | None = None) -> int:
    """Run the demo, narrating on ``out`` (standard output). 0 if every expected alert came."""
    stream = out or sys.stdout
    folder = Path(tempfile.mkdtemp(prefix="watchwire-demo-"))
    try:
        with _quiet_service_logs(), _lenient(stream):
            ok = await _demo(_Narrator(stream), folder)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    if not ok:
        stream.write("\nRun `watchwire demo --keep --log-level debug` to look closer.\n")
    stream.write(_next_steps(folder, keep=keep))
    return 0 if ok else 1


def _next_steps(folder: Path, *, keep: bool) -> str:
    config = folder / "watchwire.yaml"
    if keep:
        head = (
            f"\nThe demo's config and store are kept in {folder} (its site is gone). Try:\n"
            f"  watchwire search --rule {DEMO_RULE} -c {config}\n"
            f"  watchwire alerts list -c {config}\n"
            f"  watchwire alerts show ID -c {config}     (an id from the list)\n"
        )
    else:
        head = (
            "\nThe demo's files were removed (`watchwire demo --keep` keeps its config and "
            "store to try commands on).\n"
        )
    return head + (
        "Next steps, with a config of your own (the commented example is "
        "config/watchwire.yaml in watchwire's source):\n"
        "  watchwire discover URL              what a site's feed or page lists, before adding it\n"
        "  watchwire validate -c FILE          check the config, see what it would do\n"
        "  watchwire notify-test CHANNEL -c FILE   send a test alert through a channel\n"
        "  watchwire once --dry-run -c FILE    what would alert now, storing and sending nothing\n"
        "  watchwire run -c FILE               the service (or `watchwire once` from cron)\n"
    )


async def _demo(say: _Narrator, folder: Path) -> bool:
    from watchwire.service import run_service  # the service pulls in every stage: load late

    now = utcnow()
    stories = load_stories(_ON_SITE, now=now)
    say.say("watchwire demo: a news site, a webhook receiver and watchwire, all on 127.0.0.1.")
    async with (
        NewsSite("Kyiv Wire", stories=stories) as site,
        WebhookReceiver() as receiver,
    ):
        say.heading(f"A news site, “{site.name}”, is up at {site.url} with these stories:")
        for s in site.stories:
            say.say(f"     {_ago(s.published_at, now):>11}  [{s.language}] {_short(s.title, 64)}")
        say.say(f"   feed {site.feed_url}")
        say.say(f"   sitemap {site.sitemap_url} · listing {site.listing_url}")
        say.heading(f"A webhook receiver listens at {receiver.url}")
        say.say("   It accepts only requests signed per Standard Webhooks (HMAC-SHA256).")

        config_path = folder / "watchwire.yaml"
        config_path.write_text(demo_config(site=site, receiver=receiver), encoding="utf-8")
        config = load_config(config_path)
        say.heading(f"Config written to {config_path}")
        say.say("   (a temporary folder, removed at the end; `watchwire demo --keep` keeps it)")
        say.say(f"   rule {DEMO_RULE}: @belarus AND @sanctions, both within one paragraph")
        for name, spellings in DEMO_TERMS.items():
            say.say(f"     @{name} = {', '.join(spellings)}")
        say.say(
            "   sources: the feed, the sitemap and the listing, each polled every "
            f"{INTERVAL.seconds}s"
        )
        say.say("   channels: terminal (console) and receiver (signed webhook)")

        say.heading("Starting watchwire. A new source's first poll is its backfill: stories")
        say.say("   younger than 24 h alert, older ones are stored without alerting.")
        receiver.subscribe(say.webhook)
        stop, reload = asyncio.Event(), asyncio.Event()
        console = _Prefixed(say.out, "   console  │ ")
        with contextlib.redirect_stdout(console):
            service = asyncio.create_task(run_service(config, stop=stop, reload=reload))
            try:
                ok = await _scenario(say, site, receiver, service)
            finally:
                stop.set()
                ok = await _stop(say, service) and ok
        _summary(say, site, receiver, console.lines)
        return ok


async def _scenario(
    say: _Narrator, site: NewsSite, receiver: WebhookReceiver, service: asyncio.Task[None]
) -> bool:
    seed = site.story(_SEED)
    if not await _until_alerted(receiver, site.story_url(seed), service, FIRST_ALERT_TIMEOUT):
        say.say(f"   ✗ no alert for “{_short(seed.title, 40)}” within {FIRST_ALERT_TIMEOUT:g}s")
        return False
    # Publish once every source had its first (backfill) poll, so the new story is met by a
    # regular poll, as it would be in real life.
    sources = (site.feed_url, site.sitemap_url, site.listing_url)
    paths = [url.removeprefix(site.url.rstrip("/")) for url in sources]
    try:
        async with asyncio.timeout(FIRST_ALERT_TIMEOUT):
            for path in paths:
                await site.wait_for_hits(path)
    except TimeoutError:
        say.say(f"   ✗ not every source was polled within {FIRST_ALERT_TIMEOUT:g}s")
        return False
    (fresh,) = load_stories([_ON_THE_FLY])
    say.heading("Publishing a new story on the fly:")
    say.say(f"     [{fresh.language}] {fresh.title}")
    site.publish(fresh.published())
    say.say(
        "   It is in the feed, the sitemap and the listing now; the next poll is due within "
        f"{INTERVAL.seconds}s."
    )
    if not await _until_alerted(receiver, site.story_url(fresh), service, NEXT_ALERT_TIMEOUT):
        say.say(f"   ✗ no alert for it within {NEXT_ALERT_TIMEOUT:g}s")
        return False
    expected = {site.story_url(seed), site.story_url(fresh)}
    for hook in receiver.received:
        url = str((hook.payload.get("article") or {}).get("url"))
        if url not in expected:
            say.say(f"   ✗ an alert that should not have come: {url}")
            return False
    return True


async def _stop(say: _Narrator, service: asyncio.Task[None]) -> bool:
    say.heading("Stopping watchwire…")
    try:
        async with asyncio.timeout(STOP_TIMEOUT):
            await service
    except TimeoutError:
        say.say(f"   ✗ it did not stop within {STOP_TIMEOUT:g}s")
        return False
    except Exception as exc:
        say.say(f"   ✗ the service failed: {type(exc).__name__}: {exc}")
        return False
    say.say("   stopped cleanly.")
    return True


def _summary(say: _Narrator, site: NewsSite, receiver: WebhookReceiver, console: int) -> None:
    alerted = {str((h.payload.get("article") or {}).get("url")) for h in receiver.received}
    say.heading("What happened:")
    say.say(
        f"   {console} alert line(s) on the console; {len(receiver.received)} verified "
        f"webhook(s), {len(receiver.rejected)} rejected, {len(receiver.duplicates)} repeated."
    )
    fetched = [s for s in site.stories if site.hits(site.story_path(s))]
    quiet = [s for s in fetched if site.story_url(s) not in alerted]
    if quiet:
        say.say("   Read, and rightly not alerted:")
        for s in quiet:
            why = _WHY_NOT.get(s.slug, "it does not match the rule")
            say.say(f"     [{s.language}] {_short(s.title, 60)}")
            say.say(f"          {why}")
    unchanged = sum(1 for r in site.requests if r.status == 304)
    say.say(
        f"   The site answered {len(site.requests)} requests"
        + (f", {unchanged} of them “304 Not Modified” (ETags)." if unchanged else ".")
    )
