"""Documents that cost too much to parse, read by a real ``watchwire run`` process.

Before: a 4.8 MB feed of unclosed nested elements (under the default ``max_body``) fell through
to feedparser on the event loop: no other source was polled for ~24 s, the service grew to
1.35 GB, and SIGTERM took ~24 s. Article pages were analysed on the loop just the same, with no
bound, outside bursts. Now a document too large or too tag-heavy to parse on the loop is parsed
in a sandbox process with a time and memory bound, and one over its bound fails alone.
"""

from __future__ import annotations

import itertools
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from tests.e2e.conftest import ServiceProcess, eventually
from tests.e2e.test_hostile_documents import _article, _feed
from tests.support.httpserver import Request, Response, ServerFactory, html

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

HOSTILE_FEED = b'<?xml version="1.0"?><rss version="2.0"><channel>' + b"<a>" * 1_600_000
"""4.8 MB of elements never closed: not well-formed, so it used to go to feedparser."""
HOSTILE_PAGE = b"<!doctype html><html><body>" + b"<b>" * 1_550_000 + b"Belarus and sanctions. " * 20
"""4.7 MB of unclosed formatting elements: ~1 GB and seconds for an HTML parser to build."""


def _config(tmp: Path, *sources: tuple[str, str]) -> Path:
    listed = "\n".join(f"  - {{name: {n}, url: '{u}'}}" for n, u in sources)
    path = tmp / "watchwire.yaml"
    path.write_text(
        f"""
storage: watchwire.db
crawl: {{interval: 1s, per_host_delay: 0s, timeout: 10s, retries: 0}}
sources:
{listed}
channels:
  out: {{type: console}}
rules:
  - {{name: belarus, query: "Belarus*"}}
""",
        encoding="utf-8",
    )
    return path


def _peak_rss(pid: int) -> int:
    """The process's peak resident set size so far, in bytes (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc")


async def test_a_feed_over_its_bound_fails_alone_and_the_service_stays_responsive(
    tmp_path: Path, http_server: ServerFactory, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    """The hostile feed fails with a message naming the bound, logged against its source;
    the sound source beside it is polled all along; the service stays small."""
    server = await http_server()
    server.route("/a")(html(_article("Belarus")))
    server.route("/sound")(html(_feed(server.url("/a")), content_type="application/rss+xml"))
    server.route("/hostile")(html(HOSTILE_FEED, content_type="application/rss+xml"))
    w = watchwire_cli(_config(tmp_path, ("hostile", server.url("/hostile")),
                              ("sound", server.url("/sound"))))  # fmt: skip
    await eventually(lambda: bool(server.hits("/hostile")), within=20,
                     what="the hostile feed fetched", alive=w)  # fmt: skip
    polled = len(server.hits("/sound"))
    await eventually(lambda: len(server.hits("/sound")) >= polled + 3, within=8,
                     what="three more polls of the sound source meanwhile", alive=w)  # fmt: skip
    await eventually(lambda: "[hostile] poll failed" in w.stderr(), within=40,
                     what="the hostile poll failing", alive=w)  # fmt: skip
    failed = next(line for line in w.stderr().splitlines() if "[hostile] poll failed" in line)
    assert "the document is refused: parsing it" in failed, failed
    assert _peak_rss(w.proc.pid) < 300 << 20
    assert await w.terminate() == 0, w.tail()
    assert "Traceback" not in w.stderr()
    with closing(sqlite3.connect(tmp_path / "watchwire.db")) as db:
        assert db.execute("SELECT url FROM articles").fetchall() == [(server.url("/a"),)]


async def test_the_service_stops_within_its_grace_while_a_hostile_feed_is_parsed(
    tmp_path: Path, http_server: ServerFactory, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    server = await http_server()
    server.route("/hostile")(html(HOSTILE_FEED, content_type="application/rss+xml"))
    w = watchwire_cli(_config(tmp_path, ("hostile", server.url("/hostile"))))
    await eventually(lambda: "parsing 4800049 bytes in a sandbox" in w.stderr(), within=20,
                     what="the hostile feed handed to a sandbox", alive=w)  # fmt: skip
    stopping = time.monotonic()
    assert await w.terminate(within=30) == 0, w.tail()
    assert time.monotonic() - stopping < 12  # SHUTDOWN_GRACE (10 s) and the close
    assert "Traceback" not in w.stderr()


async def test_a_page_over_its_bound_is_given_up_after_its_second_try_and_remembered(
    tmp_path: Path, http_server: ServerFactory, watchwire_cli: Callable[[Path], ServiceProcess]
) -> None:
    """Tried twice, in two sandboxes, then given up with the reason; the feed that lists it
    keeps changing (a new article each poll) and is re-read, but the page is never fetched or
    analysed again, and the articles beside it are stored."""
    server = await http_server()
    server.route("/hostile")(html(HOSTILE_PAGE))
    counter = itertools.count()

    async def growing_feed(request: Request, response: Response) -> None:
        n = next(counter)
        for i in range(n + 1):
            server.route(f"/a/{i}")(html(_article(f"Belarus {i}")))
        links = [server.url("/hostile"), *(server.url(f"/a/{i}") for i in range(n + 1))]
        await response.send(200, _feed(*links).encode(),
                            {"Content-Type": "application/rss+xml"})  # fmt: skip

    server.route("/feed")(growing_feed)
    w = watchwire_cli(_config(tmp_path, ("wire", server.url("/feed"))))
    await eventually(lambda: "given up" in w.stderr(), within=60,
                     what="the hostile page given up", alive=w)  # fmt: skip
    polls = len(server.hits("/feed"))
    await eventually(lambda: len(server.hits("/feed")) >= polls + 3, within=15,
                     what="three more polls of the changing feed", alive=w)  # fmt: skip
    await eventually(lambda: f"/a/{len(server.hits('/feed')) - 2} " in _stored(tmp_path),
                     within=10, what="the later articles stored", alive=w)  # fmt: skip
    assert await w.terminate() == 0, w.tail()
    log = w.stderr()
    assert len(server.hits("/hostile")) == 1
    assert log.count("[wire] the analysis of") == 1, log  # its first try, then one more
    assert log.count("starting a sandbox") == 2, log  # one per try, none on later polls
    with closing(sqlite3.connect(tmp_path / "watchwire.db")) as db:
        given_up = db.execute("SELECT url, source, reason FROM given_up").fetchall()
    assert len(given_up) == 1 and given_up[0][:2] == (server.url("/hostile"), "wire")
    assert given_up[0][2].startswith("its analysis") and given_up[0][2].endswith(", twice")
    assert "Traceback" not in log


def _stored(tmp: Path) -> str:
    with closing(sqlite3.connect(tmp / "watchwire.db")) as db:
        return " ".join(row[0] + " " for row in db.execute("SELECT url FROM articles"))
