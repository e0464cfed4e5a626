"""A loopback news site, a webhook receiver and a config pointing at them, for running the
``watchwire`` command as a subprocess (``tests.support.cli``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.pipeline.site import Site, page
from tests.pipeline.test_poll import MATCHING
from tests.support.httpserver import HttpServer, Request, Response, ServerFactory

SECRET = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="


@dataclass
class Hook:
    """A webhook receiver answering ``status`` (and ``body``) to every POST, recording them."""

    server: HttpServer
    status: int = 200
    body: bytes = b"thanks"
    received: list[Request] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url("/hook")

    async def handle(self, request: Request, response: Response) -> None:
        self.received.append(request)
        await response.send(self.status, self.body, {"Content-Type": "text/plain"})


@pytest.fixture
async def news(http_server: ServerFactory) -> Site:
    """A site whose feed lists a fresh story that matches both rules and one that does not."""
    site = Site(await http_server())
    site.pages = {
        "deal": page("deal", "US offers Belarus a deal", *MATCHING),
        "budget": page("budget", "Council passes the budget"),
    }
    site.install()
    return site


@pytest.fixture
async def hook(http_server: ServerFactory) -> Hook:
    server = await http_server()
    receiver = Hook(server)
    server.route("/hook")(receiver.handle)
    return receiver


RULES = """
terms:
  belarus: [Belarus, Belarusian*]
  sanctions: [sanction*]
rules:
  - {name: belarus-sanctions, query: "@belarus AND @sanctions", within: paragraph}
  - {name: potash, query: "potash NEAR/5 exports"}
"""


ConfigWriter = Callable[..., Path]


@pytest.fixture
def write_config(tmp_path: Path) -> ConfigWriter:
    """``write_config(sources=..., channels=..., rules=...)``: a config file in ``tmp_path``
    with its store beside it; YAML fragments as text."""

    def write(
        *, sources: str, channels: str = "", rules: str = RULES, extra: str = "",
        name: str = "w.yaml",
    ) -> Path:  # fmt: skip
        path = tmp_path / name
        path.write_text(
            "storage: w.db\ncrawl: {per_host_delay: 0s, timeout: 5s, retries: 0}\n"
            f"sources:\n{sources}\nchannels:\n{channels or '  {}'}\n{rules}\n{extra}",
            encoding="utf-8",
        )
        return path

    return write


def webhook(url: str, *, retry: str = "{first: 1s, max: 1s, give_up: 1h}", extra: str = "") -> str:
    return f'  ops: {{type: webhook, url: "{url}", secret: "{SECRET}", retry: {retry}{extra}}}'


__all__ = ["RULES", "SECRET", "ConfigWriter", "Hook", "webhook"]
