"""The store's disk fills up mid-crawl: nothing is lost, everything is found once space is back.

Runs the real ``watchwire once`` twice against a loopback site of 150 new articles. The store
lives on a 1 MiB tmpfs mounted for the test (we run as root in CI); where mounting is not
allowed, the command runs under RLIMIT_FSIZE instead, a size-limited file. Before the fix the
feed's body hash was saved after the first run, and the second read "same bytes, nothing to
parse": 129 articles lost for as long as the feed did not change.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import once_table, run_cli
from tests.e2e.test_hostile_documents import _article, _feed
from tests.support.httpserver import ServerFactory, html

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

ARTICLES = 150
PARAGRAPH = (
    "Officials in Minsk said on Thursday that talks on Belarus and the easing of sanctions "
    "would go on, while diplomats in Vilnius and Warsaw asked for guarantees first. "
)


@contextlib.contextmanager
def _small_disk(folder: Path) -> Iterator[tuple[Path, int | None]]:
    """A folder on a 1 MiB filesystem (and no file cap), or, failing that, a plain folder and
    the file-size cap that stands in for it."""
    folder.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
        capture_output=True, check=False,
    ).returncode == 0  # fmt: skip
    try:
        yield folder, (None if mounted else 1 << 20)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def _grow(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,size=64m", str(folder)], check=True)


async def test_articles_that_failed_to_save_are_stored_once_space_is_back(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    server = await http_server()
    links = []
    for i in range(ARTICLES):
        body = f"Story {i}. " + PARAGRAPH * 12
        server.route(f"/a/{i}")(html(_article(f"Belarus story {i}", body=body)))
        links.append(server.url(f"/a/{i}"))
    server.route("/feed")(html(_feed(*links), content_type="application/rss+xml"))
    with _small_disk(tmp_path / "disk") as (disk, cap):
        config = tmp_path / "watchwire.yaml"
        config.write_text(
            f"""
storage: {disk / "watchwire.db"}
crawl: {{per_host_delay: 0s, per_host_concurrency: 8, timeout: 5s, retries: 0}}
sources:
  - {{name: wire, url: "{server.url("/feed")}"}}
channels:
  out: {{type: console}}
rules:
  - {{name: belarus, query: "Belarus*", notify: []}}
""",
            encoding="utf-8",
        )
        first = await run_cli("once", "-c", str(config), cwd=tmp_path, max_file_size=cap)
        stored_first = _count(disk)
        assert stored_first < ARTICLES, f"the disk never filled up\n{first.stdout}"
        assert "full" in first.stderr or "disk I/O" in first.stderr or "cannot" in first.stderr
        assert "Traceback" not in first.stderr
        if cap is None:
            _grow(disk)
        second = await run_cli("once", "-c", str(config), cwd=tmp_path)
        assert second.returncode == 0, second.stderr
        assert _count(disk) == ARTICLES, second.stdout + second.stderr[-3000:]
        third = await run_cli("once", "-c", str(config), cwd=tmp_path)
        # everything seen now: the feed is unchanged
        assert {row["new"] for row in once_table(third.stdout).values()} == {"0"}


def _count(disk: Path) -> int:
    with contextlib.closing(sqlite3.connect(disk / "watchwire.db")) as db:
        return int(db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
