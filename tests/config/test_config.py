"""Config loading: every class of mistake names file:line:col and the key path."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from watchwire.config import (
    ConsoleChannel,
    CrawlSettings,
    EmailChannel,
    Threshold,
    WebhookChannel,
    Within,
    load_config,
    parse_config,
    parse_duration,
    parse_size,
)
from watchwire.exceptions import ConfigError

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
storage: test.db
crawl:
  interval: 5m
sources:
  - name: unn-en
    url: https://unn.ua/en/rss/news
  - name: listing
    url: https://news.example.org/world
    kind: listing
    links: "article h2 a"
channels:
  ops:
    type: webhook
    url: https://hooks.example.org/w
    secret: ${SECRET}
  mail:
    type: email
    to: [a@example.org]
    from: w@example.org
    smtp: {host: smtp.example.org, port: ${SMTP_PORT:-2525}, password: ${PW:-}}
    digest: 1h
  term:
    type: console
terms:
  belarus: [Belarus, Білорус*]
rules:
  - name: r1
    query: 'Belarus AND sanction*'
    within: 12 words
    notify: [ops, term]
"""


def load(text: str, env: dict[str, str] | None = None) -> object:
    return parse_config(textwrap.dedent(text), file="w.yaml", env=env or {})


def error_of(text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load(text, env)
    return str(info.value)


def test_example_config_in_repo_loads() -> None:
    """config/watchwire.yaml is public API: it must always load."""
    config = load_config(REPO / "config" / "watchwire.yaml", env={})
    assert any(r.name == "belarus-sanctions" for r in config.rules)
    assert config.source("unn-en").url.startswith("https://unn.ua/")


def test_good_config_becomes_typed_frozen_models() -> None:
    config = parse_config(GOOD, file="w.yaml", env={"SECRET": "whsec_abc"})
    assert config.crawl.interval == timedelta(minutes=5)
    ops = config.channels["ops"]
    assert isinstance(ops, WebhookChannel)
    assert ops.secret is not None and ops.secret.get_secret_value() == "whsec_abc"
    mail = config.channels["mail"]
    assert isinstance(mail, EmailChannel)
    assert mail.smtp.port == 2525 and mail.smtp.password is None and mail.from_ == "w@example.org"
    assert mail.digest == timedelta(hours=1)
    assert isinstance(config.channels["term"], ConsoleChannel)
    assert config.rules[0].within == Within(kind="words", words=12)
    with pytest.raises(ValueError, match="frozen"):
        config.storage = "x"  # type: ignore[misc]


def test_secrets_do_not_leak_into_repr() -> None:
    config = parse_config(GOOD, file="w.yaml", env={"SECRET": "whsec_dG9wc2VjcmV0"})
    assert "dG9wc2VjcmV0" not in repr(config)


def test_source_overrides_fall_back_to_crawl_defaults() -> None:
    config = parse_config(GOOD, file="w.yaml", env={"SECRET": "whsec_c2VjcmV0"})
    settings = config.settings_for(config.sources[0])
    assert settings.interval == timedelta(minutes=5)
    assert settings.per_host_concurrency == 2


# Every crawl key with a value that is not its default, as written in YAML and as read.
CRAWL_OVERRIDES = {
    "interval": ("90s", timedelta(seconds=90)),
    "user_agent": ("bot/2", "bot/2"),
    "timeout": ("45s", timedelta(seconds=45)),
    "connect_timeout": ("3s", timedelta(seconds=3)),
    "max_body": ("1MB", 1_000_000),
    "max_redirects": ("0", 0),
    "retries": ("7", 7),
    "per_host_concurrency": ("9", 9),
    "per_host_delay": ("0s", timedelta(0)),
    "respect_robots": ("false", False),
    "backfill": ("2d", timedelta(days=2)),
    "max_articles_per_poll": ("17", 17),
    "max_backoff": ("2h", timedelta(hours=2)),
}


def test_every_crawl_key_can_be_overridden_per_source() -> None:
    """README: "any crawl key as an override"; the source's value wins over crawl:."""
    assert set(CRAWL_OVERRIDES) == set(CrawlSettings.model_fields)
    keys = "".join(f"    {key}: {text}\n" for key, (text, _) in CRAWL_OVERRIDES.items())
    config = parse_config(
        "sources:\n  - name: a\n    url: https://a.example/\n" + keys
        + "  - name: b\n    url: https://b.example/\n",
        env={},
    )  # fmt: skip
    settings = config.settings_for(config.source("a"))
    for key, (_, value) in CRAWL_OVERRIDES.items():
        assert getattr(settings, key) == value, key
    assert config.settings_for(config.source("b")) == CrawlSettings()


def test_an_empty_override_falls_back_to_crawl() -> None:
    """``timeout: ${SRC_TIMEOUT:-}`` left unset means no override, not an error."""
    config = parse_config(
        "crawl: {timeout: 30s}\nsources:\n"
        "  - {name: a, url: 'https://a.example/', timeout: ${SRC_TIMEOUT:-}}\n",
        env={},
    )
    assert config.settings_for(config.sources[0]).timeout == timedelta(seconds=30)


@pytest.mark.parametrize(
    ("key", "text", "problem"),
    [
        ("interval", "0s", "must be longer than zero"),
        ("connect_timeout", "0s", "must be longer than zero"),
        ("retries", "11", "less than or equal to 10"),
        ("max_redirects", "-1", "greater than or equal to 0"),
        ("max_articles_per_poll", "0", "greater than or equal to 1"),
        ("max_body", "0", "greater than 0"),
        ("max_backoff", "soon", "expected a duration"),
    ],
)
def test_a_source_override_is_checked_as_under_crawl(key: str, text: str, problem: str) -> None:
    """The same check, the same message, at the source key's own line and column."""
    under_crawl = error_of(f"crawl:\n  {key}: {text}\n")
    assert under_crawl.startswith(f"w.yaml:2:{5 + len(key)}: crawl.{key}: ")
    assert problem in under_crawl
    source = "sources:\n  - name: a\n    url: https://a.example/\n"
    per_source = error_of(f"{source}    {key}: {text}\n")
    assert per_source == under_crawl.replace(
        f"w.yaml:2:{5 + len(key)}: crawl.", f"w.yaml:4:{7 + len(key)}: sources[0]."
    )


def test_unknown_key_names_line_column_and_path() -> None:
    msg = error_of("""\
        sources:
          - name: a
            url: https://a.example/
            intervall: 5m
        """)
    assert msg == "w.yaml:4:5: sources[0].intervall: unknown key"


def test_unknown_channel_in_notify() -> None:
    msg = error_of("""\
        channels:
          ops: {type: console}
        rules:
          - name: r
            query: a
          - name: r2
            query: b
            notify: [opz]
        """)
    assert msg.startswith("w.yaml:8:14: rules[1].notify[0]: unknown channel 'opz'")


def test_unknown_source_in_rule() -> None:
    msg = error_of("""\
        sources:
          - {name: a, url: "https://a.example/"}
        rules:
          - {name: r, query: x, sources: [b]}
        """)
    assert msg.startswith("w.yaml:4:35: rules[0].sources[0]: unknown source 'b'")


def test_duplicate_source_names() -> None:
    msg = error_of("""\
        sources:
          - {name: a, url: "https://a.example/"}
          - {name: a, url: "https://b.example/"}
        """)
    assert msg.startswith("w.yaml:3:12: sources[1].name: duplicate source name 'a'")


def test_bad_duration_value() -> None:
    msg = error_of("crawl:\n  interval: 5 minutes\n")
    assert msg.startswith("w.yaml:2:13: crawl.interval: expected a duration")


def test_wrong_type() -> None:
    msg = error_of("crawl:\n  per_host_concurrency: many\n")
    assert msg.startswith("w.yaml:2:25: crawl.per_host_concurrency:")


def test_missing_required_key() -> None:
    msg = error_of("sources:\n  - name: a\n")
    assert msg.startswith("w.yaml:2:5: sources[0].url: required key is missing")


def test_unknown_channel_type() -> None:
    msg = error_of("channels:\n  x:\n    type: pigeon\n")
    assert msg.startswith("w.yaml:3:5: channels.x")
    assert "unknown channel type" in msg


def test_wrong_key_inside_channel_points_at_the_key() -> None:
    msg = error_of("channels:\n  x:\n    type: webhook\n    url: https://h/\n    sekret: s\n")
    assert msg == "w.yaml:5:5: channels.x.sekret: unknown key"


def test_yaml_syntax_error_has_position() -> None:
    msg = error_of("sources:\n  - name: a\n   url: [\n")
    assert msg.startswith("w.yaml:3:")
    assert "YAML syntax error" in msg


def test_duplicate_yaml_key() -> None:
    msg = error_of("storage: a.db\nstorage: b.db\n")
    assert msg.startswith("w.yaml:2:1: storage: duplicate key")


def test_missing_env_var_without_default() -> None:
    msg = error_of("channels:\n  x: {type: webhook, url: 'https://h/', secret: '${NOPE}'}\n")
    assert msg.startswith("w.yaml:2:")
    assert "NOPE is not set" in msg


def test_env_interpolation_with_default_and_escape() -> None:
    config = parse_config(
        "storage: ${DB:-fallback.db}\ncrawl: {user_agent: 'a $$b ${UA}'}\n",
        env={"UA": "ww"},
    )
    assert config.storage.url == "fallback.db"
    assert config.crawl.user_agent == "a $b ww"


def test_empty_file_is_an_error() -> None:
    assert error_of("") == "w.yaml: the config is empty"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_storage_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text("storage: data/x.db\n")
    assert load_config(tmp_path / "w.yaml").store_location().path == tmp_path / "data" / "x.db"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400), ("500ms", 0.5), ("1.5h", 5400)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["5", "m5", "5 minutes", "", "-1s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"), [("5MB", 5_000_000), ("512KB", 512_000), ("1MiB", 1 << 20), (1000, 1000)]
)
def test_sizes(text: str | int, size: int) -> None:
    assert parse_size(text) == size


def test_within_forms() -> None:
    base = "rules:\n  - name: r\n    query: a\n    within: {}\n"
    assert load(base.format("sentence")).rules[0].within == Within(kind="sentence")  # type: ignore[attr-defined]
    msg = error_of(base.format("page"))
    assert msg.startswith("w.yaml:4:13: rules[0].within: expected article, paragraph")


def test_env_reference_inside_a_flow_mapping() -> None:
    """DESIGN.md writes `smtp: {…, password: ${SMTP_PASSWORD}}`: braces must not break YAML."""
    config = parse_config(
        "channels:\n  m:\n    type: email\n    to: [a@b.c]\n    from: w@b.c\n"
        "    smtp: {host: h, port: ${PORT:-587}, username: u, password: ${SMTP_PASSWORD}}\n",
        env={"SMTP_PASSWORD": "p{a}ss: word"},
    )
    mail = config.channels["m"]
    assert isinstance(mail, EmailChannel)
    assert mail.smtp.port == 587
    assert mail.smtp.password is not None
    assert mail.smtp.password.get_secret_value() == "p{a}ss: word"


def test_digest_forms() -> None:
    base = "channels:\n  m: {{type: console, digest: '{}'}}\n"
    assert load(base.format("immediate")).channels["m"].digest is None  # type: ignore[attr-defined]
    assert load(base.format("0 8 * * 1-5")).channels["m"].digest == "0 8 * * 1-5"  # type: ignore[attr-defined]
    msg = error_of(base.format("0 25 * * *"))
    assert msg.startswith("w.yaml:2:30: channels.m.digest: invalid crontab expression")


# --- operations: storage, http, health ----------------------------------------------------------


def test_storage_is_a_path_or_a_mapping_with_retention() -> None:
    plain = parse_config("storage: a.db\n")
    assert plain.storage.url == "a.db" and plain.storage.retention == timedelta(days=90)
    assert plain.storage.alert_retention == timedelta(days=365)
    full = parse_config("storage: {url: b.db, retention: 7d, alert_retention: forever}\n")
    assert (full.storage.url, full.storage.retention) == ("b.db", timedelta(days=7))
    assert full.storage.alert_retention is None


def test_alert_retention_shorter_than_retention_is_an_error() -> None:
    with pytest.raises(ConfigError, match="at least retention") as err:
        parse_config("storage: {url: b.db, retention: 30d, alert_retention: 7d}\n")
    assert err.value.path == "storage.alert_retention"


def test_http_off_loopback_needs_a_token() -> None:
    assert parse_config("http: {}\n").http is not None  # 127.0.0.1:8080
    assert parse_config("http: {listen: '[::1]:9000'}\n").http.port == 9000  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match=r"needs http\.token") as err:
        parse_config("http: {listen: '0.0.0.0:8080'}\n")
    assert err.value.path == "http.listen"
    with_token = parse_config("http: {listen: '0.0.0.0:8080', token: ${T}}\n",
                              env={"T": "x" * 20})  # fmt: skip
    assert with_token.http is not None and not with_token.http.loopback
    with pytest.raises(ConfigError, match="at least 16"):
        parse_config("http: {listen: '0.0.0.0:8080', token: short}\n")
    with pytest.raises(ConfigError, match="HOST:PORT"):
        parse_config("http: {listen: '8080'}\n")


def test_health_thresholds_spelled_like_rules_and_per_source() -> None:
    config = parse_config("""
channels: {ops: {type: console}}
health: {notify: [ops], failing_after: 5 polls, silent_after: 24h}
sources:
  - {name: a, url: "http://a/"}
  - {name: b, url: "http://b/", health: {failing_after: 1h, silent_after: auto}}
  - {name: c, url: "http://c/", health: {silent_after: "off"}}
""")
    a, b, c = config.sources
    assert config.health_for(a) == (Threshold(polls=5), timedelta(hours=24))
    assert config.health_for(b) == (Threshold(duration=timedelta(hours=1)), None)
    assert config.health_for(c) == (Threshold(polls=5), timedelta(0))
    assert parse_config("{}\n").health_for(a) == (Threshold(polls=3), None)  # the defaults


def test_health_notify_names_known_channels_and_thresholds_are_checked() -> None:
    with pytest.raises(ConfigError, match="unknown channel 'ops'") as err:
        parse_config("health: {notify: [ops]}\n")
    assert err.value.path == "health.notify[0]"
    with pytest.raises(ConfigError, match="number of polls"):
        parse_config("health: {failing_after: soon}\n")
