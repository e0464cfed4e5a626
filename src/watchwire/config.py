"""The user's configuration: one YAML file, validated strictly into frozen objects.

Errors name the file, line and column and the key path (``rules[2].query``), because the user
fixes them in an editor. YAML is composed into nodes first (so every value keeps its position),
``${VAR}`` / ``${VAR:-default}`` are interpolated from the environment, then pydantic validates
the plain data and its error locations are mapped back to the nodes.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
)

from watchwire.exceptions import ConfigError, QuerySyntaxError, StoreError
from watchwire.rules.engine import QueryChecker
from watchwire.rules.spec import Within, parse_within
from watchwire.store.factory import StoreLocation, locate_store

__all__ = [
    "CHANNEL_TYPES",
    "AppriseChannel",
    "ChannelConfig",
    "Config",
    "ConsoleChannel",
    "CrawlSettings",
    "DedupeConfig",
    "EmailChannel",
    "HealthConfig",
    "HealthThresholds",
    "HttpConfig",
    "RetryPolicy",
    "RuleConfig",
    "SmtpConfig",
    "SourceConfig",
    "StorageConfig",
    "Threshold",
    "WebhookChannel",
    "channel_type_name",
    "decode_webhook_secret",
    "default_config_path",
    "load_config",
    "parse_duration",
    "parse_size",
]

PathKey = tuple[str | int, ...]
"""Where a value stands in the document: ``("rules", 2, "query")``."""

# --- scalar types -----------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)\s*$")
_DURATION_UNITS = {
    "ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 365 * 86400,
}  # fmt: skip
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3,
}  # fmt: skip


def parse_duration(value: object) -> timedelta:
    """``30s``, ``5m``, ``2h``, ``1d``, ``1w``, ``1y`` (365 days), ``500ms`` → timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return timedelta(seconds=float(m[1]) * _DURATION_UNITS[m[2]])
    raise ValueError(f"expected a duration such as 30s, 5m, 2h or 1d, got {value!r}")


def parse_size(value: object) -> int:
    """``5MB``, ``512KiB``, ``1000`` (bytes) → int bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m:
            return int(float(m[1]) * _SIZE_UNITS[(m[2] or "b").lower()])
    raise ValueError(f"expected a size such as 512KB or 5MB, got {value!r}")


def _positive(td: timedelta) -> timedelta:
    if td <= timedelta(0):
        raise ValueError("must be longer than zero")
    return td


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
PositiveDuration = Annotated[Duration, AfterValidator(_positive)]
Size = Annotated[int, BeforeValidator(parse_size), Field(gt=0)]


# --- models -----------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_URL = r"^https?://\S+$"
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


def _language_code(value: str) -> str:
    """A language tag (``uk``, ``en``, ``pt-BR``): ``ukrainian`` would never match any page."""
    if not _LANGUAGE.match(value):
        raise ValueError(
            f"'{value}' is not a language code: use ISO 639-1 codes such as uk, en, de or pl"
        )
    return value


LanguageCode = Annotated[str, AfterValidator(_language_code)]


class CrawlSettings(_Model):
    """How sources are crawled: the one list of crawl keys, their defaults and their checks.

    ``crawl:`` sets them for every source; a source may override any of them with the same key
    (``sources[i].timeout: 60s``, see ``SourceConfig``); ``Config.settings_for`` gives those in
    force for one source.
    """

    interval: PositiveDuration = timedelta(minutes=10)
    user_agent: str = "watchwire/0.1 (+https://github.com/watchwire/watchwire)"
    timeout: PositiveDuration = timedelta(seconds=20)
    """Total deadline of one fetch, body included."""
    connect_timeout: PositiveDuration = timedelta(seconds=10)
    max_body: Size = 5_000_000
    max_redirects: int = Field(default=5, ge=0, le=30)
    retries: int = Field(default=2, ge=0, le=10)
    """Extra attempts for transient errors within one poll."""
    per_host_concurrency: int = Field(default=2, ge=1, le=64)
    per_host_delay: Duration = timedelta(seconds=1)
    respect_robots: bool = True
    backfill: Duration = timedelta(hours=24)
    max_articles_per_poll: int = Field(default=200, ge=1)
    """Newest first; the rest wait for the next poll."""
    max_backoff: Duration = timedelta(hours=6)
    """Ceiling of a failing source's polling back-off."""


def _as_overrides(model: type[_Model]) -> dict[str, Any]:
    """Every field of ``model`` as an optional override, for ``create_model``: checked as
    ``model`` checks it, None when not set (so ``${VAR:-}`` left empty means "not overridden")."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        # pydantic keeps a field's constraints and validators apart from its type: put them back.
        checked: Any = (
            Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        )
        fields[name] = (checked | None, None)
    return fields


_CRAWL_KEYS = tuple(CrawlSettings.model_fields)


@dataclass(frozen=True, slots=True)
class Threshold:
    """``failing_after``: a number of failed polls in a row, or a time failing."""

    polls: int | None = None
    duration: timedelta | None = None

    def __str__(self) -> str:
        if self.polls is not None:
            return f"{self.polls} poll{'s' if self.polls != 1 else ''}"
        assert self.duration is not None
        return _human_duration(self.duration)


_POLLS = re.compile(r"^\s*(\d+)\s*polls?\s*$")


def _parse_threshold(value: object) -> Threshold | None:
    if value is None or isinstance(value, Threshold):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"{value} polls"
    if isinstance(value, str) and (m := _POLLS.match(value)):
        if int(m[1]) < 1:
            raise ValueError("must be at least 1 poll")
        return Threshold(polls=int(m[1]))
    try:
        return Threshold(duration=_positive(parse_duration(value)))
    except ValueError:
        raise ValueError(
            f"expected a number of polls such as '3 polls' or a duration such as 1h, got {value!r}"
        ) from None


def _parse_silent(value: object) -> timedelta | Literal["auto", "off"] | None:
    if value is None or value in ("auto", "off"):
        return value
    try:
        return _positive(parse_duration(value))
    except ValueError:
        raise ValueError(f"expected auto, off or a duration such as 24h, got {value!r}") from None


FailingAfter = Annotated[Threshold | None, BeforeValidator(_parse_threshold)]
SilentAfter = Annotated[timedelta | Literal["auto", "off"] | None, BeforeValidator(_parse_silent)]


class HealthThresholds(_Model):
    """When a source counts as failing or silent (``health:``, or a source's own ``health:``).

    None: not set here (a source's falls back to ``health:``, which falls back to the default).
    """

    failing_after: FailingAfter = None
    """Failed polls in a row (``3 polls``), or time since the first of them (``1h``)."""
    silent_after: SilentAfter = None
    """``auto`` (learned from the source's own history), ``off``, or a duration."""


class HealthConfig(HealthThresholds):
    """``health:``: who is told when a source's health changes, and the default thresholds."""

    notify: tuple[str, ...] = ()
    """Channels that get ``watchwire.source_health`` alerts (none: nobody is told)."""

    @property
    def failing(self) -> Threshold:
        return self.failing_after or Threshold(polls=3)

    @property
    def silent(self) -> timedelta | Literal["auto", "off"]:
        return self.silent_after or "auto"


class _SourceKeys(_Model):
    """One watched site (``sources[i]``), with any crawl key as an override of ``crawl:``."""

    name: str = Field(pattern=_NAME)
    url: str = Field(pattern=_URL)
    kind: Literal["feed", "sitemap", "listing", "page"] | None = None
    links: str | None = None
    """CSS selector for article links on a listing page."""
    enabled: bool = True
    language: LanguageCode | None = None
    """Assumed language of the source's articles when a page does not say."""
    health: HealthThresholds | None = None
    """This source's own ``failing_after`` / ``silent_after``."""

    def crawl_overrides(self) -> dict[str, Any]:
        """The crawl settings this source sets itself."""
        return {
            key: value for key in _CRAWL_KEYS if (value := getattr(self, key, None)) is not None
        }


# The crawl keys of a source are derived from CrawlSettings, not written out again. Type
# checkers see only the keys above, so that code reads crawl settings through settings_for.
if TYPE_CHECKING:
    SourceConfig = _SourceKeys
else:
    SourceConfig = create_model(
        "SourceConfig",
        __base__=_SourceKeys,
        __module__=__name__,
        __doc__=_SourceKeys.__doc__,
        **_as_overrides(CrawlSettings),
    )


class RetryPolicy(_Model):
    """Delivery retries of one channel: ``first`` doubling up to ``max``, until ``give_up``."""

    first: Duration = timedelta(seconds=30)
    max: Duration = timedelta(hours=1)
    give_up: Duration = timedelta(hours=24)


def _parse_digest(value: object) -> timedelta | str | None:
    if value is None or value == "immediate":
        return None
    if isinstance(value, str) and len(value.split()) == 5:
        from watchwire.scheduler import validate_crontab

        try:
            validate_crontab(value)
        except ValueError as exc:
            raise ValueError(f"invalid crontab expression {value!r}: {exc}") from None
        return value
    return _positive(parse_duration(value))


Digest = Annotated[timedelta | str | None, BeforeValidator(_parse_digest)]


class _ChannelBase(_Model):
    digest: Digest = None
    """None: immediate; a period; or a 5-field crontab expression."""
    retry: RetryPolicy = RetryPolicy()
    concurrency: int = Field(default=4, ge=1, le=64)


class WebhookChannel(_ChannelBase):
    type: Literal["webhook"]
    url: str = Field(pattern=_URL)
    secret: SecretStr | None = None
    """``whsec_`` + base64: Standard Webhooks signing secret."""
    format: Literal["json", "slack", "discord"] = "json"
    timeout: Duration = timedelta(seconds=15)
    headers: dict[str, str] = {}

    @field_validator("secret")
    @classmethod
    def _check_secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value():
            return None  # ${VAR:-} left empty: unsigned
        if v is not None:
            decode_webhook_secret(v.get_secret_value())  # a bad one fails here, not at start
        return v


WEBHOOK_SECRET_PREFIX = "whsec_"


def decode_webhook_secret(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (the prefix is optional). The message of
    the ValueError it raises never quotes the secret."""
    raw = secret.strip().removeprefix(WEBHOOK_SECRET_PREFIX)
    try:
        key = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "the secret must be whsec_ followed by base64 (Standard Webhooks); "
            "this one is not base64 (its value is not shown)"
        ) from None
    if not key:
        raise ValueError("the secret is empty after whsec_")
    return key


class SmtpConfig(_Model):
    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    """Default: 587 for starttls, 465 for tls, 25 for none."""
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    timeout: Duration = timedelta(seconds=30)

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "tls": 465, "none": 25}[self.security]


class EmailChannel(_ChannelBase):
    model_config = ConfigDict(populate_by_name=True)

    type: Literal["email"]
    to: list[str] = Field(min_length=1)
    from_: str = Field(alias="from")
    smtp: SmtpConfig


class ConsoleChannel(_ChannelBase):
    type: Literal["console"]


class AppriseChannel(_ChannelBase):
    type: Literal["apprise"]
    urls: list[str] = Field(min_length=1)


ChannelConfig = Annotated[
    WebhookChannel | EmailChannel | ConsoleChannel | AppriseChannel,
    Field(discriminator="type"),
]
"""A channel's config, by its ``type:``. Each type is built and described by its module in
``alerts/`` (``alerts/factory.py`` lists them)."""


def channel_type_name(model: type[BaseModel]) -> str:
    """The ``type:`` tag of a channel config model: its ``type`` literal."""
    (tag,) = get_args(model.model_fields["type"].annotation)
    return str(tag)


CHANNEL_TYPES: tuple[str, ...] = tuple(
    channel_type_name(model) for model in get_args(get_args(ChannelConfig)[0])
)
"""Every channel ``type:``, in ``ChannelConfig``'s order."""

FieldName = Literal["title", "lead", "body"]


class RuleConfig(_Model):
    name: str = Field(pattern=_NAME)
    query: str = Field(min_length=1)
    within: Annotated[Within, BeforeValidator(parse_within)] = Within()
    fields: tuple[FieldName, ...] = ("title", "lead", "body")
    sources: tuple[str, ...] | None = None
    """None: every source."""
    languages: tuple[LanguageCode, ...] | None = None
    notify: tuple[str, ...] | None = None
    """None: every channel."""
    enabled: bool = True


class DedupeConfig(_Model):
    tracking_params: tuple[str, ...] = ()
    """Query parameters dropped from URLs on top of the built-in list (utm_*, fbclid, ...)."""
    near_duplicate_distance: int | None = Field(default=None, ge=0, le=32)
    """SimHash Hamming distance for near-duplicates; None: the measured default."""


def _no_retention(value: object) -> object:
    return None if value in ("forever", "never", "off") else value


Retention = Annotated[PositiveDuration | None, BeforeValidator(_no_retention)]


class StorageConfig(_Model):
    """``storage:``: where the store is, and how long what it holds is kept.

    Bodies go after 90 days: news is read within days, and a year of bodies is ~40 GB at
    20,000 articles a day; what dedupe needs to recognise a URL or a story again is kept, so
    nothing pruned alerts twice. Alert history is kept a year, for audits. ``forever`` keeps.
    """

    url: str = Field(default="watchwire.db", min_length=1)
    """A SQLite file (relative to the config file), ``sqlite:PATH``, or ``postgresql://…``."""
    retention: Retention = timedelta(days=90)
    """Article bodies (and their search index) older than this are pruned."""
    alert_retention: Retention = timedelta(days=365)
    """Alerts and delivered messages older than this are pruned."""


def _storage(value: object) -> object:
    return {"url": value} if isinstance(value, str) else value


class HttpConfig(_Model):
    """``http:``: the service's HTTP endpoint (``/healthz``, ``/readyz``, ``/metrics``)."""

    listen: str = "127.0.0.1:8080"
    """``HOST:PORT``; ``[::1]:8080`` for IPv6. Anything but loopback needs ``token``."""
    token: SecretStr | None = None
    """Bearer token every request but ``/healthz`` must carry (``Authorization: Bearer …``)."""

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, v: str) -> str:
        split_listen(v)
        return v

    @field_validator("token")
    @classmethod
    def _check_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value():
            return None  # ${VAR:-} left empty: no token
        if v is not None and len(v.get_secret_value()) < 16:
            raise ValueError(
                "the token must be at least 16 characters (make one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        return v

    @property
    def host(self) -> str:
        return split_listen(self.listen)[0]

    @property
    def port(self) -> int:
        return split_listen(self.listen)[1]

    @property
    def loopback(self) -> bool:
        """Whether only this machine can reach the endpoint."""
        host = self.host
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False  # a name: it may resolve anywhere


def split_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` → (host, port); ``[::1]:8080`` → ("::1", 8080). ValueError if not."""
    m = re.fullmatch(r"\s*(?:\[([0-9A-Fa-f:.]+)\]|([^\s:\[\]]+)):(\d{1,5})\s*", listen)
    if m is None or not 0 <= int(m[3]) <= 65535:
        raise ValueError(f"expected HOST:PORT such as 127.0.0.1:8080, got {listen!r}")
    return (m[1] or m[2], int(m[3]))


class Config(_Model):
    storage: Annotated[StorageConfig, BeforeValidator(_storage)] = StorageConfig()
    """A string is the store's path or URL; a mapping also sets retention."""
    http: HttpConfig | None = None
    """None: no HTTP endpoint (the default: a port opened unasked would surprise)."""
    health: HealthConfig = HealthConfig()
    crawl: CrawlSettings = CrawlSettings()
    sources: tuple[SourceConfig, ...] = ()
    channels: dict[str, ChannelConfig] = {}
    terms: dict[str, tuple[str, ...]] = {}
    rules: tuple[RuleConfig, ...] = ()
    dedupe: DedupeConfig = DedupeConfig()

    path: Path | None = Field(default=None, exclude=True)
    """Where it was loaded from (set by ``load_config``; not a YAML key)."""
    _locator: Callable[[PathKey, str], ConfigError] | None = PrivateAttr(default=None)

    def error_at(self, path: Sequence[str | int], message: str) -> ConfigError:
        """A ConfigError about the key at ``path`` (``("channels", "ops")``), placed at its
        file:line:col when this config was parsed from text: for what only a later stage can
        tell (a channel's package is missing), so that ``validate`` and ``run`` say where."""
        key = tuple(path)
        if self._locator is None:
            return ConfigError(message, path=_dotted(key) or None)
        return self._locator(key, message)

    def settings_for(self, source: SourceConfig | None) -> CrawlSettings:
        """The crawl settings of ``source`` (its overrides over ``crawl:``), or the defaults."""
        overrides = source.crawl_overrides() if source is not None else None
        return self.crawl.model_copy(update=overrides) if overrides else self.crawl

    def store_location(self) -> StoreLocation:
        """Where the store is: ``storage`` read as a path (relative to the config file's
        folder) or a URL."""
        return locate_store(self.storage.url, relative_to=self.path.parent if self.path else None)

    def health_for(self, source: SourceConfig) -> tuple[Threshold, timedelta | None]:
        """A source's ``failing_after``, and its ``silent_after`` (None: learned, "auto"; a
        duration of zero: never silent, "off")."""
        own = source.health or HealthThresholds()
        failing = own.failing_after or self.health.failing
        silent = own.silent_after or self.health.silent
        if silent == "auto":
            return failing, None
        if silent == "off":
            return failing, timedelta(0)
        assert isinstance(silent, timedelta)
        return failing, silent

    def source(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)


# --- loading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pos:
    line: int
    column: int


class _Positions:
    """Where each value (and each mapping key) of the document stands."""

    def __init__(self) -> None:
        self.values: dict[PathKey, _Pos] = {}
        self.keys: dict[PathKey, _Pos] = {}
        self.styles: dict[PathKey, str | None] = {}
        self.plain: dict[PathKey, str] = {}
        """The text of plain (unquoted) scalars, for "`no` is read as a boolean"."""


_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _interpolate(text: str, env: Mapping[str, str], fail: Callable[[str], None]) -> str:
    def sub(m: re.Match[str]) -> str:
        if m[0] == "$$":
            return "$"
        name, default = m[1], m[2]
        value = env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                fail(f"environment variable {name} is not set (write ${{{name}:-default}})")
                return ""
            return default
        return value

    return _VAR.sub(sub, text)


# `${VAR}` is not valid inside a YAML flow mapping (`smtp: {password: ${PW}}`: the braces are
# flow indicators), so before parsing each reference is masked with private-use characters of
# the same length (columns stay true) and unmasked in every scalar before interpolation.
_MASK = str.maketrans({"{": "\ue000", "}": "\ue001", ":": "\ue002"})
_UNMASK = str.maketrans({"\ue000": "{", "\ue001": "}", "\ue002": ":"})
_REF = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}\n]*)?\}")


def _mask(text: str) -> str:
    return _REF.sub(lambda m: m[0].translate(_MASK), text)


def _pos(mark: yaml.Mark) -> _Pos:
    return _Pos(mark.line + 1, mark.column + 1)


def _construct(
    node: yaml.Node,
    path: PathKey,
    positions: _Positions,
    env: Mapping[str, str],
    file: str,
    errors: list[ConfigError],
) -> Any:
    """The plain data of ``node``; problems are added to ``errors`` and the rest goes on."""
    positions.values[path] = _pos(node.start_mark)
    dotted = _dotted(path)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            p = _pos(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                errors.append(ConfigError("keys must be plain strings", file=file, line=p.line,
                                          column=p.column, path=dotted or None))  # fmt: skip
                continue
            key = str(key_node.value)
            if key in out:
                errors.append(ConfigError(f"duplicate key '{key}'", file=file, line=p.line,
                                          column=p.column, path=_dotted((*path, key))))  # fmt: skip
                continue
            positions.keys[(*path, key)] = p
            out[key] = _construct(value_node, (*path, key), positions, env, file, errors)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, (*path, i), positions, env, file, errors)
            for i, item in enumerate(node.value)
        ]
    assert isinstance(node, yaml.ScalarNode)
    positions.styles[path] = node.style

    def fail(message: str) -> None:
        p = _pos(node.start_mark)
        errors.append(
            ConfigError(message, file=file, line=p.line, column=p.column, path=dotted or None)
        )

    value = str(node.value).translate(_UNMASK)
    if node.style in ("'", '"', "|", ">"):
        return _interpolate(value, env, fail)
    positions.plain[path] = value
    # Plain scalars: interpolate first, then let YAML's resolver type the result, so that
    # `port: ${SMTP_PORT:-587}` is an int.
    if "$" not in value:
        return _SCALARS.construct_object(node)  # the composer already resolved its type
    raw = _interpolate(value, env, fail).strip()
    if not raw:
        return None
    # Typed like a plain scalar (a port becomes an int), never parsed as YAML syntax.
    tag = _SCALARS.resolve(yaml.ScalarNode, raw, (True, False))  # type: ignore[no-untyped-call]
    if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"):
        return _SCALARS.construct_object(yaml.ScalarNode(tag, raw))
    return raw


class _ScalarLoader(yaml.SafeLoader):
    """Only its resolver and constructor are used, on single scalar nodes."""

    def __init__(self) -> None:
        super().__init__("")


_SCALARS = _ScalarLoader()


def _dotted(path: PathKey) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _resolve_loc(loc: Sequence[str | int], data: Any) -> PathKey:
    """Map a pydantic error location onto the document's path (dropping union tags)."""
    path: list[str | int] = []
    cur = data
    for part in loc:
        if (isinstance(cur, dict) and part in cur) or (
            isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        ):
            cur = cur[part]  # type: ignore[index]
            path.append(part)
        elif isinstance(cur, dict) and isinstance(part, str) and part not in cur:
            # Either a discriminator tag pydantic inserted, or a missing/unknown key.
            if part.startswith("function-") or part in CHANNEL_TYPES:
                continue
            path.append(part)
            cur = None
        else:
            path.append(part)
            cur = None
    return tuple(path)


def _error_at(
    positions: _Positions, file: str, path: PathKey, message: str, *, on_key: bool = False
) -> ConfigError:
    probe = path
    pos = positions.keys.get(path) if on_key else positions.values.get(path)
    while pos is None and probe:
        probe = probe[:-1]
        pos = positions.values.get(probe)
    return ConfigError(
        message,
        file=file,
        line=pos.line if pos else None,
        column=pos.column if pos else None,
        path=_dotted(path) or None,
    )


_PATTERN_WORDS = {
    _NAME: "must start with a letter or digit and hold only letters, digits, '_', '.' and '-'",
    _URL: "must be an http:// or https:// URL, without spaces",
}
"""What each pattern of the models asks, in words: a regex is no message for a person."""


def _friendly(err: Mapping[str, Any], plain: str | None = None) -> str:
    """``err`` (one of pydantic's) in words; ``plain`` is the value's text when unquoted."""
    kind = err.get("type", "")
    if isinstance(err.get("input"), bool) and plain is not None and kind != "bool_type":
        # YAML 1.1 reads yes/no/on/off as booleans: `languages: [no]` is not Norwegian.
        value = "true" if err["input"] else "false"
        return f'`{plain}` is read as the boolean {value}: write "{plain}", in quotes, for the text'
    if kind == "string_pattern_mismatch":
        pattern = str((err.get("ctx") or {}).get("pattern"))
        return _PATTERN_WORDS.get(pattern, "is not of the expected form")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        return f"unknown channel type (expected {_one_of(CHANNEL_TYPES)})"
    if kind == "union_tag_not_found":
        return f"missing 'type' ({_one_of(CHANNEL_TYPES)})"
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def _one_of(names: Sequence[str]) -> str:
    """``a, b or c``."""
    return " or ".join(filter(None, (", ".join(names[:-1]), names[-1])))


def _human_duration(td: timedelta) -> str:
    s = int(td.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size and s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def default_config_path() -> Path:
    """``$WATCHWIRE_CONFIG``, else ``./watchwire.yaml``."""
    return Path(os.environ.get("WATCHWIRE_CONFIG") or "watchwire.yaml")


def load_config(path: str | Path, *, env: Mapping[str, str] | None = None) -> Config:
    """Load, interpolate, validate and cross-check a config file."""
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("config file not found", file=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", file=file) from None
    return parse_config(text, file=file, env=os.environ if env is None else env, path=path)


def parse_config(
    text: str, *, file: str = "<config>", env: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> Config:  # fmt: skip
    env = os.environ if env is None else env
    try:
        root = yaml.compose(_mask(text), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigError(
            f"YAML syntax error: {exc.problem or exc.context}",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", file=file) from None
    if root is None:
        raise ConfigError("the config is empty", file=file)
    positions = _Positions()
    errors: list[ConfigError] = []
    data = _construct(root, (), positions, env, file, errors)
    if not isinstance(data, dict):
        raise _error_at(positions, file, (), "the config must be a mapping of keys")
    try:
        config = Config.model_validate({**data, "path": path})
    except ValidationError as exc:
        for err in exc.errors():
            loc = _resolve_loc(err["loc"], data)
            message = _friendly(err, positions.plain.get(loc))
            errors.append(
                _error_at(positions, file, loc, message, on_key=err["type"] == "extra_forbidden")
            )
        raise ConfigError.combine(errors) from None
    errors += _cross_check(config, positions, file)
    if errors:
        raise ConfigError.combine(errors)
    config._locator = partial(_error_at, positions, file)
    return config


def _cross_check(config: Config, positions: _Positions, file: str) -> list[ConfigError]:
    """What no single key can tell: names that clash or point nowhere; queries that do not
    parse. Every problem, not just the first."""
    errors: list[ConfigError] = []
    storage_path: PathKey = (
        ("storage", "url") if ("storage", "url") in positions.values else ("storage",)
    )
    try:
        config.store_location()
    except StoreError as exc:
        errors.append(_error_at(positions, file, storage_path, str(exc)))
    st = config.storage
    if st.retention and st.alert_retention and st.alert_retention < st.retention:
        errors.append(_error_at(
            positions, file, ("storage", "alert_retention"),
            f"must be at least retention ({_human_duration(st.retention)}): an alert outliving "
            "its article is what keeps a copy of its story from alerting again",
        ))  # fmt: skip
    if config.http is not None and not config.http.loopback and config.http.token is None:
        errors.append(_error_at(
            positions, file, ("http", "listen"),
            f"listening on {config.http.host} (not loopback) needs http.token: anyone who can "
            "reach the port would read the service's state (set token: ${WATCHWIRE_HTTP_TOKEN})",
        ))  # fmt: skip
    for j, ch in enumerate(config.health.notify):
        if ch not in config.channels:
            known = ", ".join(sorted(config.channels)) or "none defined"
            errors.append(_error_at(
                positions, file, ("health", "notify", j),
                f"unknown channel '{ch}' (channels: {known})",
            ))  # fmt: skip
    seen: dict[str, int] = {}
    for i, source in enumerate(config.sources):
        if source.name in seen:
            errors.append(_error_at(
                positions, file, ("sources", i, "name"),
                f"duplicate source name '{source.name}' (first at sources[{seen[source.name]}])",
            ))  # fmt: skip
            continue
        seen[source.name] = i
    rule_names: dict[str, int] = {}
    for i, rule in enumerate(config.rules):
        if rule.name in rule_names:
            errors.append(_error_at(
                positions, file, ("rules", i, "name"),
                f"duplicate rule name '{rule.name}' (first at rules[{rule_names[rule.name]}])",
            ))  # fmt: skip
        rule_names.setdefault(rule.name, i)
        for j, ch in enumerate(rule.notify or ()):
            if ch not in config.channels:
                known = ", ".join(sorted(config.channels)) or "none defined"
                errors.append(_error_at(
                    positions, file, ("rules", i, "notify", j),
                    f"unknown channel '{ch}' (channels: {known})",
                ))  # fmt: skip
        for j, src in enumerate(rule.sources or ()):
            if src not in seen:
                errors.append(_error_at(
                    positions, file, ("rules", i, "sources", j),
                    f"unknown source '{src}' (sources: {', '.join(seen) or 'none defined'})",
                ))  # fmt: skip
    return errors + _check_queries(config, positions, file)


def _check_queries(config: Config, positions: _Positions, file: str) -> list[ConfigError]:
    """Parse every rule query so that a typo fails at load, with its column in the file.

    Only checked here; the service compiles the rules once, from the config this returns.
    """
    checker = QueryChecker(config.terms)
    errors: list[ConfigError] = []
    for index, rule in enumerate(config.rules):
        try:
            checker.check(rule.query)
        except QuerySyntaxError as exc:
            path: PathKey = ("rules", index, "query")
            pos = positions.values.get(path)
            quoted = positions.styles.get(path) in ("'", '"')
            errors.append(ConfigError(
                f"{exc.message}\n    {exc.caret().replace(chr(10), chr(10) + '    ')}",
                file=file,
                line=pos.line if pos else None,
                column=(pos.column + int(quoted) + exc.query_column - 1) if pos else None,
                path=_dotted(path),
            ))  # fmt: skip
    return errors
