"""What a rule is, as the rules engine reads it: its own types, which the config fills in.

The config parses and checks YAML into objects that have these attributes (``RuleSpec`` is a
Protocol, met by the config's ``RuleConfig``); the engine never imports the config.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["RuleSpec", "Within", "parse_within"]


@dataclass(frozen=True, slots=True)
class Within:
    """The co-occurrence window of a rule: article, paragraph, sentence, or N words."""

    kind: Literal["article", "paragraph", "sentence", "words"] = "article"
    words: int = 0

    def __str__(self) -> str:
        return f"{self.words} words" if self.kind == "words" else self.kind


_WITHIN_WORDS = re.compile(r"^\s*(\d+)\s+words?\s*$")


def parse_within(value: object) -> Within:
    """``article``, ``paragraph``, ``sentence`` or ``"<N> words"`` → Within."""
    if isinstance(value, Within):
        return value
    if value in ("article", "paragraph", "sentence"):
        return Within(kind=value)
    if isinstance(value, str) and (m := _WITHIN_WORDS.match(value)) and int(m[1]) > 0:
        return Within(kind="words", words=int(m[1]))
    raise ValueError(f"expected article, paragraph, sentence or '<N> words', got {value!r}")


class RuleSpec(Protocol):
    """One rule as written: what ``compile_rules`` reads."""

    @property
    def name(self) -> str: ...
    @property
    def query(self) -> str: ...
    @property
    def within(self) -> Within: ...
    @property
    def fields(self) -> Sequence[str]: ...
    @property
    def sources(self) -> Sequence[str] | None:
        """None: every source."""
        ...

    @property
    def languages(self) -> Sequence[str] | None: ...
    @property
    def enabled(self) -> bool: ...
