"""`watchwire store copy` as a person runs it: an embedded store into PostgreSQL, then the same
`search` and `alerts` answers from either."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from tests.store.helpers import T0, intent, new_article
from watchwire.store import locate_store, open_store


def watchwire(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watchwire", *args], cwd=cwd, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


async def fill(path: Path) -> None:
    async with open_store(locate_store(path)) as store:
        for i in range(5):
            text = f"Belarus and sanctions, part {i}" if i % 2 else f"Potash and grain, part {i}"
            await store.save_article(new_article(f"https://a/{i}", text), [intent(f"r{i}")],
                                     now=T0)  # fmt: skip


def config(tmp_path: Path, storage: str) -> Path:
    path = tmp_path / f"{'pg' if storage.startswith('postgresql') else 'lite'}.yaml"
    path.write_text(f'storage: "{storage}"\n', encoding="utf-8")
    return path


def test_an_embedded_store_moves_into_postgresql(tmp_path: Path, postgres_dsn: str) -> None:
    asyncio.run(fill(tmp_path / "w.db"))
    done = watchwire("store", "copy", "--from", "w.db", "--to", postgres_dsn, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "copied: " in done.stdout
    assert "articles             5 (same in both)" in done.stdout

    for command in (["search", "sanction*", "--json"], ["alerts", "list", "--json"]):
        answers = [
            watchwire(*command, "-c", str(config(tmp_path, storage)), cwd=tmp_path)
            for storage in (str(tmp_path / "w.db"), postgres_dsn)
        ]
        assert all(a.returncode == 0 for a in answers), [a.stderr for a in answers]
        lite, pg = ([json.loads(line) for line in a.stdout.splitlines()] for a in answers)
        assert lite == pg and lite, command

    again = watchwire("store", "copy", "--from", "w.db", "--to", postgres_dsn, cwd=tmp_path)
    assert again.returncode == 1
    assert "already a finished copy of" in again.stderr and "Traceback" not in again.stderr


def test_a_missing_source_is_a_usage_error(tmp_path: Path, postgres_dsn: str) -> None:
    done = watchwire("store", "copy", "--from", "nope.db", "--to", postgres_dsn, cwd=tmp_path)
    assert done.returncode == 2 and "no store at" in done.stderr
