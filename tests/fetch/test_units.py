"""Host slots, robots.txt cache, retry arithmetic, error classes: pure, with a fake clock."""

from __future__ import annotations

import asyncio
import socket
import ssl
from datetime import timedelta

import aiohttp
import httpx
import pytest

import watchwire.fetch
from watchwire.fetch import keepalive_for, transport
from watchwire.fetch.errors import classify_exception, classify_status
from watchwire.fetch.hosts import HostSlot, HostSlots
from watchwire.fetch.retry import backoff
from watchwire.fetch.robots import UNREACHABLE_TTL, RobotsCache, RobotsFile, RobotsRules
from watchwire.fetch.transport import AIOHTTP_KEEPALIVE, KEEPALIVE_CEILING, KEEPALIVE_MARGIN

UA = "watchwire/0.1 (+https://example.org/bot)"


class FakeClock:
    """Time stands still unless a test moves it; sleeps are recorded and return at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


def test_public_api_is_sorted_and_importable() -> None:
    names = watchwire.fetch.__all__
    assert list(names) == sorted(names)
    for name in names:
        assert getattr(watchwire.fetch, name) is not None


# --- host slots -----------------------------------------------------------------------------------


async def test_slot_spaces_starts_by_the_delay() -> None:
    """Three requests with a 1 s delay wait 0, 1 and 2 s (the clock is frozen)."""
    clock = FakeClock()
    slot = HostSlot(clock=clock, sleep=clock.sleep)

    async def one() -> None:
        async with slot.request(limit=3, delay=1.0):
            pass

    await asyncio.gather(one(), one(), one())
    assert clock.sleeps == [1.0, 2.0]


async def test_slot_pause_delays_the_next_start() -> None:
    clock = FakeClock()
    slot = HostSlot(clock=clock, sleep=clock.sleep)
    slot.pause(30)
    async with slot.request(limit=1, delay=0):
        pass
    assert clock.sleeps == [30]


async def test_slot_limit_and_fifo_handover() -> None:
    """With limit 1 the second request waits for the first; places are handed over in order."""
    clock = FakeClock()
    slot = HostSlot(clock=clock, sleep=clock.sleep)
    order: list[int] = []
    gate = asyncio.Event()

    async def one(i: int) -> None:
        async with slot.request(limit=1, delay=0):
            order.append(i)
            if i == 0:
                await gate.wait()

    tasks = [asyncio.create_task(one(i)) for i in range(3)]
    await asyncio.sleep(0)  # one turn of the loop: each task runs to its first suspension
    assert order == [0]
    assert slot.active == 1
    gate.set()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2]
    assert slot.active == 0
    assert not slot.busy


async def test_cancelled_waiter_passes_its_place_on() -> None:
    """A waiter cancelled just as it was handed the place does not leak it."""
    clock = FakeClock()
    slot = HostSlot(clock=clock, sleep=clock.sleep)
    entered = asyncio.Event()

    async def waiter() -> None:
        async with slot.request(limit=1, delay=0):
            entered.set()

    async with slot.request(limit=1, delay=0):
        task = asyncio.create_task(waiter())
        await asyncio.sleep(0)  # one turn: the waiter queues behind us
        assert slot.active == 1
    task.cancel()  # the place was handed over on exit, but the waiter never ran
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not entered.is_set()
    assert slot.active == 0
    async with slot.request(limit=1, delay=0):
        assert slot.active == 1


async def test_idle_slots_are_swept() -> None:
    clock = FakeClock()
    slots = HostSlots(clock=clock, sleep=clock.sleep)
    async with slots.get("http://a").request(limit=1, delay=0):
        pass
    assert len(slots) == 1
    clock.now += 3600
    slots.get("http://b")
    assert len(slots) == 1  # a is gone, b is new


# --- robots.txt -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "allowed"),
    [
        (RobotsFile(200, b"User-agent: *\nDisallow: /private\n"), {"/": True, "/private/x": False}),
        (RobotsFile(404), {"/": True, "/private/x": True}),
        (RobotsFile(403), {"/": True, "/private/x": True}),
        (RobotsFile(429), {"/": False, "/private/x": False}),
        (RobotsFile(503), {"/": False, "/private/x": False}),
        (RobotsFile(None), {"/": False, "/private/x": False}),
        (RobotsFile(200, b"\xff\xfe garbage \x00"), {"/": True, "/private/x": True}),
    ],
)
def test_robots_verdict_per_rfc9309(file: RobotsFile, allowed: dict[str, bool]) -> None:
    rules = RobotsRules.from_file(file, now=0)
    for path, verdict in allowed.items():
        assert rules.allows(f"https://example.org{path}", UA) is verdict, path


def test_robots_crawl_delay() -> None:
    rules = RobotsRules.from_file(RobotsFile(200, b"User-agent: *\nCrawl-delay: 5\n"), now=0)
    assert rules.crawl_delay(UA) == 5


async def test_robots_cache_shares_one_load_and_expires() -> None:
    """Concurrent askers share one load; an unreachable verdict is retried after its TTL."""
    clock = FakeClock()
    cache = RobotsCache(clock=clock)
    loads = 0

    async def load() -> RobotsFile:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0)
        return RobotsFile(None)

    results = await asyncio.gather(*(cache.rules_for("https://a", load) for _ in range(5)))
    assert loads == 1
    assert not results[0].allows("https://a/x", UA)
    await cache.rules_for("https://a", load)
    assert loads == 1
    clock.now += UNREACHABLE_TTL + 1
    await cache.rules_for("https://a", load)
    assert loads == 2
    await cache.aclose()


# --- retry arithmetic -----------------------------------------------------------------------------


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n, rand=lambda: 1.0) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert [backoff(n, rand=lambda: 0.0) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]
    assert backoff(30, rand=lambda: 1.0) == 30.0


# --- error classification -------------------------------------------------------------------------


def _wrapped(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    ("exc", "error_class", "transient"),
    [
        (httpx.ConnectError("refused"), "connect", True),
        (httpx.ReadTimeout("slow"), "timeout", True),
        (
            httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            ),
            "incomplete",
            True,
        ),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "reset",
            True,
        ),
        (httpx.RemoteProtocolError("illegal header"), "protocol", False),
        (httpx.ReadError("boom"), "reset", True),
        (httpx.UnsupportedProtocol("ftp"), "invalid_url", False),
        (_wrapped(httpx.ConnectTimeout("x"), aiohttp.ServerDisconnectedError()), "reset", True),
        (_wrapped(httpx.ReadError("x"), ConnectionResetError()), "reset", True),
        (_wrapped(httpx.ConnectError("x"), ssl.SSLCertVerificationError("bad cert")), "tls", False),
        (_wrapped(httpx.ConnectError("x"), socket.gaierror("no name")), "dns", True),
        (OSError("network is unreachable"), "network", True),
        (RuntimeError("bug"), "internal", False),
    ],
)
def test_exception_classes(exc: BaseException, error_class: str, transient: bool) -> None:
    failure = classify_exception(exc)
    assert (failure.error_class, failure.transient) == (error_class, transient)


@pytest.mark.parametrize(
    ("status", "error_class", "transient"),
    [
        (429, "http_429", True),
        (500, "http_5xx", True),
        (503, "http_5xx", True),
        (501, "http_5xx", False),
        (404, "http_4xx", False),
        (410, "http_4xx", False),
        (408, "http_4xx", True),
        (300, "http_3xx", False),
        (101, "protocol", False),
    ],
)
def test_status_classes(status: int, error_class: str, transient: bool) -> None:
    failure = classify_status(status)
    assert (failure.error_class, failure.transient) == (error_class, transient)


# --- keep-alive -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "keepalive"),
    [
        ([], AIOHTTP_KEEPALIVE),  # no sources: aiohttp's default
        ([10], AIOHTTP_KEEPALIVE),  # the default 10 min: too long to bridge
        ([1], 60 + KEEPALIVE_MARGIN),  # every minute: outlasts it
        ([1, 5, 10], 300 + KEEPALIVE_MARGIN),  # the longest that can be bridged
        ([0.1, 10], 6 + KEEPALIVE_MARGIN),  # every 6 s, and some too far apart to bridge
    ],
)
def test_keepalive_outlasts_the_longest_bridgeable_interval(
    minutes: list[float], keepalive: float
) -> None:
    assert keepalive_for(timedelta(minutes=m) for m in minutes) == keepalive
    assert keepalive <= KEEPALIVE_CEILING


def test_open_files_limit_is_raised_to_the_hard_one(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = {"now": (1024, 524_288)}
    monkeypatch.setattr(transport.resource, "getrlimit", lambda _: limits["now"])
    monkeypatch.setattr(
        transport.resource, "setrlimit", lambda _, value: limits.__setitem__("now", value)
    )
    assert transport.raise_open_files_limit() == 524_288
    assert limits["now"] == (524_288, 524_288)

    def refuse(_: int, __: tuple[int, int]) -> None:
        raise ValueError("not allowed")

    limits["now"] = (256, transport.resource.RLIM_INFINITY)
    monkeypatch.setattr(transport.resource, "setrlimit", refuse)
    assert transport.raise_open_files_limit() == 256  # refused: what we had is kept
