"""Source health judged: one state list, transitions, who is told, silence learned."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from watchwire.config import Threshold
from watchwire.health import (
    SILENT_DEFAULT,
    SILENT_FLOOR,
    PollFacts,
    State,
    facts_of,
    judge,
    learned_silence,
    render_health_alert,
)
from watchwire.models import FetchOutcome, FetchResult
from watchwire.store import SourceState

T0 = datetime(2026, 11, 30, 10, 2, tzinfo=UTC)
THREE = Threshold(polls=3)
OK = PollFacts(ok=True)


def stored(**kw: object) -> SourceState:
    base = SourceState(
        name="s", kind="feed", first_polled_at=T0, last_ok_at=T0, consecutive_failures=0,
        last_error=None, next_poll_at=None, last_new_at=T0,
    )  # fmt: skip
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def failed(polls: int, **kw: object) -> SourceState:
    return stored(consecutive_failures=polls, failing_since=T0, **kw)


HTTP_500 = PollFacts(ok=False, failure="error", error="HTTP 500")


def test_failing_only_after_three_polls_in_a_row_and_says_why_since_when() -> None:
    two = judge(failed(2, state="ok"), HTTP_500, now=T0 + timedelta(minutes=20),
                failing_after=THREE, silent_after=None)  # fmt: skip
    assert two.record.state == "ok" and not two.notify
    three = judge(failed(3, state="ok"), HTTP_500, now=T0 + timedelta(minutes=30),
                  failing_after=THREE, silent_after=None)  # fmt: skip
    assert three.record.state == "failing" and three.notify and three.previous == State.OK
    assert three.record.reason == "HTTP 500 on 3 polls since 2026-11-30 10:02Z"
    assert three.record.since == T0


def test_no_repeat_while_failing_but_the_reason_keeps_count() -> None:
    v = judge(failed(4, state="failing", state_since=T0, state_reason="HTTP 500 on 3 polls"),
              HTTP_500, now=T0 + timedelta(hours=1), failing_after=THREE,
              silent_after=None)  # fmt: skip
    assert v.record.state == "failing" and not v.notify and v.changed
    assert v.record.since == T0 and "on 4 polls" in (v.record.reason or "")


def test_recovery_is_told_once() -> None:
    v = judge(stored(state="failing", state_since=T0), OK, now=T0 + timedelta(hours=1),
              failing_after=THREE, silent_after=timedelta(days=1))  # fmt: skip
    assert v.record.state == "ok" and v.notify and v.previous == State.FAILING


def test_a_first_good_poll_is_ok_without_telling_anyone() -> None:
    v = judge(stored(), OK, now=T0, failing_after=THREE, silent_after=SILENT_FLOOR)
    assert v.record.state == "ok" and not v.notify and v.changed and v.previous == "never-polled"


def test_failing_after_a_duration_counts_time_not_polls() -> None:
    hour = Threshold(duration=timedelta(hours=1))
    early = judge(failed(10, state="ok"), HTTP_500, now=T0 + timedelta(minutes=59),
                  failing_after=hour, silent_after=None)  # fmt: skip
    late = judge(failed(10, state="ok"), HTTP_500, now=T0 + timedelta(hours=1),
                 failing_after=hour, silent_after=None)  # fmt: skip
    assert early.record.state == "ok" and late.record.state == "failing"


@pytest.mark.parametrize(
    ("facts", "state"),
    [
        (PollFacts(ok=False, failure="gone", error="HTTP 404"), "gone"),
        (PollFacts(ok=False, failure="robots", error="robots.txt disallows it"), "robots-blocked"),
        (PollFacts(ok=True, moved_to="https://new.example/feed"), "moved"),
    ],
)
def test_the_kind_of_trouble_names_the_state(facts: PollFacts, state: str) -> None:
    v = judge(failed(3, state="ok") if not facts.ok else stored(state="ok"), facts,
              now=T0, failing_after=THREE, silent_after=timedelta(days=1))  # fmt: skip
    assert v.record.state == state and v.notify
    if state == "moved":
        assert v.record.moved_to == "https://new.example/feed"
        assert "https://new.example/feed" in (v.record.reason or "")


def test_silent_after_its_limit_and_ok_again_with_a_new_article() -> None:
    limit = timedelta(hours=3)
    quiet = judge(stored(state="ok", last_new_at=T0), OK, now=T0 + timedelta(hours=4),
                  failing_after=THREE, silent_after=limit)  # fmt: skip
    assert quiet.record.state == "silent" and quiet.notify and quiet.record.since == T0
    back = judge(stored(state="silent", last_new_at=T0 + timedelta(hours=5)), OK,
                 now=T0 + timedelta(hours=5), failing_after=THREE,
                 silent_after=limit)  # fmt: skip
    assert back.record.state == "ok" and back.notify


def test_silent_off_never_judges_silence() -> None:
    v = judge(stored(state="ok", last_new_at=T0), OK, now=T0 + timedelta(days=90),
              failing_after=THREE, silent_after=timedelta(0))  # fmt: skip
    assert v.record.state == "ok"


def test_learned_silence_is_twice_the_longest_gap_with_a_floor() -> None:
    hourly = [T0 + timedelta(hours=h) for h in range(48)]
    assert learned_silence(hourly) == SILENT_FLOOR  # 2h < the 6h floor
    weekdays = [T0 + timedelta(hours=h) for h in range(0, 120, 2)]
    weekdays += [T0 + timedelta(hours=180 + h) for h in range(0, 48, 2)]  # after a 62h weekend
    assert learned_silence(weekdays) == timedelta(hours=124)
    assert learned_silence(hourly[:3]) == SILENT_DEFAULT  # too little history to learn from


def _result(**kw: object) -> FetchResult:
    base = FetchResult(url="http://a/", final_url="http://a/", outcome=FetchOutcome.ERROR)
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def test_facts_of_a_fetch() -> None:
    assert facts_of(_result(status=410), error="HTTP 410").failure == "gone"
    assert facts_of(_result(error_class="redirect_loop"), error="loop").failure == "gone"
    robots = _result(outcome=FetchOutcome.DISALLOWED, error_class="robots")
    assert facts_of(robots, error="no").failure == "robots"
    down = _result(outcome=FetchOutcome.DISALLOWED, error_class="robots_unreachable")
    assert facts_of(down, error="no").failure == "error"
    moved = _result(outcome=FetchOutcome.OK, moved_to="http://b/")
    assert facts_of(moved) == PollFacts(ok=True, moved_to="http://b/")


def test_facts_and_payloads_carry_no_secret_of_a_url() -> None:
    moved = _result(outcome=FetchOutcome.OK, moved_to="https://u:pw@new.example/f?key=s3cret")
    assert facts_of(moved).moved_to == "https://***@new.example/f?key=***"
    down = facts_of(_result(status=500), error="HTTP 500 at https://a.example/f?token=s3cret")
    assert "s3cret" not in (down.error or "")
    verdict = judge(failed(3, state="ok"), down, now=T0, failing_after=THREE,
                    silent_after=None)  # fmt: skip
    body = render_health_alert(source="s", url="https://a.example/f?token=s3cret",
                               verdict=verdict, created_at=T0)  # fmt: skip
    assert body["source"]["url"] == "https://a.example/f?token=***"
    assert "s3cret" not in str(body)
