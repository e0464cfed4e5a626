"""The README's promises that CI depends on."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command() -> None:
    """CI must call exactly the test command the README gives to people."""
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    commands = re.findall(r"^python3 -m venv .*$", readme, flags=re.M)
    assert len(commands) == 2, "the README gives exactly two set-up commands"
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in ci.splitlines()


def test_the_benchmark_command_uses_the_venv_and_its_extra() -> None:
    """`python -m bench.run` fails where `python` is not the venv's, and needs `bench`."""
    readme = (REPO / "README.md").read_text()
    assert ".venv/bin/python -m bench.run --quick" in readme
    assert re.search(r"^python -m bench", readme, flags=re.M) is None
    assert ".venv/bin/pip install -e '.[dev,bench]'" in readme


def test_the_readme_lists_every_command() -> None:
    """The command table keeps up with the parser."""
    from watchwire.cli.app import build_parser

    readme = (REPO / "README.md").read_text()
    table = readme.split("## Commands", 1)[1].split("\n\n", 2)[1]
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    for name in sub.choices:  # type: ignore[attr-defined]
        assert f"`watchwire {name}" in table, name
