"""Article pages in flight across every poll of the process: one fetch per article at a time.

News sites list one new article in several feeds at once ("all news", "politics", a news
sitemap), and sources polled at about the same moment all see it as new: the store does not
have it yet while the first poll is still fetching it. So the first poll to want a page *leads*
(fetches and analyses it) and every other poll that wants it meanwhile *follows*: it waits for
the leader's result and goes on from there (its own rules, its own save), never fetching again.

A page's claim ends when its leader is done with it. One that was stored (or found to hold no
article) stays *done* for a short grace, so that a poll that read the store just before the
leader's save landed skips it instead of fetching it again; one that failed for now is released
at once, so the next poll of any source that lists it tries again.

Across workers, a leader also claims its pages in the store (``PageLeaseStore``); a page another
worker holds is waited for there (``ElsewhereWaits``: one store query a tick for every such
page of the process), then skipped if it was stored, or left to a later poll if not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from watchwire.store import PageLeaseStore
from watchwire.timeutil import utcnow

__all__ = ["DONE_GRACE", "Claim", "ElsewhereWaits", "PageClaims"]

T = TypeVar("T")

DONE_GRACE = 120.0
"""Seconds a handled page stays done: longer than a poll takes from reading the store to
claiming its pages, however busy the loop."""


@dataclass(frozen=True, slots=True)
class Claim(Generic[T]):
    """What a poll is to do with a page: lead, follow ``result``, or skip it (done already)."""

    role: Literal["lead", "follow", "skip"]
    result: asyncio.Future[T] | None = None


class PageClaims(Generic[T]):
    """Claims on article pages by canonical URL. The result ``T`` is what leaders share."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._running: dict[str, asyncio.Future[T]] = {}
        self._done: dict[str, float] = {}
        """URL → when it was done, oldest first."""

    def claim(self, url: str, *, unseen: bool = True) -> Claim[T]:
        """Lead ``url`` if nobody else does (then ``resolve``/``fail`` and ``finish`` it).

        ``unseen``: the store did not have the page when this poll looked. Only such a page
        is skipped when another poll finished it a moment ago; one fetched again because its
        feed says it changed is led again.
        """
        self._forget_old()
        running = self._running.get(url)
        if running is not None:
            return Claim("follow", running)
        if unseen and url in self._done:
            return Claim("skip")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        # A result nobody followed is not an error left unseen.
        future.add_done_callback(_retrieve)
        self._running[url] = future
        return Claim("lead", future)

    def resolve(self, url: str, result: T) -> None:
        """The leader's result, handed to every follower (the claim stays until ``finish``)."""
        future = self._running.get(url)
        if future is not None and not future.done():
            future.set_result(result)

    def fail(self, url: str, error: BaseException) -> None:
        """The leader could not get a result: followers get ``error``; the claim is released so
        that a later poll tries again."""
        future = self._running.pop(url, None)
        if future is not None and not future.done():
            future.set_exception(error)

    def finish(self, url: str) -> None:
        """The leader is done with ``url`` (stored, or no article there): skip it for a while."""
        self._running.pop(url, None)
        self._done.pop(url, None)
        self._done[url] = self._clock()

    def __len__(self) -> int:
        """Pages being fetched now."""
        return len(self._running)

    def _forget_old(self) -> None:
        horizon = self._clock() - DONE_GRACE
        done = self._done
        while done:
            url = next(iter(done))
            if done[url] > horizon:
                break
            del done[url]


class ElsewhereWaits:
    """Waits for pages other workers are fetching, all together: the first waiter asks the
    store about every page waited for, each ``every`` seconds, until its own is released."""

    def __init__(
        self,
        store: PageLeaseStore,
        *,
        every: float = 0.25,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._every = every
        self._clock = clock
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self._asking = asyncio.Lock()

    async def wait(self, url: str, *, within: float) -> bool:
        """True once no live worker holds ``url`` any more; False after ``within`` seconds."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(url, []).append(done)
        try:
            async with asyncio.timeout(within):
                while not done.done():
                    async with self._asking:
                        if done.done():
                            break
                        await self._ask()
                        if not done.done():
                            await asyncio.sleep(self._every)
        except TimeoutError:
            return False
        finally:
            waiters = self._waiting.get(url)
            if waiters is not None and done in waiters:
                waiters.remove(done)
                if not waiters:
                    del self._waiting[url]
        return True

    async def _ask(self) -> None:
        urls = list(self._waiting)
        held = await self._store.pages_held(urls, now=self._clock())
        for url in urls:
            if url not in held:
                for done in self._waiting.pop(url, ()):
                    if not done.done():
                        done.set_result(None)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
