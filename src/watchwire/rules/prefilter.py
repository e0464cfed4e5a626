"""The prefilter: which rules could possibly match an article, found without evaluating them.

Every rule has a superset condition in conjunctive form (``compiler.clauses``): each clause a
set of literals (``word`` or ``prefix*``), one of which must occur. Rules are indexed by their
two rarest clauses (under every *pair* of a literal of one and a literal of the other), or by
their only clause (an *anchor*). For an article, the literals present are its words plus every
indexed prefix that one of its words starts with — found in one pass of an Aho-Corasick
automaton over the article's distinct words, each preceded by a separator so that keys
match word starts only. Candidates are the rules whose pair or anchor is present (set
intersections, in C); their other clauses are then checked by set operations, and only the
survivors are evaluated.

The cost per article is its distinct words plus the candidates, not the number of rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Final

import ahocorasick

from watchwire.rules.compiler import clause_cost

__all__ = ["Prefilter", "PrefixHits"]

_SEP: Final = "\x1f"
_VALUE: Final = itemgetter(1)
"""An automaton hit's value: the ``prefix*`` literal."""

Clauses = tuple[frozenset[str], ...]


class Prefilter:
    """An index from literals to the rules that need them."""

    def __init__(
        self,
        rule_clauses: Sequence[Clauses],
        prefixes: Iterable[str],
        cost: Callable[[frozenset[str]], float] = clause_cost,
    ) -> None:
        anchors: dict[str, list[int]] = {}
        pairs: dict[str, dict[str, list[int]]] = {}
        always: list[int] = []
        checks: list[tuple[frozenset[str], tuple[frozenset[str], ...]] | None] = []
        for index, clauses in enumerate(rule_clauses):
            ranked = sorted(set(clauses), key=cost)
            if len(ranked) >= 2:
                first, second = ranked[0], ranked[1]
                for x in first:
                    by_second = pairs.setdefault(x, {})
                    for y in second:
                        by_second.setdefault(y, []).append(index)
            elif ranked:
                for lit in ranked[0]:
                    anchors.setdefault(lit, []).append(index)
            else:
                always.append(index)
            # What a hit leaves to check: the clauses beyond the one or two it was found by.
            rest = ranked[2:] if len(ranked) >= 2 else []
            singles = frozenset(lit for c in rest if len(c) == 1 for lit in c)
            others = tuple(c for c in rest if len(c) > 1)
            checks.append((singles, others) if rest else None)
        self.anchors = anchors
        self.anchor_keys = frozenset(anchors)
        self.pairs = {k: (frozenset(v), v) for k, v in pairs.items()}
        self.pair_keys = frozenset(pairs)
        self.always = always
        # Most clauses are one literal: those are checked together by one subset test.
        self.checks = tuple(checks)
        self.prefixes = frozenset(prefixes)
        self.automaton = _automaton({_SEP + p: p + "*" for p in self.prefixes})

    def scan(self, vocab: set[str]) -> tuple[set[str], PrefixHits]:
        """The literals present among ``vocab``, and the prefixes found there.

        One pass of the automaton, in C: each hit adds its ``prefix*`` literal.
        """
        if self.automaton is None or not vocab:
            return vocab, PrefixHits("", vocab)
        hay = _SEP + _SEP.join(vocab) + _SEP
        present = set(vocab)
        present.update(map(_VALUE, self.automaton.iter(hay)))
        return present, PrefixHits(hay, present)

    def candidates(self, present: set[str]) -> list[int]:
        """Indices of the rules whose every clause has a literal in ``present``, in order."""
        hits: set[int] = set(self.always)
        anchors = self.anchors
        for lit in self.anchor_keys & present:
            hits.update(anchors[lit])
        pairs = self.pairs
        for lit in self.pair_keys & present:
            keys, by_second = pairs[lit]
            if not keys.isdisjoint(present):  # mostly not: no set is built for nothing
                for second in keys & present:
                    hits.update(by_second[second])
        checks = self.checks
        out: list[int] = []
        for i in hits:
            check = checks[i]
            if check is None or (
                check[0] <= present and all(not present.isdisjoint(c) for c in check[1])
            ):
                out.append(i)
        out.sort()
        return out


class PrefixHits:
    """The words of an article that start with each prefix found there, cut out on demand."""

    __slots__ = ("_hay", "_present")

    def __init__(self, hay: str, present: set[str]) -> None:
        self._hay = hay
        self._present = present

    def words(self, prefix: str) -> list[str] | None:
        """The words that start with ``prefix``; None when none does (or it was not sought)."""
        if prefix + "*" not in self._present:
            return None
        hay, key = self._hay, _SEP + prefix
        out: list[str] = []
        at = hay.find(key)
        while at >= 0:
            out.append(hay[at + 1 : hay.index(_SEP, at + 1)])
            at = hay.find(key, at + 1)
        return out


def _automaton(keys: Mapping[str, object]) -> ahocorasick.Automaton | None:
    if not keys:
        return None
    automaton = ahocorasick.Automaton()
    for key, value in keys.items():
        automaton.add_word(key, value)
    automaton.make_automaton()
    return automaton
