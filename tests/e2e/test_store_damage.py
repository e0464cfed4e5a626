"""A damaged, read-only or deleted store: every command says what is wrong, exits 1.

Before, each gave a raw ``sqlite3.DatabaseError`` traceback, damage in the middle of the file
went unnoticed, and a store deleted under a running service went unnoticed too (after a
restart on a new file, every story alerted again with new ids).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ServiceProcess, eventually, run_cli
from tests.e2e.test_hostile_documents import _article, _feed
from tests.support.httpserver import HttpServer, ServerFactory, html

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

PARAGRAPH = "Officials said talks on Belarus and the easing of sanctions would go on. " * 20


def _config(folder: Path, server: HttpServer) -> Path:
    path = folder / "watchwire.yaml"
    path.write_text(
        f"""
storage: watchwire.db
crawl: {{interval: 1s, per_host_delay: 0s, per_host_concurrency: 8, timeout: 5s}}
sources:
  - {{name: wire, url: "{server.url("/feed")}"}}
channels:
  out: {{type: console}}
rules:
  - {{name: belarus, query: "Belarus*"}}
""",
        encoding="utf-8",
    )
    return path


async def _site(http_server: ServerFactory, n: int = 40) -> HttpServer:
    server = await http_server()
    for i in range(n):
        server.route(f"/a/{i}")(html(_article(f"Belarus {i}", body=f"{i} {PARAGRAPH}")))
    server.route("/feed")(html(_feed(*(server.url(f"/a/{i}") for i in range(n))),
                               content_type="application/rss+xml"))  # fmt: skip
    return server


def _failed_in_words(done: object, *words: str) -> None:
    code, err = getattr(done, "returncode", None), getattr(done, "stderr", "")
    assert code == 1, err
    assert "Traceback" not in err and "sqlite3." not in err, err
    assert err.startswith("watchwire: "), err
    for word in words:
        assert word in err, err


async def test_a_store_damaged_in_the_middle_or_at_the_head_is_refused_in_words(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    config = _config(tmp_path, await _site(http_server))
    assert (await run_cli("once", "-c", str(config), cwd=tmp_path)).returncode == 0
    db = tmp_path / "watchwire.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
        size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    assert pages > 20
    good = tmp_path / "good.db"
    shutil.copy(db, good)

    ok = await run_cli("validate", "--check-store", "-c", str(config), cwd=tmp_path)
    assert ok.returncode == 0 and "store check: ok" in ok.stdout, ok.stdout + ok.stderr

    with db.open("r+b") as f:  # a page in the middle of the file, overwritten
        f.seek(size * (pages // 2))
        f.write(b"\xa5" * size)
    for args in (("once",), ("run",)):
        _failed_in_words(await run_cli(*args, "-c", str(config), cwd=tmp_path, within=20),
                         "is damaged", "backup")  # fmt: skip
    checked = await run_cli("validate", "--check-store", "-c", str(config), cwd=tmp_path)
    assert checked.returncode == 1, checked.stdout
    assert "DAMAGED" in checked.stdout or "damaged" in checked.stderr, checked.stderr

    shutil.copy(good, db)
    with db.open("r+b") as f:  # the header: not a database any more
        f.write(b"\x00" * 100)
    for args in (("once",), ("search", "Belarus"), ("alerts",), ("validate",)):
        _failed_in_words(await run_cli(*args, "-c", str(config), cwd=tmp_path, within=20),
                         "not a watchwire database")  # fmt: skip


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """``folder`` made read-only: a read-only tmpfs as root (permissions do not stop root),
    file modes otherwise."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.iterdir()]}
        for p in modes:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)], check=True)
    try:
        for name, data in files.items():
            (folder / name).write_bytes(data)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


async def test_a_read_only_store_is_refused_in_words(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    config = _config(folder, await _site(http_server, 3))
    assert (await run_cli("once", "-c", str(config), cwd=folder)).returncode == 0
    with _read_only(folder):
        for args in (("once",), ("alerts", "retry")):
            done = await run_cli(*args, "-c", str(config), cwd=tmp_path, within=20)
            assert done.returncode == 1, done.stderr
            assert "Traceback" not in done.stderr and "sqlite3." not in done.stderr
            assert "write access" in done.stderr or "cannot" in done.stderr, done.stderr


async def test_a_store_deleted_under_a_running_service_stops_it(
    tmp_path: Path, http_server: ServerFactory,
    watchwire_cli: Callable[[Path], ServiceProcess],
) -> None:  # fmt: skip
    config = _config(tmp_path, await _site(http_server, 3))
    w = watchwire_cli(config)
    await eventually(lambda: "3 stored" in w.stderr(), within=20, what="the first poll",
                     alive=None)  # fmt: skip
    for leftover in tmp_path.glob("watchwire.db*"):  # noqa: ASYNC240 - a few files
        if not leftover.name.endswith(".lock"):
            leftover.unlink()
    await eventually(lambda: w.returncode is not None, within=10, what="the service to stop")
    assert w.returncode == 1, w.tail()
    assert "was deleted or replaced" in w.stderr()
