"""Prometheus metrics: the one room that imports ``prometheus_client``.

``Metrics`` is an ``observe.Observer``: the stages report to it as they work (counters and
histograms), and ``/metrics`` sets the gauges that are read from the store (outbox, source
states, store size) just before rendering (``refresh``). Its registry is its own, not the
library's global one: two services in one process (tests) do not share series.

Label cardinality, with 10,000 sources in mind: no series has a per-source or per-rule label
except ``watchwire_source_unhealthy``, which has one series per source *not* ``ok`` (bounded
by the sources that need a person, and what an alert rule wants to name). Everything else is
labelled only by closed sets — poll and fetch outcomes, fetch purposes, source states — and by
channel, which a config has a handful of. Per-source detail is ``watchwire sources --json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "Metrics", "ScrapeState", "UnhealthySource"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_RULE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05)
_LATENCY_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 86400.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnhealthySource:
    name: str
    state: str
    since: float
    """Unix time the state began."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScrapeState:
    """What ``/metrics`` reads from the store and the service at each scrape."""

    outbox: Mapping[str, int]
    oldest_pending_age: float | None
    source_states: Mapping[str, int]
    unhealthy: Sequence[UnhealthySource]
    store_bytes: int | None
    workers: int
    rules: int


class _Scraped(Collector):
    """The gauges of the last ``refresh``, as fresh families each collect (so series of
    sources that recovered vanish instead of lingering)."""

    def __init__(self) -> None:
        self.state: ScrapeState | None = None

    def collect(self) -> Iterable[GaugeMetricFamily]:
        st = self.state
        if st is None:
            return
        outbox = GaugeMetricFamily(
            "watchwire_outbox_messages", "Outbox messages by state", labels=["state"]
        )
        for state, n in sorted(st.outbox.items()):
            outbox.add_metric([state], n)
        yield outbox
        yield GaugeMetricFamily(
            "watchwire_outbox_oldest_pending_age_seconds",
            "Age of the oldest message waiting for delivery (0: none)",
            value=st.oldest_pending_age or 0.0,
        )
        sources = GaugeMetricFamily(
            "watchwire_sources", "Configured sources by health state", labels=["state"]
        )
        for state, n in sorted(st.source_states.items()):
            sources.add_metric([state], n)
        yield sources
        bad = GaugeMetricFamily(
            "watchwire_source_unhealthy",
            "Unix time since which a source not ok has been in its state (one series per such "
            "source)",
            labels=["source", "state"],
        )
        for s in st.unhealthy:
            bad.add_metric([s.name, s.state], s.since)
        yield bad
        if st.store_bytes is not None:
            yield GaugeMetricFamily(
                "watchwire_store_size_bytes", "Size of the store on disk", value=st.store_bytes
            )
        yield GaugeMetricFamily(
            "watchwire_extraction_workers", "Extraction worker processes running", value=st.workers
        )
        yield GaugeMetricFamily("watchwire_rules", "Rules enabled", value=st.rules)


class Metrics:
    """Every series watchwire exports, on a registry of its own."""

    def __init__(self, *, process: bool = True) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if process:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        r = self.registry
        self._polls = Counter("watchwire_polls", "Source polls by outcome", ["outcome"], registry=r)
        self._fetches = Counter(
            "watchwire_fetches", "Fetches by purpose and outcome", ["purpose", "outcome"],
            registry=r,
        )  # fmt: skip
        self._fetch_time = Histogram(
            "watchwire_fetch_duration_seconds", "Time of one fetch, redirects and retries "
            "included", ["purpose"], buckets=_FETCH_BUCKETS, registry=r,
        )  # fmt: skip
        self._discovered = Counter(
            "watchwire_articles_discovered", "Article links found in source documents", registry=r
        )
        self._new = Counter(
            "watchwire_articles_new", "Article links not seen before (fetched)", registry=r
        )
        self._stored = Counter("watchwire_articles_stored", "Articles stored", registry=r)
        self._given_up = Counter(
            "watchwire_articles_given_up", "Article pages lost for good", registry=r
        )
        self._rules = Histogram(
            "watchwire_rule_evaluation_seconds", "Time to match every rule against one article",
            buckets=_RULE_BUCKETS, registry=r,
        )  # fmt: skip
        self._created = Counter(
            "watchwire_alerts_created", "Alerts written to the outbox", ["channel"], registry=r
        )
        self._delivered = Counter(
            "watchwire_messages_delivered", "Messages (alerts, digests, health alerts) "
            "delivered", ["channel", "kind"], registry=r,
        )  # fmt: skip
        self._attempts_failed = Counter(
            "watchwire_delivery_attempts_failed", "Delivery attempts that failed (retried or "
            "given up)", ["channel"], registry=r,
        )  # fmt: skip
        self._failed = Counter(
            "watchwire_messages_failed", "Messages given up (failed)", ["channel"], registry=r
        )
        self._latency = Histogram(
            "watchwire_alert_latency_seconds", "From an article's first sight to its alert's "
            "delivery", buckets=_LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self._scraped = _Scraped()
        r.register(self._scraped)

    # --- Observer -------------------------------------------------------------------------

    def polled(self, outcome: str, seconds: float) -> None:
        self._polls.labels(outcome).inc()

    def fetched(self, purpose: str, outcome: str, seconds: float) -> None:
        self._fetches.labels(purpose, outcome).inc()
        self._fetch_time.labels(purpose).observe(seconds)

    def articles(self, *, discovered: int, new: int, stored: int, given_up: int) -> None:
        self._discovered.inc(discovered)
        self._new.inc(new)
        self._stored.inc(stored)
        self._given_up.inc(given_up)

    def rules_evaluated(self, seconds: float) -> None:
        self._rules.observe(seconds)

    def alerts_created(self, channel: str, count: int) -> None:
        self._created.labels(channel).inc(count)

    def delivered(self, channel: str, kind: str, latencies: Sequence[float]) -> None:
        self._delivered.labels(channel, kind).inc()
        for seconds in latencies:
            self._latency.observe(max(seconds, 0.0))

    def delivery_failed(self, channel: str, *, final: bool) -> None:
        self._attempts_failed.labels(channel).inc()
        if final:
            self._failed.labels(channel).inc()

    # --- scrape ---------------------------------------------------------------------------

    def render(self, state: ScrapeState) -> bytes:
        """The text exposition format, with the gauges of ``state``."""
        self._scraped.state = state
        return generate_latest(self.registry)
