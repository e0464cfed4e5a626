"""Labelled text pairs for measuring near-duplicate detection (used by tests and bench).

Positives are perturbed copies of the dev-set articles, the edits syndication and re-fetching
really make: another headline, an added byline, a trailing "Read also" teaser, a few words
changed, paragraphs re-wrapped, the last paragraph dropped, a wire dateline and intro sentence,
and all of the syndication edits at once. Negatives are every pair of different articles
(several on the same topic, e.g. two write-ups of one rescue video, or two duvet-lung stories).
Deterministic: one seeded ``random.Random`` per article.
"""

from __future__ import annotations

import gzip
import itertools
import json
import random
import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PERTURBATIONS",
    "Pair",
    "load_articles",
    "negative_pairs",
    "positive_pairs",
]

DATA = Path(__file__).parent.parent / "data" / "dedupe" / "articles.json.gz"

_HEADLINES = (
    "What we know so far",
    "Here is what happened, and what comes next",
    "The story everyone is talking about today",
    "Explainer: why this matters",
    "Live updates: the latest developments",
)
_BYLINES = (
    "By Jane Doe, Associated Press",
    "By John Smith | Reuters",
    "Staff and agencies",
    "By Olena Kovalenko, UNN correspondent",
)
_DATELINES = ("WASHINGTON (AP) — ", "KYIV, Nov 19 (Reuters) - ", "LONDON (AFP) – ")
_INTROS = (
    "This article was first published by our partners and is republished with permission.",
    "Editor's note: the story below has been updated with new information.",
)
_FILLER = ("reportedly", "however", "also", "new", "local", "officials", "said", "year")


@dataclass(frozen=True, slots=True)
class Pair:
    a: str
    b: str
    kind: str
    """Perturbation name for positives, ``different`` for negatives."""


def load_articles() -> dict[str, str]:
    """Dev-set article bodies by id (paragraphs separated by newlines)."""
    with gzip.open(DATA, "rt", encoding="utf-8") as f:
        data: dict[str, dict[str, str]] = json.load(f)
    return {k: v["articleBody"] for k, v in data.items()}


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def _first_sentence(text: str) -> str:
    words = text.split()[:25]
    return " ".join(words).rstrip(".,;:") + "."


def _syndicated(text: str, rng: random.Random, other: str) -> str:
    return "\n".join(
        [
            rng.choice(_HEADLINES),
            rng.choice(_BYLINES),
            *_paragraphs(text),
            f"Read also: {_first_sentence(other)}",
        ]
    )


def _edit_words(text: str, rng: random.Random, _other: str) -> str:
    tokens = re.split(r"(\s+)", text)
    word_positions = [i for i, t in enumerate(tokens) if t and not t.isspace()]
    for i in rng.sample(word_positions, min(5, len(word_positions))):
        tokens[i] = rng.choice(_FILLER)
    return "".join(tokens)


def _rewrapped(text: str, _rng: random.Random, _other: str) -> str:
    wrap = textwrap.TextWrapper(width=64, break_long_words=False, break_on_hyphens=False)
    return "\n\n".join(wrap.fill(p) for p in _paragraphs(text))


def _drop_last(text: str, _rng: random.Random, _other: str) -> str:
    paragraphs = _paragraphs(text)
    return "\n".join(paragraphs[:-1] if len(paragraphs) > 1 else paragraphs)


def _wire(text: str, rng: random.Random, _other: str) -> str:
    return rng.choice(_INTROS) + "\n" + rng.choice(_DATELINES) + text


def _all_syndication_edits(text: str, rng: random.Random, other: str) -> str:
    return _syndicated(_edit_words(_drop_last(text, rng, other), rng, other), rng, other)


PERTURBATIONS: dict[str, Callable[[str, random.Random, str], str]] = {
    "syndicated (headline, byline, read-also)": _syndicated,
    "five words edited": _edit_words,
    "re-wrapped": _rewrapped,
    "last paragraph dropped": _drop_last,
    "wire intro and dateline": _wire,
    "all syndication edits at once": _all_syndication_edits,
}


def positive_pairs(articles: dict[str, str], min_words: int = 0) -> Iterator[Pair]:
    """(article, perturbed copy) for every article and perturbation."""
    ids = sorted(articles)
    for n, key in enumerate(ids):
        text = articles[key]
        if len(text.split()) < min_words:
            continue
        other = articles[ids[(n + 1) % len(ids)]]
        for name, perturb in PERTURBATIONS.items():
            rng = random.Random(f"{key}:{name}")
            yield Pair(text, perturb(text, rng, other), name)


def negative_pairs(articles: dict[str, str], min_words: int = 0) -> Iterator[Pair]:
    """Every pair of different articles."""
    texts = [articles[k] for k in sorted(articles) if len(articles[k].split()) >= min_words]
    for a, b in itertools.combinations(texts, 2):
        yield Pair(a, b, "different")
