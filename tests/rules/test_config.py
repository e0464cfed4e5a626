"""Rule errors found while loading a config point at the file, line and column."""

from __future__ import annotations

import pytest

from watchwire.config import parse_config
from watchwire.exceptions import ConfigError

CONFIG = """\
terms:
  belarus: [Belarus, Беларус*, Білорус*]
rules:
  - name: ok
    query: '@belarus AND sanction*'
  - name: broken
    query: {query}
"""


@pytest.mark.parametrize(
    ("query", "column", "message"),
    [
        ("'(Belarus AND x))'", 12 + 16, "unbalanced ')' at column 16"),
        ('"Belarus AND (x"', 12 + 13, "unbalanced '(' at column 13"),
        ("Belarus AND", 11 + 12, "expected a term after 'AND', found end of query at column 12"),
        ("'@belarus AND @sanktions'", 12 + 14, "unknown term set '@sanktions'"),
    ],
)
def test_query_error_names_file_line_and_column(query: str, column: int, message: str) -> None:
    """The error points into the YAML file at the offending character of the query."""
    with pytest.raises(ConfigError) as info:
        parse_config(CONFIG.format(query=query), file="watchwire.yaml", env={})
    text = str(info.value)
    assert text.startswith(f"watchwire.yaml:7:{column}: rules[1].query: ")
    assert message in text
    assert "^" in text  # the caret line


def test_valid_config_compiles() -> None:
    """A config whose queries parse loads."""
    config = parse_config(CONFIG.format(query="Lukashenko"), file="x.yaml", env={})
    assert [r.name for r in config.rules] == ["ok", "broken"]
