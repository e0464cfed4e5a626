"""robots.txt per RFC 9309, cached per origin.

What the answer to ``GET /robots.txt`` means (RFC 9309 §2.3.1):

- 2xx: the rules in it (parsed by Protego, first 500 KiB), kept for 24 hours;
- 4xx other than 429: there are no rules, everything is allowed (24 hours);
- 429, 5xx, or no answer at all: the site is unreachable, so *nothing* is allowed — but only for
  ``UNREACHABLE_TTL``, after which it is asked again. No answer at all (DNS, refused, timed out)
  keeps the network failure itself (``RobotsRules.failure``): a fetch reports *that*, not a
  robots.txt refusal the site never made.

Redirects are followed by the fetcher (up to five, per the RFC). Concurrent fetches of one origin
share one request for its robots.txt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from protego import Protego

from watchwire.fetch.errors import Failure
from watchwire.fetch.hosts import Clock

__all__ = ["MAX_ROBOTS_BYTES", "RobotsCache", "RobotsFile", "RobotsRules"]

log = logging.getLogger(__name__)

TTL: Final = 24 * 3600.0
UNREACHABLE_TTL: Final = 15 * 60.0
MAX_ROBOTS_BYTES: Final = 500 * 1024
_MAX_ENTRIES: Final = 10_000


@dataclass(frozen=True, slots=True)
class RobotsFile:
    """What fetching ``/robots.txt`` gave: a status (None: no answer) and the body."""

    status: int | None
    content: bytes = b""
    failure: Failure | None = None
    """Why there was no answer, when there was none."""


class RobotsRules:
    """The verdict for one origin."""

    __slots__ = ("_parser", "allow_all", "expires", "failure", "reason")

    def __init__(
        self,
        *,
        parser: Protego | None,
        allow_all: bool,
        expires: float,
        reason: str,
        failure: Failure | None = None,
    ) -> None:
        self._parser = parser
        self.allow_all = allow_all
        self.expires = expires
        self.reason = reason
        self.failure = failure
        """The network failure that left robots.txt unanswered (then nothing is allowed)."""

    def allows(self, url: str, user_agent: str) -> bool:
        if self._parser is None:
            return self.allow_all
        return bool(self._parser.can_fetch(url, user_agent))

    @property
    def unreachable(self) -> bool:
        """Everything is disallowed because robots.txt could not be read (5xx, 429, network)."""
        return self._parser is None and not self.allow_all

    def crawl_delay(self, user_agent: str) -> float | None:
        if self._parser is None:
            return None
        delay = self._parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None

    @classmethod
    def from_file(cls, file: RobotsFile, *, now: float) -> RobotsRules:
        status = file.status
        if status is not None and 200 <= status < 300:
            text = file.content[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
            try:
                parser = Protego.parse(text)
            except Exception:  # a parser bug must not stop the crawl: no rules
                log.warning("robots.txt unparseable, treated as allowing all", exc_info=True)
                return cls(parser=None, allow_all=True, expires=now + TTL, reason="unparseable")
            return cls(parser=parser, allow_all=True, expires=now + TTL, reason=f"{status}")
        if status is not None and 400 <= status < 500 and status != 429:
            return cls(parser=None, allow_all=True, expires=now + TTL, reason=f"{status}")
        reason = "unreachable" if status is None else f"{status}"
        return cls(
            parser=None, allow_all=False, expires=now + UNREACHABLE_TTL, reason=reason,
            failure=file.failure,
        )  # fmt: skip


class RobotsCache:
    """robots.txt verdicts per origin (``scheme://host:port``)."""

    def __init__(self, *, clock: Clock) -> None:
        self._clock = clock
        self._rules: dict[str, RobotsRules] = {}
        self._pending: dict[str, asyncio.Future[RobotsRules]] = {}

    async def rules_for(
        self, origin: str, load: Callable[[], Awaitable[RobotsFile]]
    ) -> RobotsRules:
        """The rules of ``origin``, calling ``load()`` (which must not raise) when not cached."""
        now = self._clock()
        rules = self._rules.get(origin)
        if rules is not None and rules.expires > now:
            return rules
        pending = self._pending.get(origin)
        if pending is not None:
            # shield: one waiter being cancelled must not cancel the others' shared fetch.
            return await asyncio.shield(pending)
        task = asyncio.ensure_future(self._load(origin, load))
        self._pending[origin] = task
        try:
            return await asyncio.shield(task)
        finally:
            if task.done():
                self._pending.pop(origin, None)

    async def aclose(self) -> None:
        """Cancel robots.txt fetches still running (their waiters were all cancelled)."""
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _load(self, origin: str, load: Callable[[], Awaitable[RobotsFile]]) -> RobotsRules:
        try:
            file = await load()
            rules = RobotsRules.from_file(file, now=self._clock())
            if len(self._rules) >= _MAX_ENTRIES:
                self._prune()
            self._rules[origin] = rules
            return rules
        finally:
            self._pending.pop(origin, None)

    def _prune(self) -> None:
        now = self._clock()
        for origin in [o for o, r in self._rules.items() if r.expires <= now]:
            del self._rules[origin]
        if len(self._rules) >= _MAX_ENTRIES:  # all fresh: forget the oldest half
            for origin in list(self._rules)[: _MAX_ENTRIES // 2]:
                del self._rules[origin]
