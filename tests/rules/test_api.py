"""The public surface of ``watchwire.rules``."""

from __future__ import annotations

import watchwire.rules as rules


def test_all_is_sorted_and_complete() -> None:
    """``__all__`` is sorted, and every name in it exists."""
    assert rules.__all__ == sorted(rules.__all__)
    for name in rules.__all__:
        assert hasattr(rules, name), name


def test_contract_names() -> None:
    """The names other rooms code against."""
    assert {
        "compile_rules",
        "RuleSet",
        "RuleReport",
        "parse_query",
        "tokenize",
        "SearchQuery",
    } <= set(rules.__all__)
