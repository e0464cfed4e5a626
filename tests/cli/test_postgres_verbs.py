"""``watchwire sources``, ``search``, ``alerts`` answer the same from either store, through the
real command; ``backup`` of a PostgreSQL store says what to use instead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import ConfigWriter
from tests.pipeline.site import Site
from tests.support.cli import run_cli

pytestmark = pytest.mark.timeout(120)

_STABLE = ("source", "enabled", "state", "reason", "failed_polls", "articles_given_up",
           "errors_24h", "fetches_24h")  # fmt: skip


async def crawl(config: Path) -> dict[str, Any]:
    """Three passes (the dead source fails three times: failing), then what each verb says."""
    for _ in range(3):
        done = await run_cli("once", "-c", config)
        assert done.code == 1 and "1 source failed" in done.err, done.err  # the dead one
    answers: dict[str, Any] = {}
    for name, command in {
        "sources": ("sources", "--json"),
        "search": ("search", "belarus", "--json"),
        "alerts": ("alerts", "list", "--json"),
    }.items():
        done = await run_cli(*command, "-c", config)
        assert done.code == 0, (name, done.err)
        answers[name] = [json.loads(line) for line in done.out.splitlines()]
    return answers


async def test_sources_search_and_alerts_answer_the_same_from_either_store(
    tmp_path: Path, news: Site, write_config: ConfigWriter, postgres_dsn: str
) -> None:
    sources = (
        f'  - {{name: site, url: "{news.server.url("/feed.xml")}"}}\n'
        '  - {name: dead, url: "http://127.0.0.1:9/feed.xml"}'
    )
    channels = "  out: {type: console}"
    lite_config = write_config(sources=sources, channels=channels, name="lite.yaml")
    pg_config = write_config(sources=sources, channels=channels, name="pg.yaml")
    pg_config.write_text(
        pg_config.read_text().replace("storage: w.db", f'storage: "{postgres_dsn}"'),
        encoding="utf-8",
    )
    lite, pg = await crawl(lite_config), await crawl(pg_config)

    def stable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: r.get(k) for k in _STABLE} for r in rows]

    assert stable(pg["sources"]) == stable(lite["sources"])
    by_name = {r["source"]: r for r in pg["sources"]}
    assert by_name["site"]["state"] == "ok" and by_name["dead"]["state"] == "failing"
    assert by_name["site"]["articles_per_day"] > 0
    assert [r["url"] for r in pg["search"]] == [r["url"] for r in lite["search"]] != []
    assert len(pg["alerts"]) == len(lite["alerts"]) > 0
    assert sorted(a["rule"] for a in pg["alerts"]) == sorted(a["rule"] for a in lite["alerts"])


async def test_backup_of_a_postgresql_store_says_to_use_pg_dump(
    tmp_path: Path, write_config: ConfigWriter, postgres_dsn: str
) -> None:
    config = write_config(sources='  - {name: a, url: "http://127.0.0.1:9/feed"}')
    config.write_text(
        config.read_text().replace("storage: w.db", f'storage: "{postgres_dsn}"'), encoding="utf-8"
    )
    done = await run_cli("backup", tmp_path / "copy.db", "-c", config)
    assert done.code == 2, done.err
    assert "pg_dump" in done.err and "pg_restore" in done.err and "Traceback" not in done.err
    assert not (tmp_path / "copy.db").exists()
