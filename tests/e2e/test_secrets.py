"""Secrets stay out of every output and every table: real ``watchwire`` commands, known secrets.

A source URL with user info, tokens under names no list foresees and a URL nested in a query
value; a Slack-style webhook whose path is the credential; a webhook signing secret; an SMTP
password. After ``validate``, ``once`` (debug logs, one source failing), ``alerts list`` and
``search``, none of their bytes may appear in what was printed or in the store's files.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.e2e.conftest import once_table, run_cli
from tests.e2e.test_hostile_documents import _article, _feed
from tests.support.httpserver import Request, Response, ServerFactory, html

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

SECRETS = (
    "S3CR3T-PW",
    "TOK-111",
    "NESTED-PW",
    "AMZ-222",
    "JWT-333",
    "SLACKTOKEN444",
    "SMTP-PW-555",
    "c2VjcmV0LXNpZ25pbmcta2V5LTY2Ng",  # the webhook signing secret
    "FRAG-777",
)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_no_output_and_no_table_holds_a_secret(
    tmp_path: Path, http_server: ServerFactory
) -> None:
    server = await http_server()
    hooks: list[Request] = []

    async def hook(request: Request, response: Response) -> None:
        hooks.append(request)
        await response.send(200, b"ok", {"Content-Type": "text/plain"})

    server.route("/a")(html(_article("Belarus story")))
    server.route("/feed")(html(_feed(server.url("/a")), content_type="application/rss+xml"))
    server.route("/services/T000/B000/SLACKTOKEN444")(hook)
    port = server.url("/").split(":")[2].split("/")[0]
    source = (
        f"http://feeduser:S3CR3T-PW@127.0.0.1:{port}/feed?token=TOK-111"
        "&next=http%3A%2F%2Fnu%3ANESTED-PW%40x.example%2F&X-Amz-Signature=AMZ-222#FRAG-777"
    )
    failing = f"http://u:S3CR3T-PW@127.0.0.1:{_closed_port()}/f?jwt=JWT-333"
    config = tmp_path / "watchwire.yaml"
    config.write_text(
        f"""
storage: watchwire.db
crawl: {{per_host_delay: 0s, timeout: 3s, retries: 0}}
sources:
  - {{name: good, url: "{source}"}}
  - {{name: bad, url: "{failing}"}}
channels:
  chat:
    type: webhook
    url: {server.url("/services/T000/B000/SLACKTOKEN444")}
    format: slack
    secret: whsec_c2VjcmV0LXNpZ25pbmcta2V5LTY2Ng==
  mail:
    type: email
    to: [a@example.org]
    from: w@example.org
    smtp: {{host: 127.0.0.1, port: {_closed_port()}, security: none,
           username: w, password: SMTP-PW-555}}
    retry: {{first: 1s, max: 1s, give_up: 1s}}
rules:
  - {{name: belarus, query: "Belarus*"}}
""",
        encoding="utf-8",
    )
    c = str(config)
    outputs = [await run_cli("validate", "-c", c, cwd=tmp_path)]
    outputs.append(
        await run_cli("once", "-c", c, "--log-level", "debug", "--drain-timeout", "3", cwd=tmp_path)
    )
    outputs.append(await run_cli("validate", "-c", c, cwd=tmp_path))
    outputs.append(await run_cli("alerts", "-c", c, cwd=tmp_path))
    outputs.append(await run_cli("alerts", "--json", "-c", c, cwd=tmp_path))
    outputs.append(await run_cli("search", "Belarus*", "-c", c, cwd=tmp_path))
    outputs.append(await run_cli("once", "-c", c, "--log-format", "json", "--log-level", "debug",
                                 cwd=tmp_path))  # fmt: skip

    assert len(hooks) == 1, outputs[1].stderr  # the source was read, the alert delivered
    table = once_table(outputs[1].stdout)
    assert [row["stored"] for row in table.values() if row["result"] == "ok"] == ["1"]
    assert "hooks" not in outputs[0].stdout and "127.0.0.1" in outputs[0].stdout
    text = "\n".join(o.stdout + o.stderr for o in outputs)
    assert "SMTP" in text or "smtp" in text  # the failing email channel was tried
    files = sorted(tmp_path.glob("watchwire.db*"))  # noqa: ASYNC240 - the run is over
    assert files and all(f.stat().st_size for f in files)
    for secret in SECRETS:
        assert secret not in text, f"{secret} printed"
        for f in files:
            assert secret.encode() not in f.read_bytes(), f"{secret} in {f.name}"
