"""The demo's news stories: a value type, and the stories shipped in ``content/``.

A content file is a few ``key: value`` header lines, a blank line, then the body as blocks
separated by blank lines. Body blocks are plain paragraphs, with a little markup for the shapes
a news page has::

    ## Details                      a subheading
    > quoted words                  a blockquote
    read-also: Title -> slug        an inline "Read also" teaser for another story (page chrome)
    recall: text                    a "Recall" block closing the story, as UNN pages have

Headers: ``slug``, ``language``, ``title``, ``lead``, ``author``, ``section``, ``location``,
``age`` (how long before "now" it was published: ``25m``, ``3d``), ``views``, ``tags``
(comma-separated), ``related`` (``Title -> slug``, repeatable: teasers under the article).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from importlib import resources

from watchwire.timeutil import utcnow

__all__ = ["Story", "Teaser", "load_stories", "shipped_story_slugs"]

_CONTENT = "content"
_AGE = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Teaser:
    """A link to another story, as shown in "Read also" blocks and related-story lists."""

    title: str
    slug: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Story:
    """One article of the demo news site. ``body`` blocks use the markup of this module."""

    slug: str
    title: str
    language: str
    lead: str
    body: tuple[str, ...]
    published_at: datetime
    modified_at: datetime | None = None
    author: str = ""
    section: str = "News"
    location: str = ""
    views: int = 0
    tags: tuple[str, ...] = ()
    related: tuple[Teaser, ...] = ()

    @property
    def last_change(self) -> datetime:
        return self.modified_at or self.published_at

    def edited(self, *, at: datetime | None = None, **changes: object) -> Story:
        """This story as edited at ``at`` (default now): ``modified_at`` moves, fields change."""
        return replace(self, modified_at=at or utcnow(), **changes)  # type: ignore[arg-type]

    def published(self, at: datetime | None = None) -> Story:
        """This story as (re)published at ``at`` (default now), never edited."""
        return replace(self, published_at=at or utcnow(), modified_at=None)


def _age(text: str) -> timedelta:
    m = _AGE.match(text)
    if m is None:
        raise ValueError(f"bad age {text!r} (expected e.g. 25m, 3d)")
    return timedelta(seconds=int(m[1]) * _AGE_UNITS[m[2]])


def _teaser(text: str) -> Teaser:
    title, sep, slug = text.rpartition("->")
    if not sep:
        raise ValueError(f"bad teaser {text!r} (expected 'Title -> slug')")
    return Teaser(title.strip(), slug.strip())


def parse_story(text: str, *, now: datetime) -> Story:
    """A story from the text of a content file, published ``age`` before ``now``."""
    head, _, rest = text.strip().partition("\n\n")
    fields: dict[str, str] = {}
    related: list[Teaser] = []
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"bad header line {line!r}")
        key, value = key.strip(), value.strip()
        if key == "related":
            related.append(_teaser(value))
        else:
            fields[key] = value
    blocks = tuple(b.strip() for b in rest.split("\n\n") if b.strip())
    return Story(
        slug=fields["slug"],
        title=fields["title"],
        language=fields["language"],
        lead=fields.get("lead", ""),
        body=blocks,
        published_at=now - _age(fields.get("age", "0s")),
        author=fields.get("author", ""),
        section=fields.get("section", "News"),
        location=fields.get("location", ""),
        views=int(fields.get("views", "0")),
        tags=tuple(t.strip() for t in fields.get("tags", "").split(",") if t.strip()),
        related=tuple(related),
    )


def shipped_story_slugs() -> list[str]:
    """The slugs of the stories in ``content/``, sorted."""
    folder = resources.files(__package__ or "watchwire.demo") / _CONTENT
    return sorted(f.name.removesuffix(".txt") for f in folder.iterdir() if f.name.endswith(".txt"))


def load_stories(slugs: Iterable[str] | None = None, *, now: datetime | None = None) -> list[Story]:
    """The shipped stories (or those of ``slugs``, in that order), dated relative to ``now``."""
    folder = resources.files(__package__ or "watchwire.demo") / _CONTENT
    when = now or utcnow()
    names = list(slugs) if slugs is not None else shipped_story_slugs()
    return [
        parse_story((folder / f"{name}.txt").read_text(encoding="utf-8"), now=when)
        for name in names
    ]
