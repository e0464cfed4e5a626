"""``watchwire sources`` (health, before the first run too) and ``watchwire backup``, through
the real command in a subprocess."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.conftest import ConfigWriter
from tests.pipeline.site import Site
from tests.support.cli import run_cli

pytestmark = pytest.mark.timeout(90)


async def test_sources_lists_every_source_before_the_first_run(
    tmp_path: Path, write_config: ConfigWriter
) -> None:
    config = write_config(
        sources='  - {name: a, url: "http://127.0.0.1:9/feed"}\n'
        '  - {name: b, url: "http://127.0.0.1:9/x", enabled: false}'
    )
    listed = await run_cli("sources", "--json", "-c", config)
    assert listed.code == 0, listed.err
    rows = [json.loads(line) for line in listed.out.splitlines()]
    assert [(r["source"], r["state"], r["enabled"]) for r in rows] == [
        ("a", "never-polled", True), ("b", "never-polled", False)]  # fmt: skip
    assert not (config.parent / "w.db").exists()  # listing created no store
    text = await run_cli("sources", "-c", config)
    assert text.code == 0 and "2 source(s), 0 needing attention" in text.out


async def test_sources_and_backup_after_a_run(
    tmp_path: Path, news: Site, write_config: ConfigWriter
) -> None:
    config = write_config(
        sources=f'  - {{name: site, url: "{news.server.url("/feed.xml")}"}}\n'
        '  - {name: dead, url: "http://127.0.0.1:9/feed.xml"}'
    )
    for _ in range(3):  # three failed polls of the dead source: failing
        await run_cli("once", "-c", config)
    rows = {r["source"]: r for r in map(json.loads,
            (await run_cli("sources", "--json", "-c", config)).out.splitlines())}  # fmt: skip
    assert rows["site"]["state"] == "ok" and rows["site"]["last_success"]
    assert rows["site"]["articles_per_day"] > 0
    assert rows["dead"]["state"] == "failing" and rows["dead"]["failed_polls"] == 3
    assert rows["dead"]["errors_24h"] == rows["dead"]["fetches_24h"] >= 3  # counts that agree

    copy = tmp_path / "copy.db"
    done = await run_cli("backup", copy, "-c", config)
    assert done.code == 0, done.err
    con = sqlite3.connect(copy)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*) FROM articles").fetchone()[0] > 0
    con.close()
    again = await run_cli("backup", copy, "-c", config)
    assert again.code == 2 and "exists" in again.err and "Traceback" not in again.err
    folder = tmp_path / "backups"
    folder.mkdir()
    assert (await run_cli("backup", folder, "-c", config)).code == 0
    assert len(list(folder.glob("watchwire-*.db"))) == 1
