"""What the stages tell an observer as they work: one small interface, no metrics library.

The pipeline and the dispatcher report through ``Observer``; ``metrics.Metrics`` turns the
reports into Prometheus series, and anything else (a test, a benchmark) may listen instead.
``NullObserver`` listens to nothing. Calls are cheap and synchronous: an observer must not
block or raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["NullObserver", "Observer"]


class Observer(Protocol):
    def polled(self, outcome: str, seconds: float) -> None:
        """A poll of a source ended: ``ok`` (read), ``unchanged`` (304 or the same bytes),
        ``failed``, or ``skipped`` (backing off)."""
        ...

    def fetched(self, purpose: str, outcome: str, seconds: float) -> None:
        """A fetch for a ``feed`` (any source document) or a ``page`` ended with ``outcome``
        (``models.FetchOutcome``)."""
        ...

    def articles(self, *, discovered: int, new: int, stored: int, given_up: int) -> None:
        """What one poll did with the article links it found."""
        ...

    def rules_evaluated(self, seconds: float) -> None:
        """The rules were matched against one article."""
        ...

    def alerts_created(self, channel: str, count: int) -> None: ...

    def delivered(self, channel: str, kind: str, latencies: Sequence[float]) -> None:
        """A message went out on ``channel``; ``latencies``: for each article alert it
        carried, seconds from the article's first sight to now."""
        ...

    def delivery_failed(self, channel: str, *, final: bool) -> None:
        """An attempt failed; ``final``: the message is given up (``failed``)."""
        ...


class NullObserver:
    """Listens to nothing."""

    def polled(self, outcome: str, seconds: float) -> None:
        pass

    def fetched(self, purpose: str, outcome: str, seconds: float) -> None:
        pass

    def articles(self, *, discovered: int, new: int, stored: int, given_up: int) -> None:
        pass

    def rules_evaluated(self, seconds: float) -> None:
        pass

    def alerts_created(self, channel: str, count: int) -> None:
        pass

    def delivered(self, channel: str, kind: str, latencies: Sequence[float]) -> None:
        pass

    def delivery_failed(self, channel: str, *, final: bool) -> None:
        pass
