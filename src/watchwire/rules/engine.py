"""The rule set: all rules of a config compiled once, matched against articles.

``RuleSet.match`` is the hot path: tokenise the article once (cheap form), ask the prefilter
which rules can possibly match, and decide only those — with booleans (``CompiledRule.matches``),
not at all for rules the prefilter decides alone (``decided``). A match's spans and snippet are
built when first read (``CompiledRule.evaluate``, the occurrences), from the same document, so
they are what building them at once would give. ``RuleSet.explain`` evaluates every rule and
says why each matched or did not, for ``watchwire check``.

Filters, in this order: ``sources`` (skipped when the caller does not know the source),
``languages`` (an article whose language is unknown passes — an extractor that fails to tell
the language must not silence alerts), then the query within the rule's ``within`` window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from watchwire.models import Article, Match, Span
from watchwire.rules.compiler import (
    CAnd,
    CLeaf,
    CNear,
    CNode,
    CNot,
    Compiler,
    clauses,
    exact_clauses,
    has_near,
    one_clause,
    positive_leaves,
    prefix_literals,
    required_leaves,
)
from watchwire.rules.document import END, SPACING, Document, Inst, Run, field_mask
from watchwire.rules.frequencies import WordFrequencies
from watchwire.rules.nodes import FIELDS, Node
from watchwire.rules.parser import parse_query
from watchwire.rules.prefilter import Prefilter
from watchwire.rules.search import SearchQuery, search_query
from watchwire.rules.snippet import snippet
from watchwire.rules.spec import RuleSpec, Within

__all__ = ["CompiledRule", "QueryChecker", "RuleReport", "RuleSet", "compile_rules"]

SCAN_CANDIDATES = 32
"""Candidate rules beyond which an article's words are all indexed before evaluating."""
SPANS_INDEX_MATCHES = 3
"""Matches in an article beyond which building spans indexes every word at once."""
LOCAL_WINDOWS = 4
"""Windows up to which a word is looked for in the text of each, not all over the article."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleReport:
    """Why one rule did or did not match one article (``watchwire check``)."""

    rule: str
    matched: bool
    spans: tuple[Span, ...] = ()
    snippet: str = ""
    missing: tuple[str, ...] = ()
    """Required terms (as written in the query) that occur nowhere in the rule's fields."""
    excluded: tuple[str, ...] = ()
    """``NOT`` terms that do occur, and so veto the match."""
    reason: str = ""
    """One line for people: ``matched``, ``missing: sanction*``, ``not within one sentence``..."""


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class CompiledRule:
    """One rule, ready to evaluate."""

    spec: RuleSpec
    name: str
    within: Within
    ast: Node
    root: CNode
    clauses: tuple[frozenset[str], ...]
    leaves: tuple[CLeaf, ...]
    """The positive leaves (outside NOT), which N-word windows start at."""
    required: tuple[CLeaf, ...]
    """The leaves every window that matches must hold (those ANDed at the top)."""
    sources: frozenset[str] | None
    languages: frozenset[str] | None
    near: bool
    """The query holds a NEAR (whose occurrences are pairs of runs)."""
    decided: bool
    """Passing the prefilter is matching: the prefilter's clauses are exactly the query."""

    def admits(self, source: str | None, language: str | None) -> str | None:
        """Why the rule's filters reject an article, or None when they let it through.

        ``language`` is the article's primary subtag (``_language``), None when unknown.
        """
        if source is not None and self.sources is not None and source not in self.sources:
            return f"source '{source}' is not one of the rule's sources"
        if language is not None and self.languages is not None and language not in self.languages:
            return f"language '{language}' is not one of the rule's languages"
        return None

    def matches(self, doc: Document) -> bool:
        """Whether the rule holds within its window (cheaper than :meth:`evaluate`)."""
        if not self.root.holds(doc, 0, END):
            return False
        kind = self.within.kind
        if kind == "article" or not self.leaves:
            return True
        if kind != "words":
            found, exact = _windows_of(self.root, doc, kind)
            if exact or (found is not None and not found):
                return found is None or bool(found)
        windows = self._windows(doc)
        if windows is None:
            return False
        holds = self.root.holds
        return any(holds(doc, lo, hi) for lo, hi in windows)

    def evaluate(self, doc: Document) -> list[Inst] | None:
        """The occurrences that satisfy the rule within its window, or None."""
        whole = self.root.inst(doc, 0, END)
        if whole is None or self.within.kind == "article" or not self.leaves:
            # NOT does not depend on the window, the rest only gains from a larger one: what
            # fails on the whole article fails in every window.
            return whole
        windows = self._windows(doc)
        if windows is None:
            return None
        out: list[Inst] | None = None
        for lo, hi in windows:
            got = self.root.inst(doc, lo, hi)
            if got is not None:
                out = got if out is None else out + got
        return out

    def _windows(self, doc: Document) -> list[tuple[int, int]] | None:
        """The windows where the positive part may hold, in order; None when there is none."""
        within = self.within
        if within.kind == "words":
            starts = sorted({s for leaf in self.leaves for s in leaf.occurrences(doc)})
            windows = [(s, min(s + within.words, doc.field_end(s))) for s in starts]
        else:
            # Only windows holding a positive word can hold the positive part, and only those
            # holding every required one (the rarest first: the intersection only shrinks).
            kind = within.kind
            quick, _ = _windows_of(self.root, doc, kind)
            if quick is not None and not quick:
                return None
            # A position of each window that may hold, by window.
            if self.required:
                ranked = sorted((leaf.occurrences(doc) for leaf in self.required), key=len)
                found = {doc.window_index(kind, s): s for s in ranked[0]}
                for starts in ranked[1:]:
                    if not found:
                        break
                    also = {doc.window_index(kind, s) for s in starts}
                    found = {k: s for k, s in found.items() if k in also}
                if not found:
                    return None
            else:
                found = {
                    doc.window_index(kind, s): s
                    for leaf in self.leaves
                    for s in leaf.occurrences(doc)
                }
            windows = sorted(doc.window_range(kind, s) for s in found.values())
        if not windows:
            # No positive word anywhere: the query can still hold (``a OR NOT b``) in a
            # window where every word is absent.
            windows = [(0, 0)]
        return windows


Windows = set[tuple[int, int]] | None
"""Sentences or paragraphs as (field, number); None: every one."""


def _windows_of(
    node: CNode, doc: Document, kind: str, within: Windows = None
) -> tuple[Windows, bool]:
    """The sentences or paragraphs among ``within`` where ``node`` may hold, and whether exactly.

    ``within`` None is every window; so is a result of None. Found from the words' character
    offsets, before any window is cut into words. The set is a superset; it is exact (the
    second item) unless NEAR is involved, so that for most rules it decides the match alone.
    Only for a node that holds on the whole article.
    """
    if isinstance(node, CLeaf):
        if len(node.words) == 1:
            word, prefix = node.words[0]
            if within is not None and len(within) <= LOCAL_WINDOWS:
                local = doc.windows_holding(kind, word, prefix, node.mask, within)
                if local is not None:
                    return local, True
            found: set[tuple[int, int]] = set()
            words = doc.prefix_matches(word) if prefix else (word,)
            for f in range(len(FIELDS)):
                if node.mask >> f & 1:
                    for w in words:
                        found.update((f, n) for n in doc.word_windows(kind, f, w))
        else:
            found = set()
            last = len(node.words) - 1
            for s in node.occurrences(doc):
                index = doc.window_index(kind, s)
                if doc.window_index(kind, s + last) == index:
                    found.add(index)
        return (found if within is None else found & within), True
    if isinstance(node, CNot):
        return (None if node.absent(doc) else set()), True
    if isinstance(node, CAnd | CNear):
        # Each child only among the windows where the ones before it hold.
        children = node.cheap_first if isinstance(node, CAnd) else (node.left, node.right)
        common = within
        exact = isinstance(node, CAnd)
        for child in children:
            got, child_exact = _windows_of(child, doc, kind, common)
            exact = exact and child_exact
            if got is not None:
                common = got
                if not common:
                    return common, True
        return common, exact
    union: set[tuple[int, int]] = set()
    exact = True
    unknown = False
    for child in node.children:
        got, child_exact = _windows_of(child, doc, kind, within)
        if got is None:
            if child_exact:  # holds in every window
                return None, True
            unknown = True
        else:
            union |= got
            exact = exact and child_exact
    return (None, False) if unknown else (union, exact)


def _language(tag: str | None) -> str | None:
    if not tag:
        return None
    return tag.strip().lower().replace("_", "-").split("-")[0] or None


class RuleSet:
    """Every enabled rule of a config, compiled, with the prefilter over them."""

    def __init__(
        self,
        rules: Sequence[CompiledRule],
        frequencies: WordFrequencies | None = None,
        *,
        terms: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._rules = tuple(rules)
        self._terms = dict(terms or {})
        prefixes: set[str] = set()
        for r in self._rules:
            prefixes |= prefix_literals(r.root)
        clause_sets = [r.clauses for r in self._rules]
        if frequencies is None:
            self._prefilter = Prefilter(clause_sets, prefixes)
        else:
            self._prefilter = Prefilter(clause_sets, prefixes, frequencies.clause_cost)

    @property
    def rules(self) -> tuple[str, ...]:
        """The rule names, in config order."""
        return tuple(r.name for r in self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"<RuleSet of {len(self._rules)} rules>"

    def compiled(self, name: str) -> CompiledRule:
        """One compiled rule by name (KeyError when there is none)."""
        for r in self._rules:
            if r.name == name:
                return r
        raise KeyError(name)

    def search_query(self, name: str) -> SearchQuery:
        """What a store's search needs to find a rule's candidates (KeyError: no such rule)."""
        rule = self.compiled(name)
        return search_query(rule.ast, self._terms, fields=rule.spec.fields)

    def _document(self, article: Article) -> Document:
        doc = Document(article)
        doc.present, hits = self._prefilter.scan(doc.vocab)
        doc.prefix_lookup = hits.words
        doc.known_prefixes = self._prefilter.prefixes
        return doc

    def match(self, article: Article, *, source: str | None = None) -> list[Match]:
        """The rules that match ``article``, in config order, with spans and a snippet."""
        doc = self._document(article)
        out: list[Match] = []
        rules = self._rules
        language = _language(article.language)
        candidates = self._prefilter.candidates(doc.present)
        if len(candidates) > SCAN_CANDIDATES:
            doc.scan_limit = 0  # many words will be looked up: index them all at once
        for index in candidates:
            rule = rules[index]
            if (rule.sources is not None or rule.languages is not None) and rule.admits(
                source, language
            ) is not None:
                continue
            if rule.decided or rule.matches(doc):
                out.append(
                    Match.deferred(
                        rule.name, partial(_rule_spans, doc, rule), partial(_snippet, doc)
                    )
                )
        doc.matched = len(out)
        return out

    def explain(self, article: Article, *, source: str | None = None) -> list[RuleReport]:
        """Every rule, matched or not, and why (slow: evaluates each rule in full)."""
        doc = self._document(article)
        return [_explain(rule, doc, source) for rule in self._rules]


def _spans(doc: Document, insts: Iterable[Inst], near: bool = True) -> tuple[Span, ...]:
    """The matched word runs as character spans, in article order (cached per article).

    Without ``near``, every occurrence is a run (no NEAR pair among them).
    """
    found: set[Run]
    if near:
        found = set()
        for inst in insts:
            if len(inst) == 2:
                found.add(inst)
            else:
                found.update(inst[2])
    else:
        found = set(insts)  # type: ignore[arg-type]
    runs = tuple(sorted(found))
    cached = doc.spans_cache.get(runs)
    if cached is not None:
        return cached
    one = doc.span_cache
    texts = doc.texts
    out: list[Span] = []
    for run in runs:
        span = one.get(run)
        if span is None:
            name, lo, hi = doc.char_span(*run)
            text = texts[run[0] // SPACING][lo:hi]
            span = one[run] = Span(field=name, start=lo, end=hi, text=text)
        out.append(span)
    spans = doc.spans_cache[runs] = tuple(out)
    return spans


def _rule_spans(doc: Document, rule: CompiledRule) -> tuple[Span, ...]:
    """The spans of a rule that matched (built after matching, on demand)."""
    if doc.matched > SPANS_INDEX_MATCHES:
        doc.scan_limit = 0  # many spans need many words' positions: index them at once
    got = rule.evaluate(doc)
    assert got is not None, rule.name
    return _spans(doc, got, rule.near)


def _snippet(doc: Document, spans: tuple[Span, ...]) -> str:
    key = id(spans)  # spans tuples are cached per article: one object per set of runs
    got = doc.snippet_cache.get(key)
    if got is None:
        got = snippet(doc.named_texts, spans)
        doc.snippet_cache[key] = got
    return got


def _explain(rule: CompiledRule, doc: Document, source: str | None) -> RuleReport:
    name = rule.name
    rejected = rule.admits(source, _language(doc.article.language))
    if rejected is not None:
        return RuleReport(rule=name, matched=False, reason=rejected)
    got = rule.evaluate(doc)
    if got is not None:
        spans = _spans(doc, got)
        return RuleReport(
            rule=name, matched=True, spans=spans, snippet=_snippet(doc, spans), reason="matched"
        )
    missing: list[str] = []
    excluded: list[str] = []
    _why(rule.root, doc, missing, excluded)
    if missing:
        reason = "missing: " + ", ".join(missing)
    elif excluded:
        reason = "excluded by: " + ", ".join(excluded)
    elif rule.within.kind != "article":
        reason = f"the terms occur, but not within one {rule.within}".replace("one 1", "1")
        if rule.within.kind == "words":
            reason = f"the terms occur, but not within {rule.within}"
    else:
        reason = "the terms occur, but not as the query requires (order, distance or field)"
    return RuleReport(
        rule=name, matched=False, missing=tuple(missing), excluded=tuple(excluded), reason=reason
    )


def _why(node: CNode, doc: Document, missing: list[str], excluded: list[str]) -> None:
    """Collect the parts of an unmatched query that fail on the whole article."""
    if isinstance(node, CAnd):
        for child in node.children:
            _why(child, doc, missing, excluded)
    elif isinstance(node, CNot):
        if not node.absent(doc):
            excluded.append(node.child.source)
    elif node.inst(doc, 0, END) is None:
        missing.append(node.source)


class QueryChecker:
    """Checks queries against one ``terms:`` map without compiling them: what a config load
    needs to report a bad query at its place in the file."""

    def __init__(self, terms: Mapping[str, Sequence[str]]) -> None:
        self._compiler = Compiler(terms)

    def check(self, query: str) -> Node:
        """The parsed query; raises QuerySyntaxError for syntax and unknown ``@names``."""
        ast = parse_query(query)
        self._compiler.check(ast, query)
        return ast


def compile_rules(
    rules: Sequence[RuleSpec],
    terms: Mapping[str, Sequence[str]],
    *,
    include_disabled: bool = False,
    frequencies: WordFrequencies | None = None,
) -> RuleSet:
    """Parse and compile every rule; disabled ones are checked too, but left out of the set.

    ``include_disabled`` keeps them (``watchwire search --rule`` replays a rule before it is
    enabled). ``frequencies`` (of recent articles' words) let the prefilter anchor rules on
    their rarest words; results are the same without, only slower for large rule sets.

    Raises :class:`~watchwire.exceptions.QuerySyntaxError` for syntax errors and for ``@names``
    missing from ``terms`` (column of the ``@``).
    """
    compiler = Compiler(terms)
    out: list[CompiledRule] = []
    for config in rules:
        ast = parse_query(config.query)
        compiler.check(ast, config.query)
        if not (config.enabled or include_disabled):
            continue
        root = compiler.compile(ast, config.query, field_mask(config.fields))
        out.append(
            CompiledRule(
                spec=config,
                name=config.name,
                within=config.within,
                ast=ast,
                root=root,
                clauses=clauses(root),
                leaves=tuple(positive_leaves(root)),
                required=tuple(required_leaves(root)),
                near=has_near(root),
                decided=one_clause(root)  # one occurrence is in some window, whatever its kind
                or (config.within.kind == "article" and exact_clauses(root)),
                sources=frozenset(config.sources) if config.sources is not None else None,
                languages=(
                    frozenset(filter(None, map(_language, config.languages)))
                    if config.languages is not None
                    else None
                ),
            )
        )
    return RuleSet(out, frequencies, terms=terms)
