"""The dates dev set's metric: the extracted publication day against the true one.

It follows ``tests/data/dates/README.md``: a page counts when the day of ``published_at``, as
the extractor gives it (in the page's own offset), equals the recorded day; a page with no date
found, or with no true date recorded, counts as wrong. ``bench/bench_dates.py`` imports this
module by path, so it depends on the standard library only.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = ["DATA_DIR", "DatePage", "day_of", "load_pages"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "dates"


@dataclass(frozen=True, slots=True)
class DatePage:
    page_id: str
    url: str
    html: bytes
    truth: str | None
    """``YYYY-MM-DD``, or None where the set records no date (such a page can never count)."""
    set: str


def day_of(published: datetime | None) -> str | None:
    return published.date().isoformat() if published is not None else None


def load_pages(data_dir: Path = DATA_DIR) -> Iterator[DatePage]:
    """The saved pages with their true days, in id order."""
    truth = json.loads((data_dir / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id in sorted(truth):
        entry = truth[page_id]
        date = entry["date"]  # NaN where the set records none
        html = gzip.decompress((data_dir / "html" / f"{page_id}.html.gz").read_bytes())
        yield DatePage(
            page_id, entry["url"], html, date if isinstance(date, str) else None, entry["set"]
        )
