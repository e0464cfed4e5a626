"""The rules engine: the query language of DESIGN.md, compiled once, matched at scale.

See ``docs/rules.md`` for the language. ``compile_rules`` turns the config's rules and term
sets into a :class:`RuleSet`; ``RuleSet.match`` returns the matching rules of an article with
their spans and a snippet; ``to_fts5`` turns a query into an SQLite FTS5 prefilter.
"""

from __future__ import annotations

from watchwire.rules.engine import CompiledRule, RuleReport, RuleSet, compile_rules
from watchwire.rules.frequencies import WordFrequencies
from watchwire.rules.fts import to_fts5
from watchwire.rules.nodes import And, Fielded, Near, Node, Not, Or, Phrase, TermRef, Word
from watchwire.rules.parser import parse_query
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
    "RuleReport",
    "RuleSet",
    "TermRef",
    "Token",
    "Word",
    "WordFrequencies",
    "compile_rules",
    "normalize",
    "parse_query",
    "to_fts5",
    "tokenize",
]
