"""The title dev set's metric: exact headline, whitespace collapsed (``tests/data/titles``).

Imported by ``tests/extract/test_titles.py`` and by path from ``bench/bench_dates.py``; the
standard library only.
"""

from __future__ import annotations

import gzip
import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DATA_DIR", "TitlePage", "load_pages", "normal"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True, slots=True)
class TitlePage:
    key: str
    url: str
    html: bytes
    title: str
    rule: str


def normal(title: str) -> str:
    return unicodedata.normalize("NFC", " ".join(title.split()))


def load_pages(data_dir: Path = DATA_DIR) -> Iterator[TitlePage]:
    """The pages with their recorded headlines, in the order of ``titles.json``."""
    truth = json.loads((data_dir / "titles" / "titles.json").read_text(encoding="utf-8"))
    for key, entry in truth.items():
        set_name, page_id = key.split("/", 1)
        html = gzip.decompress((data_dir / set_name / "html" / f"{page_id}.html.gz").read_bytes())
        yield TitlePage(key, entry["url"], html, entry["title"], entry["rule"])
