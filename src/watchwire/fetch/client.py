"""The fetcher: one shared HTTP client, polite per host, and a ``FetchResult`` for every URL.

``Fetcher.fetch`` never raises (except ``CancelledError``): a failure is a value with an
``error_class`` (see ``errors.py``) and whether retrying later may help. One fetch is:

1. robots.txt for the URL's origin (cached; see ``robots.py``) — ``DISALLOWED`` if it says no;
2. a place in the host's slot (``hosts.py``): at most ``per_host_concurrency`` requests in
   flight, starts ``per_host_delay`` apart (or the robots.txt ``Crawl-delay``, up to 30 s) —
   for every worker of a deployment together when ``hosts`` is given (``shared.py``);
3. the request, with the body read raw, decoded and cut at ``max_body`` (``body.py``);
4. redirects followed by hand — each hop is checked against robots.txt and takes a place in its
   own host's slot — at most ``max_redirects``, a loop detected at once;
5. transient failures retried ``retries`` times, with backoff and jitter, honouring
   ``Retry-After`` (which also pauses the whole host).

The ``timeout`` is the total deadline of a fetch: it starts when the first request may go out
(waiting behind other requests to the same host is politeness, not the server's slowness) and
covers every hop, retry and backoff after that. httpx's own timeouts are per read; a server
dripping a byte at a time would otherwise hold a fetch for ever.

Requests do not go through ``httpx.AsyncClient``: redirects are ours, cookies unwanted (a crawler
is stateless; they would leak one source's session into another's), and the client layer costs
CPU and logs every full URL — tokens included — at INFO. URLs are parsed by httpx
(``httpx.URL``); each GET goes to a ``Sender`` (``transport.py``): by default aiohttp's
connections, directly (a third of the CPU per page of httpx's own pool at our concurrency, and
none of httpx's request and response models: ``bench/bench_fetch.py``), with idle connections
kept ``keepalive`` seconds; or any httpx transport passed as ``transport``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from functools import partial
from types import TracebackType
from typing import Final, NamedTuple, Self

import aiohttp
import httpx

from watchwire.backoff import parse_retry_after
from watchwire.config import CrawlSettings
from watchwire.fetch.body import (
    ACCEPT_ENCODING,
    ContentDecodeError,
    UnsupportedEncodingError,
    read_body,
)
from watchwire.fetch.errors import Failure, classify_exception, classify_status
from watchwire.fetch.hosts import Clock, HostSlot, HostSlots, Sleep
from watchwire.fetch.media import ACCEPT, AnyPurpose, Purpose, accepts, parse_content_type
from watchwire.fetch.retry import RETRY_AFTER_CEILING, backoff
from watchwire.fetch.robots import MAX_ROBOTS_BYTES, RobotsCache, RobotsFile
from watchwire.fetch.shared import LINGER, SharedHosts
from watchwire.fetch.transport import (
    AIOHTTP_KEEPALIVE,
    AiohttpTransport,
    HttpxSender,
    Reply,
    Sender,
    raise_open_files_limit,
)
from watchwire.gzipfile import GzipError, gunzip_capped, is_gzip
from watchwire.logs import redact_url
from watchwire.models import FetchOutcome, FetchResult, Validators
from watchwire.store import HostLeaseStore

__all__ = ["Fetcher"]

log = logging.getLogger("watchwire.fetch")


_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_PERMANENT: Final = frozenset({301, 308})


class _Redirect(NamedTuple):
    location: str
    permanent: bool


_MAX_CRAWL_DELAY: Final = 30.0
_ROBOTS_TIMEOUT: Final = 30.0
_ROBOTS_REDIRECTS: Final = 5  # RFC 9309 §2.3.1.2


def _origin(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}"


@dataclasses.dataclass(slots=True, kw_only=True)
class _Request:
    """One call to ``fetch`` on its way down the stack (as httpx hands one ``Request`` down):
    what was asked, under which settings, and the total deadline its hops and retries share."""

    url: str
    """As asked: every result names it."""
    settings: CrawlSettings
    validators: Validators | None
    purpose: AnyPurpose
    started: float
    """Loop time when the fetch was asked for: each result's ``elapsed`` counts from it."""
    timeout: float
    """Seconds for the whole fetch."""
    deadline: float | None = None
    """Loop time by which it must be done, set when its first request may start."""

    def elapsed(self) -> float:
        return max(0.0, asyncio.get_running_loop().time() - self.started)

    def error(
        self,
        final_url: str,
        failure: Failure,
        *,
        status: int | None = None,
        media_type: str | None = None,
    ) -> FetchResult:
        return FetchResult(
            url=self.url,
            final_url=final_url,
            outcome=FetchOutcome.ERROR,
            status=status,
            content_type=media_type,
            error=failure.message,
            error_class=failure.error_class,
            transient=failure.transient,
            retry_after=failure.retry_after,
            elapsed=self.elapsed(),
        )


class Fetcher:
    """Fetches pages and feeds politely. Use as ``async with Fetcher(settings) as fetcher:``.

    ``settings`` are the defaults; ``fetch(settings=...)`` takes a source's own. ``keepalive``
    is how long an idle connection is kept, in seconds (``keepalive_for`` derives it from the
    sources' poll intervals); one longer than aiohttp's 15 s also raises the process's soft
    limit of open files to its hard one when the fetcher opens (``raise_open_files_limit``).
    ``transport`` replaces the network (tests: ``httpx.MockTransport``) and is closed with the
    fetcher, as ``httpx.AsyncClient`` does; ``clock``/``sleep`` drive politeness delays, backoff
    and robots.txt expiry; ``rand`` the retry jitter. ``hosts``: the store's host leases, when
    other workers fetch beside this one (``release_idle_hosts`` gives back those not in use).
    """

    def __init__(
        self,
        settings: CrawlSettings,
        *,
        keepalive: float = AIOHTTP_KEEPALIVE,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        hosts: HostLeaseStore | None = None,
    ) -> None:
        self._settings = settings
        self._keepalive = keepalive
        self._transport = transport
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._shared = None if hosts is None else SharedHosts(hosts, clock=clock, sleep=sleep)
        gate = None if self._shared is None else self._shared.hold
        self._slots = HostSlots(clock=clock, sleep=sleep, gate=gate)
        self._giving_back: asyncio.Task[None] | None = None
        self._robots = RobotsCache(clock=clock)
        self._open: Sender | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._open is not None:
            raise RuntimeError("Fetcher is already open")
        if self._transport is not None:
            self._open = HttpxSender(self._transport)
        else:
            if self._keepalive > AIOHTTP_KEEPALIVE:
                raise_open_files_limit()  # a socket kept per host watched
            self._open = AiohttpTransport(keepalive=self._keepalive)
        if self._shared is not None:
            # Owned by the fetcher: hosts it no longer requests go back to the other workers
            # as long as it is open, whoever uses it.
            self._giving_back = asyncio.create_task(self._give_back(self._shared))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        client, self._open = self._open, None
        if client is None:
            return
        # Shielded so that a cancelled service still closes its sockets, time-boxed so that a
        # wedged close cannot hold shutdown.
        try:
            async with asyncio.timeout(5):
                await asyncio.shield(self._close(client))
        except TimeoutError:
            log.warning("closing the fetcher took over 5 s; left to finish in the background")

    async def _close(self, client: Sender) -> None:
        giving_back, self._giving_back = self._giving_back, None
        if giving_back is not None:
            giving_back.cancel()
            await asyncio.gather(giving_back, return_exceptions=True)
        await self._robots.aclose()
        await client.aclose()
        if self._shared is not None:
            try:
                await self._shared.release_idle(everything=True)
            except Exception as exc:  # they expire with their leases
                log.warning("could not give back this worker's hosts: %s", exc)

    async def release_idle_hosts(self) -> int:
        """Give back the hosts this worker no longer requests (when shared); how many. The
        fetcher does it by itself every ``LINGER`` / 2 seconds while it is open."""
        return 0 if self._shared is None else await self._shared.release_idle()

    async def _give_back(self, shared: SharedHosts) -> None:
        while True:
            await asyncio.sleep(LINGER / 2)  # wall time, whatever drives the delays
            try:
                await shared.release_idle()
            except Exception as exc:  # kept, and given back on a later round
                log.warning("could not give hosts back to the other workers: %s", exc)

    @property
    def hosts(self) -> HostSlots:
        """The per-host slots (for stats and tests)."""
        return self._slots

    # --- fetching -----------------------------------------------------------------------------

    async def fetch(
        self,
        url: str,
        *,
        settings: CrawlSettings | None = None,
        validators: Validators | None = None,
        purpose: Purpose = "page",
    ) -> FetchResult:
        """Fetch ``url``; every failure comes back as a result, never as an exception.

        Raises only ``CancelledError``, and ``RuntimeError`` when the fetcher is not open.
        """
        if self._open is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        s = settings or self._settings
        request = _Request(
            url=url,
            settings=s,
            validators=validators,
            purpose=purpose,
            started=asyncio.get_running_loop().time(),
            timeout=s.timeout.total_seconds(),
        )
        try:
            result = await self._fetch(request)
        except Exception as exc:  # the fetcher's one boundary: a bug is an outcome too
            log.exception("fetch of %s failed unexpectedly", redact_url(url))
            result = request.error(url, Failure("internal", repr(exc), False))
        if result.outcome is FetchOutcome.ERROR:
            log.info(
                "fetch %s: %s (%s)%s",
                redact_url(url),
                result.error_class,
                result.error,
                " transient" if result.transient else "",
            )
        elif log.isEnabledFor(logging.DEBUG):
            log.debug("fetch %s: %s %s", redact_url(url), result.outcome, result.status)
        return result

    async def _fetch(self, request: _Request) -> FetchResult:
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            attempt += 1
            result = await self._attempt(request)
            if result.outcome is not FetchOutcome.ERROR or not result.transient:
                return result
            if attempt > request.settings.retries:
                return _tried(result, attempt)
            delay = backoff(attempt, rand=self._rand)
            if result.retry_after is not None:
                if result.retry_after > RETRY_AFTER_CEILING:
                    return _tried(result, attempt)
                delay = max(delay, result.retry_after)
            if request.deadline is not None and loop.time() + delay >= request.deadline:
                # No time left for another try: the caller polls again later.
                return _tried(result, attempt)
            log.debug(
                "retrying %s in %.1fs (%s)", redact_url(request.url), delay, result.error_class
            )
            await self._sleep(delay)

    async def _attempt(self, request: _Request) -> FetchResult:
        """One try: the request and its redirects."""
        s, purpose = request.settings, request.purpose
        current = request.url
        visited = {current.partition("#")[0]}
        permanent = True  # every redirect so far was a 301/308
        max_hops = _ROBOTS_REDIRECTS if purpose == "robots" else s.max_redirects
        for _ in range(max_hops + 1):
            try:
                target = httpx.URL(current)
            except (httpx.InvalidURL, TypeError, ValueError) as exc:
                return request.error(current, classify_exception(httpx.InvalidURL(str(exc))))
            if target.scheme not in ("http", "https") or not target.host:
                return request.error(current, Failure("invalid_url", "not an http(s) URL", False))
            origin = _origin(target)
            where = origin.partition("://")[2]
            delay = s.per_host_delay.total_seconds()
            if s.respect_robots and purpose != "robots":
                rules = await self._robots.rules_for(origin, partial(self._fetch_robots, origin, s))
                if not rules.allows(current, s.user_agent):
                    if rules.failure is not None:
                        # Nothing answered, not even for robots.txt: say what happened.
                        return request.error(current, rules.failure)
                    return FetchResult(
                        url=request.url,
                        final_url=current,
                        outcome=FetchOutcome.DISALLOWED,
                        error=_disallowed(origin, rules.reason),
                        error_class="robots_unreachable" if rules.unreachable else "robots",
                        elapsed=request.elapsed(),
                    )
                crawl_delay = rules.crawl_delay(s.user_agent)
                if crawl_delay:
                    delay = max(delay, min(crawl_delay, _MAX_CRAWL_DELAY))
            slot = self._slots.get(origin)
            outcome = await self._hop(request, current, target, slot, delay, where)
            if isinstance(outcome, FetchResult):
                if permanent and current != request.url:
                    outcome = dataclasses.replace(outcome, moved_to=current)
                return outcome
            hop, permanent = outcome.location, permanent and outcome.permanent
            if hop.partition("#")[0] in visited:
                message = f"redirect loop back to {redact_url(hop)}"
                return request.error(current, Failure("redirect_loop", message, False))
            visited.add(hop.partition("#")[0])
            current = hop
        return request.error(
            current, Failure("redirects", f"more than {max_hops} redirects", False)
        )

    async def _hop(
        self,
        request: _Request,
        current: str,
        target: httpx.URL,
        slot: HostSlot,
        delay: float,
        where: str,
    ) -> FetchResult | _Redirect:
        """One request to ``target`` (``current`` as written), in its host's ``slot`` at least
        ``delay`` after the last one started: a final result, or where it redirects to."""
        client = self._open
        if client is None:
            raise RuntimeError("Fetcher closed while fetching")
        s, validators = request.settings, request.validators
        loop = asyncio.get_running_loop()
        headers = {
            "User-Agent": s.user_agent,
            "Accept": ACCEPT[request.purpose],
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        # Only a connect timeout: the deadline is the total one above, and a per-read timeout
        # as long would only re-arm a timer on every packet.
        connect = min(s.connect_timeout.total_seconds(), request.timeout)
        scope = asyncio.timeout_at(request.deadline)
        try:
            async with scope, slot.request(limit=s.per_host_concurrency, delay=delay):
                if request.deadline is None:
                    request.deadline = loop.time() + request.timeout
                    scope.reschedule(request.deadline)
                reply = await client.get(target, headers, connect_timeout=connect)
                try:
                    return await self._handle(request, current, target, reply, slot)
                finally:
                    await reply.aclose()
        except TimeoutError as exc:
            if scope.expired():
                message = f"no complete response within {request.timeout:g}s"
                failure = Failure("timeout", message, True)
            else:
                failure = classify_exception(exc, where=where)
            return request.error(current, failure)
        except (
            httpx.HTTPError,
            aiohttp.ClientError,
            OSError,
            ContentDecodeError,
            UnsupportedEncodingError,
        ) as exc:
            return request.error(current, classify_exception(exc, where=where))

    async def _handle(
        self, request: _Request, current: str, target: httpx.URL, reply: Reply, slot: HostSlot
    ) -> FetchResult | _Redirect:
        status = reply.status
        header = reply.header
        if status in _REDIRECTS and (location := header("location")):
            try:
                return _Redirect(str(target.join(location.strip())), status in _PERMANENT)
            except httpx.InvalidURL as exc:
                return request.error(current, Failure("http_3xx", f"bad Location: {exc}", False))
        purpose, validators = request.purpose, request.validators
        new_validators = Validators(etag=header("etag"), last_modified=header("last-modified"))
        media_type, charset = parse_content_type(header("content-type"))
        if status == 304 and validators is not None:
            return FetchResult(
                url=request.url,
                final_url=current,
                outcome=FetchOutcome.NOT_MODIFIED,
                status=status,
                validators=Validators(
                    etag=new_validators.etag or validators.etag,
                    last_modified=new_validators.last_modified or validators.last_modified,
                ),
                elapsed=request.elapsed(),
            )
        if not 200 <= status < 300:
            retry_after = parse_retry_after(header("retry-after"))
            if retry_after is not None and status in (429, 503):
                slot.pause(min(retry_after, RETRY_AFTER_CEILING))
            failure = classify_status(status, retry_after=retry_after)
            return request.error(current, failure, status=status, media_type=media_type)
        if not accepts(purpose, media_type, current):
            return FetchResult(
                url=request.url,
                final_url=current,
                outcome=FetchOutcome.SKIPPED,
                status=status,
                content_type=media_type,
                charset=charset,
                validators=new_validators,
                error=f"content type {media_type} is not read for a {purpose}",
                elapsed=request.elapsed(),
            )
        cap = MAX_ROBOTS_BYTES if purpose == "robots" else request.settings.max_body
        declared = header("content-length")
        if declared and declared.isdigit() and int(declared) > cap and purpose != "robots":
            failure = Failure("too_large", f"Content-Length {declared} > max_body {cap}", False)
            return request.error(current, failure, status=status, media_type=media_type)
        codings = [c for c in (header("content-encoding") or "").split(",") if c.strip()]
        if reply.content is not None:
            # A transport that hands back a read response (httpx.MockTransport): httpx has
            # already undone its Content-Encoding; still hold it to the cap.
            body = await read_body(_one(reply.content), [], cap)
        else:
            body = await read_body(reply.raw(), codings, cap)
        content, truncated = body.content, body.truncated
        if purpose == "feed" and not truncated and is_gzip(content):
            try:
                content, truncated = gunzip_capped(content, cap)  # sitemap.xml.gz, as a file
            except GzipError as exc:
                raise ContentDecodeError("invalid gzip data") from exc
        result = FetchResult(
            url=request.url,
            final_url=current,
            outcome=FetchOutcome.OK,
            status=status,
            content=content,
            content_type=media_type,
            charset=charset,
            validators=new_validators,
            elapsed=request.elapsed(),
        )
        if truncated:
            return dataclasses.replace(
                result,
                outcome=FetchOutcome.ERROR,
                error=f"body larger than max_body ({cap} bytes): cut",
                error_class="too_large",
                transient=False,
            )
        return result

    async def _fetch_robots(self, origin: str, s: CrawlSettings) -> RobotsFile:
        robots_settings = s.model_copy(
            update={
                "timeout": min(s.timeout, timedelta(seconds=_ROBOTS_TIMEOUT)),
                "retries": 0,
                "respect_robots": False,
            }
        )
        request = _Request(
            url=f"{origin}/robots.txt",
            settings=robots_settings,
            validators=None,
            purpose="robots",
            started=asyncio.get_running_loop().time(),
            timeout=robots_settings.timeout.total_seconds(),
        )
        result = await self._fetch(request)
        if result.outcome is FetchOutcome.OK or result.error_class == "too_large":
            return RobotsFile(result.status, result.content)
        if result.status is not None and result.error_class in ("http_4xx", "http_5xx", "http_429"):
            return RobotsFile(result.status)
        if result.error_class in ("redirects", "redirect_loop", "http_3xx"):
            return RobotsFile(404)  # RFC 9309 §2.3.1.2: unreachable after 5 redirects = 4xx
        log.info("robots.txt of %s unreachable: %s", redact_url(origin), result.error)
        failure = None
        if result.error_class is not None and result.error:
            failure = Failure(result.error_class, result.error, result.transient)
        return RobotsFile(None, failure=failure)


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _disallowed(origin: str, reason: str) -> str:
    if reason.isdigit() and not reason.startswith("2"):
        # RFC 9309: a robots.txt answering 429 or 5xx means the site is unreachable for now.
        return (
            f"robots.txt of {redact_url(origin)} answered HTTP {reason}: the site counts as "
            "unreachable, nothing is fetched until it answers"
        )
    return f"robots.txt of {redact_url(origin)} disallows it"


def _tried(result: FetchResult, attempts: int) -> FetchResult:
    """A transient failure that was given up on for now, saying how many tries it had."""
    if attempts < 2 or result.error is None:
        return result
    return dataclasses.replace(result, error=f"{result.error} (tried {attempts} times)")
