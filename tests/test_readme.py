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
