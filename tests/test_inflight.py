"""Claims on article pages: one leader per page, followers share its result, done pages skip."""

from __future__ import annotations

import asyncio
import gc

import pytest

from watchwire.inflight import DONE_GRACE, PageClaims


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_first_claim_leads_and_the_others_follow_its_result() -> None:
    claims: PageClaims[str] = PageClaims()
    lead = claims.claim("u")
    follow = claims.claim("u")
    assert lead.role == "lead" and follow.role == "follow"
    assert follow.result is lead.result and len(claims) == 1
    claims.resolve("u", "page")
    assert follow.result is not None and await follow.result == "page"
    assert claims.claim("u").role == "follow"  # until the leader is done with it


async def test_a_finished_page_is_skipped_by_polls_that_had_not_seen_it_stored() -> None:
    clock = Clock()
    claims: PageClaims[str] = PageClaims(clock=clock)
    claims.claim("u")
    claims.resolve("u", "page")
    claims.finish("u")
    assert len(claims) == 0
    assert claims.claim("u").role == "skip"
    # A poll that fetches it again because its feed says it changed leads again.
    assert claims.claim("u", unseen=False).role == "lead"


async def test_done_pages_are_forgotten_after_the_grace() -> None:
    clock = Clock()
    claims: PageClaims[str] = PageClaims(clock=clock)
    claims.claim("u")
    claims.finish("u")
    clock.now += DONE_GRACE + 1
    assert claims.claim("u").role == "lead"


async def test_a_failed_page_is_released_and_followers_get_the_error() -> None:
    claims: PageClaims[str] = PageClaims()
    claims.claim("u")
    follow = claims.claim("u")
    claims.fail("u", TimeoutError("slow site"))
    assert follow.result is not None
    with pytest.raises(TimeoutError, match="slow site"):
        await follow.result
    assert claims.claim("u").role == "lead"  # the next poll tries again


async def test_an_error_nobody_followed_is_not_reported_as_unretrieved(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A leader's failure with no follower leaves no 'exception was never retrieved'."""
    claims: PageClaims[str] = PageClaims()
    lead = claims.claim("u")
    claims.fail("u", ValueError("x"))
    assert lead.result is not None and lead.result.done()
    del lead
    await asyncio.sleep(0)  # the done callbacks run
    gc.collect()
    assert "never retrieved" not in caplog.text
