"""The extraction benchmark's metric: word 4-gram overlap, page-averaged.

It follows ``tests/data/extraction/README.md``: each page's true body and extracted text are split
into words (``\\w+``), the multisets of word 4-grams are compared, precision and recall are
averaged over pages and F1 is the harmonic mean of the two means. The benchmark in ``bench/``
imports this module by path, so it depends on the standard library only.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DATA_DIR",
    "PageScore",
    "Summary",
    "load_pages",
    "score_page",
    "summarize",
    "words",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "extraction"
NGRAM = 4
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The benchmark's tokens: runs of Unicode word characters."""
    return _WORD.findall(text)


def _shingles(tokens: list[str]) -> Counter[tuple[str, ...]]:
    if not tokens:
        return Counter()
    if len(tokens) < NGRAM:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + NGRAM]) for i in range(len(tokens) - NGRAM + 1))


@dataclass(frozen=True, slots=True)
class PageScore:
    """One page's counts; ``precision``/``recall`` are ``None`` when the page is left out."""

    page_id: str
    tp: int
    fp: int
    fn: int
    exact: bool

    @property
    def precision(self) -> float | None:
        if self.fp == 0 and self.fn == 0:
            return 1.0
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        if self.fp == 0 and self.fn == 0:
            return 1.0
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float:
        """This page's own F1 (0.0 when either side is missing); for finding bad pages."""
        p, r = self.precision or 0.0, self.recall or 0.0
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class Summary:
    precision: float
    recall: float
    f1: float
    accuracy: float
    pages: int


def score_page(page_id: str, truth: str, extracted: str) -> PageScore:
    """Compare one page's extracted text with its true body."""
    true_words, got_words = words(truth), words(extracted)
    true_sh, got_sh = _shingles(true_words), _shingles(got_words)
    tp = sum((true_sh & got_sh).values())
    fp = sum((got_sh - true_sh).values())
    fn = sum((true_sh - got_sh).values())
    return PageScore(page_id, tp, fp, fn, exact=true_words == got_words)


def summarize(scores: list[PageScore]) -> Summary:
    """Page-averaged precision and recall, their harmonic mean, and exact-match accuracy."""
    precisions = [p for s in scores if (p := s.precision) is not None]
    recalls = [r for s in scores if (r := s.recall) is not None]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = sum(s.exact for s in scores) / len(scores) if scores else 0.0
    return Summary(precision, recall, f1, accuracy, len(scores))


@dataclass(frozen=True, slots=True)
class Page:
    page_id: str
    url: str
    html: bytes
    truth: str


def load_pages(data_dir: Path = DATA_DIR) -> Iterator[Page]:
    """The saved pages with their true bodies, in id order."""
    truth: Mapping[str, Mapping[str, str]] = json.loads(
        (data_dir / "ground-truth.json").read_text(encoding="utf-8")
    )
    for page_id in sorted(truth):
        html = gzip.decompress((data_dir / "html" / f"{page_id}.html.gz").read_bytes())
        yield Page(page_id, truth[page_id]["url"], html, truth[page_id]["articleBody"])
