"""The alert and digest bodies of DESIGN.md, and the retry schedule: pure functions."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

import watchwire.alerts
from watchwire.alerts import next_retry_at
from watchwire.alerts.retry import backoff_delay
from watchwire.config import RetryPolicy
from watchwire.models import Article, Match, Span
from watchwire.payloads import alerts_of, build_alert_payload, build_digest_payload, iso_utc

from .conftest import T0, alert_payload

POLICY = RetryPolicy(first=timedelta(seconds=30), max=timedelta(hours=1),
                     give_up=timedelta(hours=24))  # fmt: skip

DIGEST_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_public_names_are_sorted() -> None:
    assert watchwire.alerts.__all__ == sorted(watchwire.alerts.__all__)
    for name in watchwire.alerts.__all__:
        assert hasattr(watchwire.alerts, name)


def test_alert_payload_has_exactly_the_design_fields() -> None:
    payload = alert_payload("a1")
    assert set(payload) == {"type", "id", "rule", "created_at", "article", "matches", "story"}
    assert payload["type"] == "watchwire.alert"
    assert payload["id"] == "a1"
    assert payload["created_at"] == "2026-11-30T12:00:00Z"
    assert set(payload["article"]) == {
        "url", "title", "source", "published_at", "language", "lead", "snippet",
    }  # fmt: skip
    assert payload["article"]["published_at"] == "2026-11-30T10:30:00Z"
    assert payload["article"]["source"] == "unn-en"
    assert payload["matches"][0] == {"field": "body", "text": "sanctions", "start": 30, "end": 39}
    assert payload["story"] == {
        "id": "7", "copies": ["https://unn.ua/en/news/belarus-sanctions",
                              "https://example.org/copy"],
    }  # fmt: skip


def test_times_are_utc_with_z_whatever_the_input_zone() -> None:
    kyiv = timezone(timedelta(hours=2))
    assert iso_utc(datetime(2026, 11, 30, 14, 0, tzinfo=kyiv)) == "2026-11-30T12:00:00Z"
    assert iso_utc(datetime(2026, 11, 30, 12, 0, 0, 250000)) == "2026-11-30T12:00:00.250Z"


def test_missing_lead_falls_back_to_the_first_paragraph_shortened() -> None:
    article = Article(title="t", paragraphs=("word " * 300,), text="word " * 300)
    payload = build_alert_payload(
        alert_id="x", rule="r", article=article, source="s",
        matches=Match(rule="r", spans=(Span(field="title", start=0, end=1, text="t"),),
                      snippet="«t»"),
        story_id="s1", copies=(), created_at=T0,
    )  # fmt: skip
    lead = payload["article"]["lead"]
    assert lead.startswith("word word") and lead.endswith("…") and len(lead) <= 500
    assert payload["article"]["published_at"] is None
    assert payload["story"]["id"] == "s1"


def test_digest_carries_its_alerts_in_order() -> None:
    digest = build_digest_payload(
        "d1", [alert_payload("a1"), alert_payload("a2")], created_at=DIGEST_AT
    )
    assert digest["type"] == "watchwire.digest" and digest["id"] == "d1"
    assert [a["id"] for a in alerts_of(digest)] == ["a1", "a2"]
    assert [a["id"] for a in alerts_of(alert_payload("a3"))] == ["a3"]


# --- retry ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("attempts", "cap"), [(1, 30), (2, 60), (3, 120), (8, 3600), (60, 3600)])
def test_backoff_doubles_from_first_to_max_with_jitter(attempts: int, cap: float) -> None:
    rng = random.Random(1)
    delays = [backoff_delay(POLICY, attempts, rng).total_seconds() for _ in range(200)]
    assert all(cap / 2 <= d <= cap for d in delays)
    assert len(set(delays)) > 100  # jittered, not one fixed value


def test_next_retry_is_now_plus_backoff() -> None:
    when = next_retry_at(POLICY, attempts=1, first_created=T0, now=T0,
                         retry_after=None, rng=random.Random(0))  # fmt: skip
    assert when is not None and T0 + timedelta(seconds=15) <= when <= T0 + timedelta(seconds=30)


def test_retry_after_replaces_the_backoff_but_never_exceeds_max() -> None:
    rng = random.Random(0)
    at = next_retry_at(POLICY, attempts=1, first_created=T0, now=T0, retry_after=120, rng=rng)
    assert at == T0 + timedelta(seconds=120)
    at = next_retry_at(POLICY, attempts=1, first_created=T0, now=T0, retry_after=10**6, rng=rng)
    assert at == T0 + timedelta(hours=1)


def test_gives_up_once_give_up_has_passed() -> None:
    rng = random.Random(0)
    late = T0 + timedelta(hours=24)
    assert next_retry_at(POLICY, attempts=30, first_created=T0, now=late,
                         retry_after=None, rng=rng) is None  # fmt: skip


def test_last_retry_is_at_the_give_up_deadline_not_after() -> None:
    rng = random.Random(0)
    now = T0 + timedelta(hours=23, minutes=50)
    at = next_retry_at(POLICY, attempts=30, first_created=T0, now=now, retry_after=None, rng=rng)
    assert at == T0 + timedelta(hours=24)


def test_a_whole_schedule_spans_hours_not_minutes() -> None:
    """30 s doubling to 1 h over 24 h: about thirty attempts, the last ones an hour apart."""
    rng, now, attempts = random.Random(42), T0, 0
    while True:
        attempts += 1
        at = next_retry_at(POLICY, attempts=attempts, first_created=T0, now=now,
                           retry_after=None, rng=rng)  # fmt: skip
        if at is None:
            break
        now = at
    assert now == T0 + timedelta(hours=24)
    assert 20 <= attempts <= 60


def test_naive_datetimes_are_taken_as_utc() -> None:
    assert iso_utc(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"
    assert iso_utc(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
