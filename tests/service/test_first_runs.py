"""First polls at start: spread over half their interval, at most 60 s, per interval; a few
sources a quarter second apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchwire.rota import first_runs

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_sources_sharing_an_interval_are_spread_evenly_over_at_most_a_minute() -> None:
    names = {f"s{i}": timedelta(minutes=10) for i in range(1000)}
    names |= {f"fast{i}": timedelta(seconds=20) for i in range(10)}
    starts = first_runs(names, now=T0)
    slow = sorted(starts[f"s{i}"] - T0 for i in range(1000))
    assert slow[0] == timedelta(0) and slow[-1] < timedelta(seconds=60)
    assert slow[-1] > timedelta(seconds=59)  # the whole minute is used, not the first 5 s
    per_second = max(sum(1 for d in slow if int(d.total_seconds()) == s) for s in range(60))
    assert per_second <= 17  # 1000 over 60 s: no burst
    fast = sorted(starts[f"fast{i}"] - T0 for i in range(10))
    assert fast[-1] < timedelta(seconds=2.5)  # a few sources: a quarter second apart


def test_a_few_sources_start_within_seconds() -> None:
    starts = first_runs({f"s{i}": timedelta(hours=1) for i in range(5)}, now=T0)
    assert max(starts.values()) - T0 < timedelta(seconds=1.25)
