"""The rules engine: the query language of DESIGN.md, compiled once, matched at scale.

See ``docs/rules.md`` for the language. ``compile_rules`` turns the config's rules and term
sets into a :class:`RuleSet`; ``RuleSet.match`` returns the matching rules of an article with
their spans and a snippet; ``RuleSet.search_query`` gives a store what it needs to find a rule's
candidates among stored articles. The rule types (``RuleSpec``, ``Within``) are this room's own;
the config fills them in.
"""

from __future__ import annotations

from watchwire.rules.engine import (
    CompiledRule,
    QueryChecker,
    RuleReport,
    RuleSet,
    compile_rules,
)
from watchwire.rules.frequencies import WordFrequencies
from watchwire.rules.nodes import And, Fielded, Near, Node, Not, Or, Phrase, TermRef, Word
from watchwire.rules.parser import parse_query
from watchwire.rules.search import SearchQuery, search_query
from watchwire.rules.spec import RuleSpec, Within, parse_within
from watchwire.rules.tokens import Token, normalize, tokenize

__all__ = [
    "And",
    "CompiledRule",
    "Fielded",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "QueryChecker",
    "RuleReport",
    "RuleSet",
    "RuleSpec",
    "SearchQuery",
    "TermRef",
    "Token",
    "Within",
    "Word",
    "WordFrequencies",
    "compile_rules",
    "normalize",
    "parse_query",
    "parse_within",
    "search_query",
    "tokenize",
]
