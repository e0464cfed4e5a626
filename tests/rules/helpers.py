"""Small builders shared by the rules tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from watchwire.config import RuleConfig
from watchwire.models import Article, Match
from watchwire.rules import RuleSet, compile_rules

TERMS: dict[str, list[str]] = {
    "belarus": ["Belarus", "Belarusian*", "Беларус*", "Білорус*", "Białoru*"],
    "sanctions": ["sanction*", "санкці*", "санкци*", "sankcj*"],
    "lukashenko": ["Lukashenko", "Лукашенк*"],
    "potash": ["potash", '"калійні добрива"', "калий*"],
}


def article(
    body: str = "", *, title: str = "", lead: str = "", language: str | None = None
) -> Article:
    paragraphs = tuple(p for p in body.split("\n\n") if p)
    return Article(title=title, lead=lead, text=body, paragraphs=paragraphs, language=language)


def rule(query: str, name: str = "r", **kwargs: Any) -> RuleConfig:
    return RuleConfig(name=name, query=query, **kwargs)


def ruleset(*rules: RuleConfig, terms: Mapping[str, Sequence[str]] | None = None) -> RuleSet:
    return compile_rules(rules, TERMS if terms is None else terms)


def match_one(query: str, art: Article | str, **kwargs: Any) -> Match | None:
    source = kwargs.pop("source", None)
    a = article(art) if isinstance(art, str) else art
    got = ruleset(rule(query, **kwargs)).match(a, source=source)
    return got[0] if got else None


def matches(query: str, art: Article | str, **kwargs: Any) -> bool:
    return match_one(query, art, **kwargs) is not None
