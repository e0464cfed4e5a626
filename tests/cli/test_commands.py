"""The command line, end to end: real files, a real loopback site, a real SQLite store."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path

import pytest

from tests.pipeline.site import Site, page
from tests.pipeline.test_poll import MATCHING
from tests.support.httpserver import ServerFactory
from watchwire.cli import main

SEED = Path(__file__).resolve().parents[1] / "data" / "pages" / "unn-belarus-sanctions.html"

CONFIG = """
storage: {db}
crawl: {{per_host_delay: 0s, timeout: 5s}}
sources:
  - {{name: site, url: "{feed}"}}
channels:
  hook:
    type: webhook
    url: "http://127.0.0.1:9/unreachable"
    secret: "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="
    retry: {{first: 1s, max: 1s, give_up: 1s}}
terms:
  belarus: [Belarus, Belarusian*, Білорус*]
  sanctions: [sanction*, санкці*]
rules:
  - name: belarus-sanctions
    query: "@belarus AND @sanctions"
    within: paragraph
  - name: potash
    query: "potash NEAR/5 exports"
  - name: ukraine-only
    query: "Zelensky AND troops"
"""


def write_config(tmp_path: Path, feed: str = "http://127.0.0.1:9/feed.xml") -> Path:
    path = tmp_path / "w.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "w.db", feed=feed))
    return path


def test_extract_prints_the_article_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(SEED)]) == 0
    article = json.loads(capsys.readouterr().out)
    assert "grand bargain" in article["title"]
    assert "potash" in article["text"]
    assert "Electricity outage schedules" not in article["text"]


def test_extract_reads_a_gzipped_page_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packed = tmp_path / "page.html.gz"
    packed.write_bytes(gzip.compress(SEED.read_bytes()))
    assert main(["extract", str(packed)]) == 0
    assert "grand bargain" in json.loads(capsys.readouterr().out)["title"]


def test_a_broken_gzip_file_is_an_error_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cut short or corrupt, a .gz file is refused with a message, never a traceback."""
    packed = gzip.compress(SEED.read_bytes())
    for name, data in (("cut.html.gz", packed[: len(packed) // 2]), ("junk.gz", b"\x1f\x8bjunk")):
        (tmp_path / name).write_bytes(data)
        assert main(["extract", str(tmp_path / name)]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"watchwire: cannot read {tmp_path / name}: broken gzip file")
        assert "Traceback" not in err


def test_check_explains_matches_and_misses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The related-story teaser about Zelensky and troops is chrome: that rule must not match."""
    assert main(["check", str(SEED), "-c", str(write_config(tmp_path))]) == 0
    out = capsys.readouterr().out
    # The seed page is from 2025: backlog for every rule that matches it.
    assert "BACKLOG    belarus-sanctions: matches, but it is backlog" in out
    assert "BACKLOG    potash" in out
    assert "no match   ukraine-only" in out
    assert "⟦sanctions⟧" in out and "«sanctions»" not in out
    assert "2 of 3 rules match; 0 would alert" in out


def test_validate_prints_the_plan_without_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "-c", str(write_config(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "belarus-sanctions" in out and "(json, signed)" in out
    assert "c2VjcmV0" not in out and "whsec_" not in out


def test_bad_query_is_a_usage_error_with_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('"potash NEAR/5 exports"', '"potash AND (exports"'))
    assert main(["validate", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err and "rules[1].query" in err


async def test_once_then_search_and_alerts(
    tmp_path: Path, http_server: ServerFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """`once` stores and alerts; `search` finds it; an unreachable webhook stays visible."""
    site = Site(await http_server())
    site.pages = {
        "deal": page("deal", "US offers Belarus a deal", *MATCHING),
        "budget": page("budget", "Council passes the budget"),
    }
    site.install()
    config = str(write_config(tmp_path, site.server.url("/feed.xml")))

    # The receiver does not exist: the run ends with its alerts failed, and says so (exit 1).
    assert await asyncio.to_thread(main, ["once", "-c", config, "--drain-timeout", "3"]) == 1
    out = capsys.readouterr().out
    assert "alerts made by this run: 2" in out  # both rules match one story
    assert "delivered by this run: 0; failed: 2" in out

    assert await asyncio.to_thread(main, ["search", "Belarus AND sanction*", "-c", config,
                                          "--json"]) == 0  # fmt: skip
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [h["url"] for h in hits] == [site.url("deal")]
    assert {m["text"] for m in hits[0]["matches"]} >= {"Belarus"}

    assert await asyncio.to_thread(main, ["search", "--rule", "belarus-sanctions",
                                          "--since", "1d", "-c", config]) == 0  # fmt: skip
    assert "1 article(s)" in capsys.readouterr().out

    # A page at a time, as the dashboard's search pages: the position printed is --before's.
    assert await asyncio.to_thread(main, ["search", "deal OR budget", "--limit", "1",
                                          "-c", config]) == 0  # fmt: skip
    position = capsys.readouterr().out.rsplit("--before ", 1)[1].strip()
    older_page = ["search", "deal OR budget", "--limit", "1", "--before", position, "-c", config]
    assert await asyncio.to_thread(main, [*older_page, "--json"]) == 0
    older = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [h["url"] for h in older] == [site.url("budget")]

    # The receiver does not exist: after give_up the alert is failed, visibly, not dropped.
    assert await asyncio.to_thread(main, ["alerts", "list", "-c", config, "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(r["summary"] for r in rows) == [
        "belarus-sanctions: US offers Belarus a deal",
        "potash: US offers Belarus a deal",
    ]
    assert all(r["state"] == "failed" and r["last_error"] for r in rows)
    assert await asyncio.to_thread(main, ["alerts", "list", "-c", config, "--channel", "hook",
                                          "--json"]) == 0  # fmt: skip
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert await asyncio.to_thread(main, ["alerts", "list", "-c", config, "--channel", "opz"]) == 2
    assert "no channel named 'opz'" in capsys.readouterr().err

    assert await asyncio.to_thread(main, ["alerts", "retry", "-c", config]) == 0
    assert "2 failed alert(s) requeued" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["alerts", "list", "-c", config, "--state",
                                          "pending"]) == 0  # fmt: skip
    assert "2 pending" in capsys.readouterr().out


@pytest.mark.parametrize("limit", ["0", "-1", "many"])
def test_a_limit_that_is_not_a_positive_number_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["search", "x", "--limit", limit, "-c", str(write_config(tmp_path))])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--limit" in err and "Traceback" not in err
