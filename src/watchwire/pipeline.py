"""One poll of one source: fetch → discover → fetch → extract → dedupe → store → rules → outbox.

The stages are pure functions and small async resources; this module only wires them in order
and decides the policies between them: what is new, what is backlog, how a failing source
backs off. Every failure is logged against its source and the poll goes on.

Every document is parsed where its cost is bounded (``watchwire.budget``, ``watchwire.workers``):
on the event loop when it is small enough, in a sandbox process otherwise. A feed, sitemap or
listing over its sandbox's bound fails its poll; an article page over it is tried once more in
a new sandbox, then given up.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial

from watchwire.analyze import Analysis, analyze_page
from watchwire.backoff import exponential
from watchwire.budget import NeedsSandbox, fits_inline
from watchwire.config import CrawlSettings, SourceConfig
from watchwire.dedupe import canonicalize_url
from watchwire.discover import detect_kind, discover, feed_fingerprint
from watchwire.exceptions import WatchwireError
from watchwire.fetch import Fetcher
from watchwire.health import HealthKeeper, facts_of
from watchwire.inflight import ElsewhereWaits, PageClaims
from watchwire.logs import redact_url
from watchwire.models import (
    Article,
    Discovery,
    FetchOutcome,
    FetchResult,
    Link,
    Match,
    SourceKind,
)
from watchwire.observe import NullObserver, Observer
from watchwire.payloads import render_alert
from watchwire.snapshot import Snapshot
from watchwire.store import AlertIntent, NewArticle, PageClaim, PollStore
from watchwire.timeutil import utcnow
from watchwire.workers import CannotStart, OverBound, WorkerPool

__all__ = ["PollReport", "Poller", "backoff_delay"]

log = logging.getLogger(__name__)

_MAX_CHILD_SITEMAPS = 3
"""Child sitemaps read per poll, newest first: news sitemaps put what is new up front."""
_ARTICLE_CONCURRENCY = 8
"""Article fetches in flight per poll; the fetcher's per-host slots bound them further."""
_MAX_ARTICLES_IN_FLIGHT = 64
"""Articles being fetched and processed at once, all sources together."""
PAGE_LEASE = timedelta(seconds=30)
"""A page claimed in the store for this worker's fetch (renewed with the worker's leases)."""
ELSEWHERE_WAIT = 120.0
"""Seconds a poll waits for a page another worker is fetching before leaving it for later."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PollReport:
    source: str
    ok: bool
    skipped: bool = False
    discovered: int = 0
    new: int = 0
    stored: int = 0
    alerts: int = 0
    failed: int = 0
    retry_later: int = 0
    """Articles not stored for now (a page that failed for now, a store that refused the
    article): the next poll looks for them again."""
    given_up: int = 0
    """Articles given up on purpose (no article at the URL; a page whose analysis went over its
    sandbox's bound twice): remembered in the store, never fetched again."""
    waiting: int = 0
    """New links past ``max_articles_per_poll``: the next poll takes them."""
    error: str | None = None
    read: bool = False
    """The source's document was read (not unchanged)."""


_Seen = tuple[str, FetchResult, str]
"""A document read this poll: its URL, the fetch, its body hash."""


class _RetryLater(Exception):
    """An article page failed for now (timeout, 5xx): not stored, so not seen."""


class _StoredElsewhere(Exception):
    """Another worker fetched and stored the page meanwhile: not new to this poll."""


class _GivenUp(Exception):
    """An article page whose analysis went over its bound on both tries: given up, with why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Page:
    """An article page fetched and analysed: what a leading poll shares with its followers."""

    url: str
    """Where the page was read (after redirects), or the URL asked for when the fetch failed."""
    analysis: Analysis | None
    """None: no article there."""
    reason: str = ""
    """Why there is no article (``analysis`` None): the fetch's error, or nothing extracted."""


def backoff_delay(settings: CrawlSettings, failures: int) -> timedelta:
    """How long a source that failed ``failures`` times in a row waits before its next poll:
    its interval doubled per failure after the first, up to ``max_backoff``."""
    if failures <= 0:
        return timedelta(0)
    interval, ceiling = settings.interval.total_seconds(), settings.max_backoff.total_seconds()
    return timedelta(seconds=exponential(interval, failures, ceiling=ceiling))


class Poller:
    """Polls sources into the store. Holds no state between polls but what the store has, and
    the pages other polls are fetching right now (``inflight``)."""

    def __init__(
        self,
        snapshot: Snapshot,
        *,
        store: PollStore,
        fetcher: Fetcher,
        workers: WorkerPool,
        observer: Observer | None = None,
    ) -> None:
        self._snapshot = snapshot
        self._store = store
        self._fetcher = fetcher
        self._workers = workers
        self._observer: Observer = observer or NullObserver()
        self.health = HealthKeeper(store)
        self._now = utcnow
        # Across all polls: a first crawl of many sources must not hold thousands of pages
        # (and their parsed trees) in memory at once.
        self._in_flight = asyncio.Semaphore(_MAX_ARTICLES_IN_FLIGHT)
        self._pages: PageClaims[_Page] = PageClaims()
        """Pages being fetched by any poll: one fetch per article however many feeds list it."""
        self._elsewhere = ElsewhereWaits(store)
        """Pages other workers are fetching (claimed in the store), waited for together."""
        self.articles_handled = 0
        """Article pages processed so far, stored or not: how busy this poller has been."""

    def reconfigure(self, snapshot: Snapshot) -> None:
        """Polls that start from now on use ``snapshot``; running ones finish on theirs."""
        self._snapshot = snapshot

    # --- one source ---------------------------------------------------------------------------

    async def poll(self, source: SourceConfig, *, force: bool = False) -> PollReport:
        """Poll ``source`` once. ``force``: a one-off poll (``watchwire once``), which ignores
        the source's back-off and, when it fails, promises no retry: nothing will make one."""
        started = time.perf_counter()
        report = await self._poll(source, force=force)
        if report.skipped:
            outcome = "skipped"
        elif not report.ok:
            outcome = "failed"
        else:
            outcome = "ok" if report.read else "unchanged"
        self._observer.polled(outcome, time.perf_counter() - started)
        return report

    async def _poll(self, source: SourceConfig, *, force: bool) -> PollReport:
        snap = self._snapshot
        settings = snap.config.settings_for(source)
        state = await self._store.source_state(source.name)
        now = self._now()
        if not force and state and state.next_poll_at and state.next_poll_at > now:
            log.debug("backing off until %s", state.next_poll_at, extra={"source": source.name})
            return PollReport(source=source.name, ok=False, skipped=True)
        failures = state.consecutive_failures if state else 0

        # Validators of documents whose links were read are saved only once every new article
        # was stored or definitely lost: an article whose page failed for now must be found
        # again next poll, and a 304 or an unchanged body would hide it.
        seen: list[_Seen] = []
        main: list[FetchResult] = []  # the source document's own fetch: its health's facts
        doc = await self._fetch_document(source, source.url, settings, seen, main)
        if doc is None:  # not modified, or the same bytes as last time
            await self._succeeded(snap, source, main, failures)
            return PollReport(source=source.name, ok=True)
        if isinstance(doc, FetchResult):
            error = doc.error or "fetch failed"
            return await self._fail(snap, source, settings, failures, error, main,
                                    scheduled=not force)  # fmt: skip

        discovery = doc
        links = list(discovery.links)
        if discovery.feeds and (discovery.kind is SourceKind.PAGE or not links):
            # A home page, or a feed URL that now serves HTML (the feed moved): follow the
            # feed the page announces.
            links = await self._follow(source, settings, discovery.feeds[:1], seen) or links
        if discovery.sitemaps:
            children = discovery.sitemaps[:_MAX_CHILD_SITEMAPS]
            links += await self._follow(source, settings, children, seen)
        if discovery.error and not links:
            return await self._fail(
                snap, source, settings, failures, discovery.error, main, scheduled=not force
            )

        report = await self._ingest(snap, source, settings, links)
        # Seen only when everything it listed is stored or given up on purpose: an article
        # that failed to save, or waits past the per-poll cap, is looked for next poll.
        if not report.retry_later and not report.waiting:
            for url, result, body_hash in seen:
                await self._store.save_validators(
                    url, result.validators, body_hash=body_hash, now=self._now()
                )
        await self._succeeded(snap, source, main, failures, kind=str(discovery.kind),
                              new=report.stored)  # fmt: skip
        self._observer.articles(
            discovered=report.discovered, new=report.new, stored=report.stored,
            given_up=report.given_up,
        )  # fmt: skip
        if report.new:
            log.info(
                "%d new of %d discovered, %d stored, %d alert(s)%s%s%s",
                report.new, report.discovered, report.stored, report.alerts,
                f", {report.retry_later} to retry" if report.retry_later else "",
                f", {report.given_up} given up" if report.given_up else "",
                f", {report.waiting} waiting for the next poll" if report.waiting else "",
                extra={"source": source.name},
            )  # fmt: skip
        return replace(report, read=True)

    async def _succeeded(
        self, snap: Snapshot, source: SourceConfig, main: list[FetchResult], failures: int,
        *, kind: str | None = None, new: int = 0,
    ) -> None:  # fmt: skip
        now = self._now()
        stored = await self._store.record_poll(
            source.name, url=source.url, now=now, ok=True, kind=kind, new_articles=new
        )
        await self.health.after_poll(
            snap.config, source, stored, facts_of(main[0] if main else None), now=now
        )
        if failures:
            log.info("recovered after %d failed poll(s)", failures, extra={"source": source.name})

    async def _fetch_document(
        self, source: SourceConfig, url: str, settings: CrawlSettings, seen: list[_Seen],
        main: list[FetchResult] | None = None,
    ) -> Discovery | FetchResult | None:  # fmt: skip
        """Fetch and parse a feed/sitemap/listing: None when unchanged, the result on error.

        A parsed document is appended to ``seen``: its validators are the caller's to save.
        The fetch itself is appended to ``main``, when given.
        """
        cached = await self._store.validators(url)
        result = await self._fetcher.fetch(
            url, settings=settings, validators=cached.validators if cached else None, purpose="feed"
        )
        self._observer.fetched("feed", str(result.outcome), result.elapsed)
        if main is not None:
            main.append(result)
        await self._store.record_fetch(source.name, result, now=self._now())
        if result.outcome is FetchOutcome.NOT_MODIFIED:
            return None
        if not result.ok:
            return result
        body_hash = feed_fingerprint(result.content)
        if cached is not None and cached.body_hash == body_hash:
            # Many sites ignore conditional GET: same bytes, nothing to parse.
            await self._store.save_validators(
                url, result.validators, body_hash=body_hash, now=self._now()
            )
            return None
        seen.append((url, result, body_hash))
        kind = SourceKind(source.kind) if source.kind and url == source.url else None
        parse = partial(
            discover,
            result.content,
            url=result.final_url,
            content_type=result.content_type,
            charset=result.charset,
            kind=kind,
            links_selector=source.links if url == source.url else None,
        )
        try:
            return parse(inline=True)
        except NeedsSandbox:
            pass
        extra = {"source": source.name}
        log.debug("parsing %d bytes in a sandbox", len(result.content), extra=extra)
        try:
            return await self._workers.isolated(parse, extra=extra)
        except (OverBound, CannotStart) as exc:
            # Over its bound: the document's fault. No sandbox: the machine's, for now.
            error = (
                f"the document is refused: parsing it {exc.reason}"
                if isinstance(exc, OverBound)
                else f"cannot read it now: {exc.reason}; the next poll tries again"
            )
            return Discovery(
                kind=kind or detect_kind(result.content, result.content_type) or SourceKind.PAGE,
                error=error,
            )

    async def _follow(
        self, source: SourceConfig, settings: CrawlSettings, urls: Sequence[str],
        seen: list[_Seen],
    ) -> list[Link]:  # fmt: skip
        """Links from autodiscovered feeds or child sitemaps (one level deep)."""
        links: list[Link] = []
        for url in urls:
            doc = await self._fetch_document(source, url, settings, seen)
            if isinstance(doc, Discovery):
                links += doc.links
            elif isinstance(doc, FetchResult):
                log.warning(
                    "cannot read %s: %s", redact_url(url), doc.error, extra={"source": source.name}
                )
        return links

    async def _fail(
        self,
        snap: Snapshot,
        source: SourceConfig,
        settings: CrawlSettings,
        failures: int,
        error: str,
        main: list[FetchResult],
        *,
        scheduled: bool,
    ) -> PollReport:
        now = self._now()
        next_poll_at = now + backoff_delay(settings, failures + 1) if failures >= 1 else None
        stored = await self._store.record_poll(
            source.name, url=source.url, now=now, ok=False, error=error, next_poll_at=next_poll_at
        )
        facts = facts_of(main[0] if main else None, error=error)
        await self.health.after_poll(snap.config, source, stored, facts, now=now)
        # Say it once when a source goes bad, not on every poll while it stays bad.
        level = logging.WARNING if failures == 0 else logging.DEBUG
        if scheduled:
            retry = _next_tick(now, settings.interval, next_poll_at)
            at = retry.astimezone().strftime("%H:%M")
            log.log(level, "poll failed: %s; will retry at %s", error, at,
                    extra={"source": source.name})  # fmt: skip
        else:
            log.log(level, "poll failed: %s", error, extra={"source": source.name})
        return PollReport(source=source.name, ok=False, error=error)

    # --- articles -----------------------------------------------------------------------------

    async def _ingest(
        self, snap: Snapshot, source: SourceConfig, settings: CrawlSettings, links: Sequence[Link]
    ) -> PollReport:
        extra = snap.config.dedupe.tracking_params
        by_url: dict[str, Link] = {}
        for link in links:
            try:
                by_url.setdefault(canonicalize_url(link.url, extra_params=extra), link)
            except ValueError:
                log.debug("bad link %r", link.url, extra={"source": source.name})
        known = await self._store.known_urls(list(by_url))
        todo = [
            (url, link)
            for url, link in by_url.items()
            if url not in known or _updated_since(link, known[url])
        ]
        todo.sort(key=lambda p: _when(p[1]), reverse=True)  # newest first, undated before all
        waiting = max(0, len(todo) - settings.max_articles_per_poll)
        todo = todo[: settings.max_articles_per_poll]
        # Claimed at once, with no await before: another poll that lists one of these pages
        # now follows this one's fetch, and this one follows another's. Then the pages this
        # poll leads are claimed in the store, for one fetch across every worker.
        claims = {url: self._pages.claim(url, unseen=url not in known) for url, _ in todo}
        shared = await self._claim_shared([url for url, c in claims.items() if c.role == "lead"])
        stored = alerts = retry_later = given_up = skipped = 0
        gate = asyncio.Semaphore(_ARTICLE_CONCURRENCY)

        async def give_up(url: str, link: Link, reason: str) -> None:
            nonlocal retry_later, given_up
            try:
                await self._store.give_up(url, source=source.name, reason=reason, now=self._now())
            except Exception as exc:
                log.warning("cannot record %s as given up: %s", redact_url(link.url), exc,
                            extra={"source": source.name})  # fmt: skip
                retry_later += 1
                return
            given_up += 1

        async def one(url: str, link: Link) -> None:
            nonlocal stored, alerts, retry_later, skipped
            claim = claims[url]
            if claim.role == "skip":
                skipped += 1  # another poll stored it a moment ago
                return
            leader = claim.role == "lead"
            try:
                try:
                    if not leader:
                        assert claim.result is not None
                        page = await asyncio.shield(claim.result)
                    elif url in shared.elsewhere or (url in shared.stored and url not in known):
                        page = await self._follow_elsewhere(url, waited=url in shared.elsewhere)
                    else:
                        page = await self._lead(source, settings, url, link, gate)
                except _StoredElsewhere:
                    skipped += 1
                    return
                except _RetryLater:
                    retry_later += 1
                    return
                except _GivenUp as exc:  # over its bound on both tries: never again
                    await give_up(url, link, str(exc))
                    return
                except Exception:
                    retry_later += 1  # the leader logged it; a bug must not lose the article
                    return
                if page.analysis is None:
                    if leader:
                        self._pages.finish(url)
                    await give_up(url, link, page.reason or "no article")
                    return
                try:
                    n = await self._save(snap, source, settings, url, page)
                except Exception as exc:
                    # Storing failed (disk full, database locked) or a bug: never a reason to
                    # lose the article. Not seen, so the next poll looks for it again.
                    retry_later += 1
                    if isinstance(exc, WatchwireError):
                        log.warning("cannot store %s: %s", redact_url(link.url), exc,
                                    extra={"source": source.name})  # fmt: skip
                    else:
                        log.exception("cannot store %s", redact_url(link.url),
                                      extra={"source": source.name})  # fmt: skip
                    if leader:
                        self._pages.fail(url, _RetryLater())  # not stored: a later poll tries
                    return
                if leader:
                    self._pages.finish(url)
                stored += 1
                alerts += n
            finally:
                if leader and url in shared.mine:
                    await self._release_page(url)

        async with asyncio.TaskGroup() as tg:
            for url, link in todo:
                tg.create_task(one(url, link))
        return PollReport(
            source=source.name, ok=True, discovered=len(by_url), new=len(todo) - skipped,
            stored=stored, alerts=alerts, failed=retry_later + given_up,
            retry_later=retry_later, given_up=given_up, waiting=waiting,
        )  # fmt: skip

    async def _claim_shared(self, urls: list[str]) -> PageClaim:
        """Claim in the store the pages this poll leads; on failure, let their followers go."""
        try:
            return await self._store.claim_pages(urls, now=self._now(), lease=PAGE_LEASE)
        except BaseException:
            for url in urls:
                self._pages.fail(url, _RetryLater())
            raise

    async def _release_page(self, url: str) -> None:
        try:
            await self._store.release_pages([url])
        except Exception as exc:  # its lease runs out instead
            log.warning("could not release the claim on %s: %s", redact_url(url), exc)

    async def _follow_elsewhere(self, url: str, *, waited: bool) -> _Page:
        """A page another worker is fetching (or stored a moment ago): wait for it to be done,
        then skip it if stored, else leave it to a later poll. Never fetched here now."""
        try:
            if waited:
                if not await self._elsewhere.wait(url, within=ELSEWHERE_WAIT):
                    raise _RetryLater
                if not await self._store.known_urls([url]):
                    raise _RetryLater  # it failed there (for now): a later poll tries again
        except BaseException as exc:
            self._pages.fail(url, exc if isinstance(exc, Exception) else _RetryLater())
            raise
        self._pages.fail(url, _StoredElsewhere())  # this poll's followers skip it too
        self._pages.finish(url)
        raise _StoredElsewhere

    async def _lead(
        self, source: SourceConfig, settings: CrawlSettings, url: str, link: Link,
        gate: asyncio.Semaphore,
    ) -> _Page:  # fmt: skip
        """Fetch and analyse a page this poll claimed; its followers get the same result."""
        try:
            async with gate, self._in_flight:
                self.articles_handled += 1
                page = await self._fetch_page(source, settings, url, link)
        except (_RetryLater, _GivenUp) as exc:
            self._pages.fail(url, exc)
            raise
        except Exception as exc:
            log.exception("cannot process %s", redact_url(link.url),
                          extra={"source": source.name})  # fmt: skip
            self._pages.fail(url, exc)
            raise
        except BaseException:  # cancelled: followers try again on their next poll
            self._pages.fail(url, _RetryLater())
            raise
        self._pages.resolve(url, page)
        return page

    async def _fetch_page(
        self, source: SourceConfig, settings: CrawlSettings, url: str, link: Link
    ) -> _Page:
        """Fetch and analyse one article page. Raises _RetryLater when it failed for now."""
        result = await self._fetcher.fetch(link.url, settings=settings, purpose="page")
        self._observer.fetched("page", str(result.outcome), result.elapsed)
        if not result.ok:
            await self._store.record_fetch(source.name, result, now=self._now())
        try:
            analysis = await self._analyze(source, result, link)
        except CannotStart as exc:  # not the page's fault: not given up, not seen
            log.warning("cannot analyse %s now: %s; a later poll tries again",
                        redact_url(link.url), exc.reason,
                        extra={"source": source.name})  # fmt: skip
            raise _RetryLater() from None
        if analysis is None:
            reason = result.error or "nothing extracted"
            log.warning("no article at %s: %s", redact_url(link.url), reason,
                        extra={"source": source.name})  # fmt: skip
            if not result.ok and result.transient:
                raise _RetryLater
            return _Page(url=url, analysis=None, reason=reason)
        return _Page(url=result.final_url if result.ok else url, analysis=analysis)

    async def _save(
        self, snap: Snapshot, source: SourceConfig, settings: CrawlSettings, url: str, page: _Page
    ) -> int:
        """Match and store one analysed article for ``source``: its alert count."""
        analysis = page.analysis
        assert analysis is not None
        canonical = canonicalize_url(
            page.url, extra_params=snap.config.dedupe.tracking_params,
            canonical=analysis.article.url,
        )  # fmt: skip
        article = replace(analysis.article, url=canonical)
        fp = analysis.fingerprint
        new = NewArticle(
            url=canonical,
            source=source.name,
            article=article,
            content_hash=fp.content_hash,
            simhash=fp.simhash if fp.near_dup_eligible else None,
            band_keys=fp.band_keys if fp.near_dup_eligible else (),
        )
        now = self._now()
        intents: list[AlertIntent] = []
        if self._alertable(article, settings, now):
            started = time.perf_counter()
            matches = snap.rules.match(article, source=source.name)
            self._observer.rules_evaluated(time.perf_counter() - started)
            intents = _intents(snap, source.name, article, matches, now)
        saved = await self._store.save_article(new, intents, now=now)
        for channel in saved.alert_channels:
            self._observer.alerts_created(channel, 1)
        return len(saved.alerts)

    async def _analyze(
        self, source: SourceConfig, result: FetchResult, link: Link
    ) -> Analysis | None:
        """Extract and fingerprint: here when the page is small enough and no burst is on, in
        a sandboxed worker otherwise. Raises _GivenUp when a worker's bound stopped it twice."""
        content = result.content if result.ok else None
        call = partial(
            analyze_page,
            content,
            charset=result.charset,
            url=result.final_url,
            link=link,
            language=source.language,
        )
        extra = {"source": source.name}

        def fits() -> bool:
            return fits_inline(content) and fits_inline(link.content_html)

        try:
            return await self._workers.run(call, fits_here=fits, extra=extra)
        except OverBound as exc:
            log.warning("the analysis of %s %s; trying once more", redact_url(link.url),
                        exc.reason, extra=extra)  # fmt: skip
        try:
            return await self._workers.isolated(call, extra=extra)
        except OverBound as exc:
            reason = f"its analysis {exc.reason}, twice"
            log.warning("giving up %s: %s", redact_url(link.url), reason, extra=extra)
            raise _GivenUp(reason) from None

    @staticmethod
    def _alertable(article: Article, settings: CrawlSettings, now: datetime) -> bool:
        """Backlog is stored, never alerted: only news younger than ``backfill`` alerts.

        Undated articles are judged by first-seen time (now), so they alert.
        """
        published = article.published_at
        if published is None:
            return True
        return published >= now - settings.backfill


def _intents(
    snap: Snapshot, source: str, article: Article, matches: Sequence[Match], now: datetime
) -> list[AlertIntent]:
    """One alert per channel of each matched rule, rendered once per rule."""
    out: list[AlertIntent] = []
    for match in matches:
        targets = snap.targets.get(match.rule, ())
        if not targets:
            continue
        body = render_alert(
            rule=match.rule, article=article, source=source, matches=match, created_at=now
        )
        out += (
            AlertIntent(rule=match.rule, channel=t.channel, digest=t.digest, payload=body)
            for t in targets
        )
    return out


def _next_tick(now: datetime, interval: timedelta, not_before: datetime | None) -> datetime:
    """When the scheduler polls a source again: every ``interval`` from this poll, skipping
    the polls its back-off (``not_before``) holds off."""
    if not_before is None or not_before <= now + interval:
        return now + interval
    return now + interval * math.ceil((not_before - now) / interval)


_UNDATED = datetime.max.replace(tzinfo=UTC)


def _when(link: Link) -> datetime:
    return link.updated_at or link.published_at or _UNDATED


def _updated_since(link: Link, known: datetime | None) -> bool:
    """A feed entry that says it changed after what we stored is fetched again."""
    if link.updated_at is None or known is None:
        return False
    return link.updated_at > known + timedelta(seconds=60)
