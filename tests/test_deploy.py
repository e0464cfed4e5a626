"""deploy/watchwire.service passes systemd's own check, with this install's watchwire in it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "deploy" / "watchwire.service"


def _systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        message = "systemd-analyze is not installed (apt-get install systemd; .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return tool


def test_the_unit_verifies(tmp_path: Path) -> None:
    """`systemd-analyze verify` fails when ExecStart's binary is missing: the installed one
    (beside this Python) goes in its place."""
    installed = Path(sys.executable).parent / "watchwire"
    assert installed.exists(), "watchwire is not installed in this environment"
    text = UNIT.read_text()
    text, n = re.subn(r"^ExecStart=\S+", f"ExecStart={installed}", text, flags=re.MULTILINE)
    assert n == 1
    unit = tmp_path / "watchwire.service"
    unit.write_text(text)
    done = subprocess.run([_systemd_analyze(), "verify", "--man=no", str(unit)],
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "watchwire.service" not in done.stderr, done.stderr  # no warning about our unit


def test_the_unit_is_hardened_and_reloads_with_sighup() -> None:
    keys = dict(
        line.split("=", 1) for line in UNIT.read_text().splitlines() if re.match(r"^\w+=", line)
    )
    assert keys["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert keys["DynamicUser"] == "yes" and keys["StateDirectory"] == "watchwire"
    assert keys["ProtectSystem"] == "strict" and keys["NoNewPrivileges"] == "yes"
    assert keys["Restart"] == "on-failure"
