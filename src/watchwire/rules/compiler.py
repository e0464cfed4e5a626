"""Compile a rule's syntax tree into an evaluable tree, and its prefilter literals.

Every node answers one question: ``inst(doc, lo, hi)`` — the occurrences of the node inside
the position window ``lo..hi`` of a :class:`~watchwire.rules.document.Document`, or ``None``
when it does not hold there. ``NOT`` ignores the window: it is judged on the whole article
(of the rule's fields), as ``within:`` promises.

Prefilter literals are a superset condition in conjunctive form: a tuple of *clauses*, each a
set of literals (``word`` or ``prefix*``) of which at least one must occur in the article for
the rule to have any chance. The cheapest clause becomes the rule's anchor in the index.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from watchwire.exceptions import QuerySyntaxError
from watchwire.rules.document import ALL_FIELDS, END, SPACING, Document, Inst, runs_of
from watchwire.rules.nodes import FIELDS, And, Fielded, Near, Node, Not, Or, Phrase, TermRef, Word
from watchwire.rules.parser import parse_entry

__all__ = ["CAnd", "CLeaf", "CNear", "CNode", "CNot", "COr", "Compiler", "clause_cost"]

Clauses = tuple[frozenset[str], ...]


@dataclass(eq=False, slots=True)
class CLeaf:
    """A word, a prefix or a phrase, restricted to the fields in ``mask``."""

    words: tuple[tuple[str, bool], ...]
    mask: int
    source: str
    key: int
    """Equal for equal ``(words, mask)`` across all rules: the per-article cache key."""

    def occurrences(self, doc: Document) -> list[int]:
        """Start positions of the leaf in the article, ascending."""
        cached = doc.leaf_cache.get(self.key)
        if cached is not None:
            return cached
        first = doc.word_positions(*self.words[0])
        if len(self.words) > 1 and first:
            # A phrase: the next words are read off the tokens, not looked up.
            tokens = doc.tokens
            for k, (word, prefix) in enumerate(self.words[1:], 1):
                kept: list[int] = []
                for p in first:
                    toks = tokens[p // SPACING]
                    i = p % SPACING + k
                    if i < len(toks) and (toks[i].startswith(word) if prefix else toks[i] == word):
                        kept.append(p)
                first = kept
        if self.mask != ALL_FIELDS:
            first = [p for p in first if self.mask >> (p // SPACING) & 1]
        doc.leaf_cache[self.key] = first
        return first

    def holds(self, doc: Document, lo: int, hi: int) -> bool:
        if lo == 0 and hi == END and len(self.words) == 1:
            # One word on the whole article: the vocabulary says, no positions needed.
            word, prefix = self.words[0]
            return doc.contains(word, prefix, self.mask)
        starts = self.occurrences(doc)
        i = bisect_left(starts, lo)
        return i < len(starts) and starts[i] <= hi - len(self.words)

    def inst(self, doc: Document, lo: int, hi: int) -> list[Inst] | None:
        insts = doc.inst_cache.get(self.key)
        if insts is None:
            n = len(self.words)
            insts = doc.inst_cache[self.key] = [(p, p + n) for p in self.occurrences(doc)]
        if lo == 0 and hi == END:
            return insts or None
        starts = self.occurrences(doc)
        i = bisect_left(starts, lo)
        j = bisect_right(starts, hi - len(self.words))
        return insts[i:j] if j > i else None


@dataclass(eq=False, slots=True)
class CAnd:
    children: tuple[CNode, ...]
    source: str
    cheap_first: tuple[CNode, ...]
    """The children, the cheapest to decide first (set by the compiler)."""

    def holds(self, doc: Document, lo: int, hi: int) -> bool:
        for child in self.cheap_first:  # noqa: SIM110 -- the hot path: no generator per call
            if not child.holds(doc, lo, hi):
                return False
        return True

    def inst(self, doc: Document, lo: int, hi: int) -> list[Inst] | None:
        out: list[Inst] = []
        for child in self.children:
            got = child.inst(doc, lo, hi)
            if got is None:
                return None
            out.extend(got)
        return out


@dataclass(eq=False, slots=True)
class COr:
    children: tuple[CNode, ...]
    source: str

    def holds(self, doc: Document, lo: int, hi: int) -> bool:
        for child in self.children:  # noqa: SIM110 -- the hot path: no generator per call
            if child.holds(doc, lo, hi):
                return True
        return False

    def inst(self, doc: Document, lo: int, hi: int) -> list[Inst] | None:
        out: list[Inst] | None = None
        for child in self.children:
            got = child.inst(doc, lo, hi)
            if got is not None:
                out = got if out is None else [*out, *got]
        return out


@dataclass(eq=False, slots=True)
class CNot:
    child: CNode
    source: str

    def absent(self, doc: Document) -> bool:
        """True when the child occurs nowhere in the article (window-independent)."""
        got = doc.not_cache.get(self)
        if got is None:
            got = doc.not_cache[self] = not self.child.holds(doc, 0, END)
        return got

    def holds(self, doc: Document, lo: int, hi: int) -> bool:
        return self.absent(doc)

    def inst(self, doc: Document, lo: int, hi: int) -> list[Inst] | None:
        return [] if self.absent(doc) else None


@dataclass(eq=False, slots=True)
class CNear:
    """Same field, at most ``distance`` words between the two sides (as SQLite FTS5)."""

    left: CNode
    right: CNode
    distance: int
    source: str

    def holds(self, doc: Document, lo: int, hi: int) -> bool:
        return bool(self._pairs(doc, lo, hi, True))

    def inst(self, doc: Document, lo: int, hi: int) -> list[Inst] | None:
        return self._pairs(doc, lo, hi, False) or None

    def _pairs(self, doc: Document, lo: int, hi: int, first: bool) -> list[Inst]:
        """The pairs of occurrences near enough (only the first one found when ``first``)."""
        out: list[Inst] = []
        a = self.left.inst(doc, lo, hi)
        if a is None:
            return out
        b = self.right.inst(doc, lo, hi)
        if not a or not b:
            return out
        b = sorted(b)
        b_starts = [x[0] for x in b]
        longest = max(x[1] - x[0] for x in b)
        n = self.distance
        for x in a:
            s, e = x[0], x[1]
            k = bisect_left(b_starts, s - n - longest)
            stop = bisect_right(b_starts, e + n)
            for y in b[k:stop]:
                s2, e2 = y[0], y[1]
                if max(s, s2) - min(e, e2) <= n and s // SPACING == s2 // SPACING:
                    out.append((min(s, s2), max(e, e2), runs_of(x) + runs_of(y)))
                    if first:
                        return out
        return out


CNode = CLeaf | CAnd | COr | CNot | CNear


def clause_cost(clause: frozenset[str]) -> float:
    """How often a clause is expected to hold: short words and prefixes are common."""
    return sum((3.0 if lit.endswith("*") else 1.0) / max(1, len(lit) - 1) for lit in clause)


class Compiler:
    """Compiles queries against one ``terms:`` map, sharing term-set subtrees between rules."""

    def __init__(self, terms: Mapping[str, Sequence[str]]) -> None:
        self.terms = terms
        self._entries: dict[str, tuple[tuple[str, Word | Phrase], ...]] = {}
        self._shared: dict[tuple[str, int], COr] = {}
        self._leaf_keys: dict[tuple[tuple[tuple[str, bool], ...], int], int] = {}

    def entries(self, name: str) -> tuple[tuple[str, Word | Phrase], ...]:
        """The spellings of a term set, each with its parsed form."""
        got = self._entries.get(name)
        if got is None:
            got = tuple((e, parse_entry(e)) for e in self.terms[name] if e.strip())
            self._entries[name] = got
        return got

    def _entries_for(self, node: TermRef, query: str) -> tuple[tuple[str, Word | Phrase], ...]:
        """:meth:`entries`, with a bad spelling reported at the ``@`` of the query using it."""
        try:
            return self.entries(node.name)
        except QuerySyntaxError as exc:
            problem = exc.message.rsplit(" at column ", 1)[0]
            raise QuerySyntaxError(
                f"term set '@{node.name}': spelling {exc.query!r}: {problem}",
                query=query,
                column=node.start + 1,
            ) from None

    def check(self, node: Node, query: str) -> None:
        """Raise for ``@names`` that the ``terms:`` map does not define (column of the ``@``)."""
        if isinstance(node, TermRef):
            if node.name not in self.terms:
                known = ", ".join(sorted(self.terms)) or "none defined"
                raise QuerySyntaxError(
                    f"unknown term set '@{node.name}' (terms: {known})",
                    query=query,
                    column=node.start + 1,
                )
            if not self._entries_for(node, query):
                raise QuerySyntaxError(
                    f"term set '@{node.name}' is empty", query=query, column=node.start + 1
                )
        elif isinstance(node, And | Or):
            for child in node.children:
                self.check(child, query)
        elif isinstance(node, Not | Fielded):
            self.check(node.child, query)
        elif isinstance(node, Near):
            self.check(node.left, query)
            self.check(node.right, query)

    def leaf(self, words: tuple[tuple[str, bool], ...], mask: int, source: str) -> CLeaf:
        key = self._leaf_keys.setdefault((words, mask), len(self._leaf_keys))
        return CLeaf(words, mask, source, key)

    def compile(self, node: Node, query: str, mask: int) -> CNode:
        source = query[node.start : node.end]
        if isinstance(node, Word):
            return self.leaf(((node.text, node.prefix),), mask, source)
        if isinstance(node, Phrase):
            return self.leaf(tuple((w.text, w.prefix) for w in node.words), mask, source)
        if isinstance(node, TermRef):
            key = (node.name, mask)
            shared = self._shared.get(key)
            if shared is None:
                # An entry's positions are in its own text, not in this query.
                leaves = tuple(self.compile(e, raw, mask) for raw, e in self.entries(node.name))
                shared = self._shared[key] = COr(leaves, "@" + node.name)
            return shared
        if isinstance(node, And):
            children = tuple(self.compile(c, query, mask) for c in node.children)
            return CAnd(children, source, tuple(sorted(children, key=cost)))
        if isinstance(node, Or):
            return COr(tuple(self.compile(c, query, mask) for c in node.children), source)
        if isinstance(node, Not):
            return CNot(self.compile(node.child, query, mask), source)
        if isinstance(node, Near):
            left = self.compile(node.left, query, mask)
            right = self.compile(node.right, query, mask)
            return CNear(left, right, node.distance, source)
        got = self.compile(node.child, query, mask & (1 << FIELDS.index(node.field)))
        if isinstance(got, CLeaf):  # a fresh leaf (term sets are shared): name it as written
            got.source = source
        return got


def cost(node: CNode) -> int:
    """A rough cost of deciding a node: words first, NEAR last."""
    if isinstance(node, CLeaf):
        return 1 if len(node.words) == 1 and not node.words[0][1] else 2 * len(node.words)
    if isinstance(node, CAnd | COr):
        return 1 + sum(cost(child) for child in node.children)
    if isinstance(node, CNot):
        return 1
    return 8 + cost(node.left) + cost(node.right)


def clauses(node: CNode) -> Clauses:
    """The rule's prefilter condition: every clause must have a literal in the article."""
    if isinstance(node, CLeaf):
        return tuple(frozenset({w + "*" if p else w}) for w, p in node.words) if node.mask else ()
    if isinstance(node, CAnd):
        return tuple(c for child in node.children for c in clauses(child))
    if isinstance(node, COr):
        best: set[str] = set()
        for child in node.children:
            got = clauses(child)
            if not got:
                return ()
            best.update(min(got, key=clause_cost))  # type: ignore[arg-type]
        return (frozenset(best),)
    if isinstance(node, CNear):
        return clauses(node.left) + clauses(node.right)
    return ()


def positive_leaves(node: CNode) -> list[CLeaf]:
    """The leaves outside any NOT: the ones a window must contain."""
    if isinstance(node, CLeaf):
        return [node]
    if isinstance(node, CAnd | COr):
        return [leaf for child in node.children for leaf in positive_leaves(child)]
    if isinstance(node, CNear):
        return positive_leaves(node.left) + positive_leaves(node.right)
    return []


def required_leaves(node: CNode) -> list[CLeaf]:
    """Leaves that must occur inside any window where the positive part holds."""
    if isinstance(node, CLeaf):
        return [node]
    if isinstance(node, CAnd):
        return [leaf for child in node.children for leaf in required_leaves(child)]
    if isinstance(node, CNear):
        return required_leaves(node.left) + required_leaves(node.right)
    return []


def one_clause(node: CNode) -> bool:
    """Whether ``clauses(node)`` is one clause that holds exactly when the node does.

    True for a word or prefix in any field, and for ORs of those.
    """
    if isinstance(node, CLeaf):
        return len(node.words) == 1 and node.mask == ALL_FIELDS
    return isinstance(node, COr) and all(one_clause(child) for child in node.children)


def exact_clauses(node: CNode) -> bool:
    """Whether ``clauses(node)`` holds exactly when the node does on the whole article.

    Then a rule the prefilter lets through (every clause has a literal in the article)
    matches without being evaluated: ANDs of words, prefixes and ORs of those.
    """
    if isinstance(node, CAnd):
        return all(exact_clauses(child) for child in node.children)
    return one_clause(node)


def has_near(node: CNode) -> bool:
    """Whether the tree holds a NEAR (NOT parts included)."""
    if isinstance(node, CNear):
        return True
    if isinstance(node, CAnd | COr):
        return any(has_near(child) for child in node.children)
    return isinstance(node, CNot) and has_near(node.child)


def prefix_literals(node: CNode) -> set[str]:
    """Every prefix in the tree, NOT parts included (they are evaluated too)."""
    if isinstance(node, CLeaf):
        return {w for w, p in node.words if p}
    if isinstance(node, CAnd | COr):
        return {p for child in node.children for p in prefix_literals(child)}
    if isinstance(node, CNear):
        return prefix_literals(node.left) | prefix_literals(node.right)
    return prefix_literals(node.child)
