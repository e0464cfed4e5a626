"""A naive reference evaluator and random queries, for property and differential tests.

Deliberately simple: words are lower-case runs of ``[a-zа-яіїєґ]`` (the test vocabulary needs
nothing more), every window is tried, every pair is compared.
"""

from __future__ import annotations

import re

from hypothesis import strategies as st

from watchwire.rules import And, Near, Node, Not, Or, Phrase, Word

VOCAB = ["a", "ab", "abc", "b", "ba", "bab", "c", "ca", "білорусь", "білорусі", "бі", "санкції"]
PREFIXES = ["a", "ab", "b", "ba", "c", "біл", "бі", "санк"]


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-zа-яіїєґ]+", text.lower())


def _leaf_hits(node: Word | Phrase, toks: list[str]) -> set[tuple[int, int]]:
    parts = [node] if isinstance(node, Word) else list(node.words)
    out = set()
    for i in range(len(toks) - len(parts) + 1):
        if all(
            toks[i + k].startswith(p.text) if p.prefix else toks[i + k] == p.text
            for k, p in enumerate(parts)
        ):
            out.add((i, i + len(parts)))
    return out


def evaluate(node: Node, toks: list[str], lo: int, hi: int) -> set[tuple[int, int]] | None:
    """Occurrences of ``node`` inside ``toks[lo:hi]``; NOT looks at all of ``toks``."""
    if isinstance(node, Word | Phrase):
        hits = {(s, e) for s, e in _leaf_hits(node, toks) if lo <= s and e <= hi}
        return hits or None
    if isinstance(node, And):
        out: set[tuple[int, int]] = set()
        for c in node.children:
            got = evaluate(c, toks, lo, hi)
            if got is None:
                return None
            out |= got
        return out
    if isinstance(node, Or):
        found = [g for g in (evaluate(c, toks, lo, hi) for c in node.children) if g is not None]
        return set().union(*found) if found else None
    if isinstance(node, Not):
        return set() if evaluate(node.child, toks, 0, len(toks)) is None else None
    assert isinstance(node, Near)
    a = evaluate(node.left, toks, lo, hi)
    b = evaluate(node.right, toks, lo, hi)
    if not a or not b:
        return None
    pairs = {
        (min(s1, s2), max(e1, e2))
        for s1, e1 in a
        for s2, e2 in b
        if max(s1, s2) - min(e1, e2) <= node.distance
    }
    return pairs or None


def reference_match(node: Node, text: str, window: int | None = None) -> bool:
    """Does the query hold: in the article, or within some ``window`` consecutive words."""
    toks = words_of(text)
    if window is None:
        return evaluate(node, toks, 0, len(toks)) is not None
    starts = range(len(toks)) if toks else range(0)
    return evaluate(node, toks, 0, 0) is not None or any(
        evaluate(node, toks, s, min(s + window, len(toks))) is not None for s in starts
    )


def render(node: Node) -> str:
    """The node in query syntax, fully parenthesised (independent of the engine's printer)."""
    if isinstance(node, Word):
        return node.text + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return '"' + " ".join(render(w) for w in node.words) + '"'
    if isinstance(node, And):
        return "(" + " AND ".join(render(c) for c in node.children) + ")"
    if isinstance(node, Or):
        return "(" + " OR ".join(render(c) for c in node.children) + ")"
    if isinstance(node, Not):
        return "-" + render(node.child)
    assert isinstance(node, Near)
    return f"({render(node.left)} NEAR/{node.distance} {render(node.right)})"


def render_fts5(node: Node) -> str:
    """The node in FTS5 syntax, for the shared subset (NOT only as ``x AND NOT y``)."""
    if isinstance(node, Word):
        return f'"{node.text}"' + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return " + ".join(render_fts5(w) for w in node.words)
    if isinstance(node, And):
        pos = [render_fts5(c) for c in node.children if not isinstance(c, Not)]
        neg = [render_fts5(c.child) for c in node.children if isinstance(c, Not)]
        expr = "(" + " AND ".join(pos) + ")"
        for n in neg:
            expr = f"({expr} NOT {n})"
        return expr
    if isinstance(node, Or):
        return "(" + " OR ".join(render_fts5(c) for c in node.children) + ")"
    assert isinstance(node, Near)
    return f"NEAR({render_fts5(node.left)} {render_fts5(node.right)}, {node.distance})"


# --- strategies -------------------------------------------------------------------------------

words_st = st.builds(Word, st.sampled_from(VOCAB), st.just(False))
prefixes_st = st.builds(Word, st.sampled_from(PREFIXES), st.just(True))
terms_st = st.one_of(words_st, words_st, prefixes_st)
phrases_st = st.builds(lambda ws: Phrase(tuple(ws)), st.lists(terms_st, min_size=2, max_size=3))
leaves_st = st.one_of(terms_st, terms_st, phrases_st)
near_operands = st.one_of(
    leaves_st, st.builds(lambda cs: Or(tuple(cs)), st.lists(leaves_st, min_size=2, max_size=2))
)
near_st = st.builds(Near, near_operands, near_operands, st.integers(0, 4))


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(lambda cs: And(tuple(cs)), st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda cs: Or(tuple(cs)), st.lists(children, min_size=2, max_size=3)),
        st.builds(Not, children),
    )


queries_st: st.SearchStrategy[Node] = st.recursive(
    st.one_of(leaves_st, near_st), _extend, max_leaves=6
)
texts_st = st.lists(st.sampled_from([*VOCAB, "x", "yy"]), max_size=25).map(" ".join)

# The FTS5 subset: NEAR of words and phrases, NOT only beside a positive sibling.
fts_near_st = st.builds(Near, leaves_st, leaves_st, st.integers(0, 4))


def _fts_extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(lambda cs: And(tuple(cs)), st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda cs: Or(tuple(cs)), st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda p, n: And((p, Not(n))), children, children),
    )


fts_queries_st: st.SearchStrategy[Node] = st.recursive(
    st.one_of(leaves_st, fts_near_st), _fts_extend, max_leaves=6
)
