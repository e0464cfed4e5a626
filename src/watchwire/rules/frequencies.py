"""How common words are, so that the prefilter anchors each rule on its rarest words.

Without this the prefilter guesses rarity from length (long words are rarer). Given the share
of recent articles that contain each word — cheap to count from stored articles — it picks the
words that really are rare, and far fewer rules become candidates for each article. Results
never change: the anchor only decides which rules are looked at first, every clause is still
checked.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import accumulate

from watchwire.models import Article
from watchwire.rules.tokens import words

__all__ = ["WordFrequencies"]


class WordFrequencies:
    """The share of articles in which each (normalised) word occurs."""

    def __init__(self, counts: Mapping[str, int], articles: int) -> None:
        self.articles = max(1, articles)
        self._share = {w: n / self.articles for w, n in counts.items()}
        self._sorted = sorted(self._share)
        # Prefix sums over the sorted words: the share of a prefix is a range sum (an upper
        # bound, as one article may hold several words of the prefix).
        self._sums = [0.0, *accumulate(self._share[w] for w in self._sorted)]

    @classmethod
    def from_articles(cls, articles: Iterable[Article]) -> WordFrequencies:
        """Count, for each word, the articles whose title, lead or body contains it."""
        counts: Counter[str] = Counter()
        n = 0
        for a in articles:
            n += 1
            counts.update({*words(a.title), *words(a.lead), *words(a.text)})
        return cls(counts, n)

    def share(self, literal: str) -> float:
        """Estimated share of articles holding ``literal`` (``word`` or ``prefix*``)."""
        unseen = 0.5 / self.articles
        if not literal.endswith("*"):
            return self._share.get(literal, unseen)
        prefix = literal[:-1]
        lo = bisect_left(self._sorted, prefix)
        hi = bisect_left(self._sorted, prefix + "\U0010ffff")
        return min(1.0, max(unseen, self._sums[hi] - self._sums[lo]))

    def clause_cost(self, clause: frozenset[str]) -> float:
        """How likely any literal of the clause is present, roughly (the sum of shares)."""
        return sum(self.share(lit) for lit in clause)
