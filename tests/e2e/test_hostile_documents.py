"""Hostile documents a source can serve, read by a real ``watchwire once`` process.

Each case was seen to do harm before: a page declaring utf-7 decoded into markup, a
rel=canonical on another port of the same host taken as the article's URL, an entity-declaring
feed handed to a parser that expands it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import once_table, run_cli
from tests.support.httpserver import ServerFactory, html

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

BODY = (
    "The United States will ease sanctions on Belarusian banks and potash exports, officials "
    "said on Thursday after a meeting in Minsk. Diplomats said the deal could free prisoners."
)


def _article(title: str, *, head: str = "", body: str = BODY) -> str:
    published = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    return (
        f"<!doctype html><html><head>{head}<title>{title}</title>"
        f'<meta property="article:published_time" content="{published}"></head>'
        f"<body><article><h1>{title}</h1><p>{body}</p><p>{body}</p></article></body></html>"
    )


def _feed(*links: str, prolog: str = "") -> str:
    when = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
    items = "".join(
        f"<item><title>t{i}</title><link>{u}</link><pubDate>{when}</pubDate></item>"
        for i, u in enumerate(links)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel>'
        f"<title>news</title>{items}</channel></rss>"
    )


def _config(tmp: Path, *sources: tuple[str, str]) -> Path:
    listed = "\n".join(f"  - {{name: {n}, url: '{u}'}}" for n, u in sources)
    path = tmp / "watchwire.yaml"
    path.write_text(
        f"""
storage: watchwire.db
crawl: {{per_host_delay: 0s, timeout: 5s, retries: 0}}
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


async def _stored(config: Path) -> list[dict[str, object]]:
    done = await run_cli("search", "Belarus*", "--json", "-c", str(config), cwd=config.parent)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


async def test_a_page_declaring_utf7_is_not_decoded_as_utf7(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    """``+ADw-script+AD4-`` stays text: utf-7 is no WHATWG encoding, so the label is ignored."""
    payload = "+ADw-script+AD4-alert(1)+ADw-/script+AD4-"
    server = await http_server()
    server.route("/a")(html(_article("Utf7", body=f"{BODY} {payload}"),
                            content_type="text/html; charset=utf-7"))  # fmt: skip
    server.route("/b")(html(_article("Meta", head='<meta charset="utf-7">', body=payload + BODY)))
    server.route("/feed")(html(_feed(server.url("/a"), server.url("/b")),
                               content_type="application/rss+xml"))  # fmt: skip
    config = _config(tmp_path, ("site", server.url("/feed")))
    done = await run_cli("once", "-c", str(config), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "watchwire.db") as db:
        bodies = [row[0] for row in db.execute("SELECT body FROM articles")]
    assert len(bodies) == 2
    assert all("+ADw-script+AD4-" in body and "<script>" not in body for body in bodies)


async def test_a_canonical_on_another_port_of_the_same_host_is_refused(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    """A page's rel=canonical naming another origin (same host, other port) is not its URL;
    one on its own origin is."""
    other = await http_server()
    server = await http_server()
    server.route("/a")(html(_article(
        "Elsewhere", head=f'<link rel="canonical" href="{other.url("/stolen")}">')))  # fmt: skip
    server.route("/b")(html(_article(
        "Here", head='<link rel="canonical" href="/b-canonical">')))  # fmt: skip
    server.route("/feed")(html(_feed(server.url("/a"), server.url("/b")),
                               content_type="application/rss+xml"))  # fmt: skip
    config = _config(tmp_path, ("site", server.url("/feed")))
    done = await run_cli("once", "-c", str(config), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    urls = sorted(str(hit["url"]) for hit in await _stored(config))
    assert urls == [server.url("/a"), server.url("/b-canonical")]


async def test_a_feed_declaring_entities_is_refused_before_parsing(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    """A billion-laughs feed fails that source with a message saying why; a sound feed beside
    it is read."""
    laughs = "".join(
        f'<!ENTITY l{i} "{"".join(f"&l{i - 1};" for _ in range(10))}">' for i in range(1, 10)
    )
    prolog = f'<!DOCTYPE rss [<!ENTITY l0 "lol">{laughs}]>'
    server = await http_server()
    server.route("/a")(html(_article("Sound")))
    server.route("/bomb")(
        html(
            _feed(server.url("/a"), prolog=prolog).replace(
                "<title>news</title>", "<title>&l9;</title>"
            ),
            content_type="application/rss+xml",
        )
    )
    server.route("/feed")(html(_feed(server.url("/a")), content_type="application/rss+xml"))
    config = _config(tmp_path, ("bomb", server.url("/bomb")), ("sound", server.url("/feed")))
    done = await run_cli("once", "-c", str(config), cwd=tmp_path)
    table = once_table(done.stdout)
    assert "declares XML entities" in table["bomb"]["error"], done.stdout
    assert table["sound"]["stored"] == "1", done.stdout
    assert [hit["url"] for hit in await _stored(config)] == [server.url("/a")]
