"""URL canonicalisation: one spelling for every URL that names the same article.

Hand-written over ``urllib.parse.urlsplit`` because it runs once per discovered link, and
w3lib's general-purpose version costs twice as much. Never raises on odd input: a URL it cannot
parse comes back stripped and otherwise unchanged, so one bad link cannot stop a source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, urljoin, urlsplit

from .constants import TRACKING_PARAMS

__all__ = ["canonicalize_url", "same_site"]

_DEFAULT_PORTS = {"http": "80", "https": "443"}
_SITE_PREFIXES = ("www.", "m.", "amp.", "mobile.")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left alone when percent-encoding what must be: RFC 3986 reserved and '%' itself.
_PATH_SAFE = "/!$&'()*+,;=:@%~"
_QUERY_SAFE = "/?!$&'()*+,;=:@%~"
# AMP flags in the query: ?amp, ?amp=1, ?outputType=amp (names lower-cased).
_AMP_PARAMS = {"amp": ("", "1", "true", "yes"), "outputtype": ("amp",)}


def _fix_escape(match: re.Match[str]) -> str:
    byte = int(match.group(1), 16)
    return chr(byte) if byte in _UNRESERVED else "%" + match.group(1).upper()


def _normalize_escapes(part: str, safe: str) -> str:
    """Upper-case hex escapes, decode escaped unreserved characters, escape what must be."""
    if "%" in part:
        part = _PERCENT.sub(_fix_escape, part)
    if not part.isascii() or " " in part or '"' in part or "<" in part or ">" in part:
        part = quote(part, safe=safe)
    return part


@lru_cache(maxsize=64)
def _compile_params(extra: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    names: set[str] = set()
    prefixes: list[str] = []
    for pattern in (*TRACKING_PARAMS, *extra):
        p = pattern.strip().lower()
        if p.endswith("*"):
            if len(p) > 1:  # a bare "*" would drop every parameter: surely a typo
                prefixes.append(p[:-1])
        elif p:
            names.add(p)
    return frozenset(names), tuple(prefixes)


def _host(netloc: str) -> tuple[str, str]:
    """Split ``netloc`` into (lower-case IDNA host with userinfo, port or '')."""
    userinfo, _, hostport = netloc.rpartition("@")
    if hostport.startswith("["):  # IPv6 literal
        end = hostport.find("]")
        host, port = hostport[: end + 1], hostport[end + 2 :]
    else:
        host, _, port = hostport.partition(":")
    host = host.lower().rstrip(".")
    if not host.isascii():
        host = _idna(host)
    if userinfo:
        host = f"{userinfo}@{host}"
    return host, port


@lru_cache(maxsize=1024)
def _idna(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        # A label the codec rejects (too long, empty): ASCII, one escape per byte, lower-case
        # like the rest of the host so that canonicalising the result again keeps it.
        return quote(host, safe=".-").lower()


def _remove_dot_segments(path: str) -> str:
    out: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if path.endswith(("/.", "/..")):
        out.append("")
    return "/" + "/".join(out)


def _path(path: str) -> str:
    if not path:
        return "/"
    path = _normalize_escapes(path, _PATH_SAFE)
    if "/." in path:
        path = _remove_dot_segments(path)
    if "amp" in path:
        path = _strip_amp_path(path)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path


def _strip_amp_path(path: str) -> str:
    # /amp, /amp/, /amp/news/x, /news/amp/x: drop the segment.
    # /x.amp, /x.amp.html: /x, /x.html.
    segments = path.split("/")
    kept = [s for s in segments if s.lower() != "amp"]
    if len(kept) != len(segments):
        path = "/".join(kept) or "/"
        if not path.startswith("/"):
            path = "/" + path
    last = path.rfind("/")
    name = path[last + 1 :]
    lower = name.lower()
    if lower.endswith(".amp"):
        path = path[: last + 1] + name[:-4]
    elif ".amp." in lower:
        i = lower.rfind(".amp.")
        path = path[: last + 1] + name[:i] + name[i + 4 :]
    return path


def _query(query: str, names: frozenset[str], prefixes: tuple[str, ...]) -> str:
    # Escapes first, so that "%7A=1" sorts as "z=1" and "utm%5Fsource" is seen as tracking.
    # Reserved characters stay escaped, so splitting on "&" and "=" afterwards is safe.
    query = _normalize_escapes(query, _QUERY_SAFE)
    kept: list[tuple[str, str]] = []
    for pair in query.split("&"):
        if not pair:
            continue
        key, eq, value = pair.partition("=")
        lkey = key.lower()
        if lkey in names or lkey.startswith(prefixes):
            continue
        amp_values = _AMP_PARAMS.get(lkey)
        if amp_values is not None and value.lower() in amp_values:
            continue
        kept.append((key, eq + value))
    if not kept:
        return ""
    kept.sort()
    return "&".join(k + v for k, v in kept)


def _canonicalize(url: str, names: frozenset[str], prefixes: tuple[str, ...]) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        return url
    host, port = _host(parts.netloc)
    if host.startswith("amp."):
        host = host[4:]
    if port and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = _path(parts.path)
    query = _query(parts.query, names, prefixes) if parts.query else ""
    return f"{scheme}://{host}{path}?{query}" if query else f"{scheme}://{host}{path}"


def _site(url: str) -> str:
    host = url.partition("://")[2].partition("/")[0].rpartition("@")[2].partition(":")[0]
    for prefix in _SITE_PREFIXES:
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def same_site(a: str, b: str) -> bool:
    """Whether two canonical URLs are on one site: hosts equal after dropping ``www.``,
    ``m.``, ``amp.`` or ``mobile.``."""
    return _site(a) == _site(b)


def canonicalize_url(
    url: str, *, extra_params: Iterable[str] = (), canonical: str | None = None
) -> str:
    """The canonical form of ``url``.

    Lower-cases scheme and host (IDNA for non-ASCII hosts), drops default ports, fragments,
    tracking parameters (``TRACKING_PARAMS`` plus ``extra_params``, where ``prefix_*`` is a
    wildcard) and AMP markers, sorts the remaining parameters, strips trailing slashes and
    normalises percent-escapes. When ``canonical`` (the page's ``rel=canonical``, possibly
    relative) is on the same site and port, its canonical form is returned instead: sites know their
    own URLs better than links to them do. A canonical pointing at the home page of a page
    that is not the home page is a common CMS mistake and is ignored.
    """
    extra = (extra_params,) if isinstance(extra_params, str) else tuple(extra_params)
    names, prefixes = _compile_params(extra)
    result = _canonicalize(url, names, prefixes)
    if canonical and (canonical := canonical.strip()):
        preferred = _canonicalize(_absolute(canonical, url, result), names, prefixes)
        if (
            preferred.startswith(("http://", "https://"))
            and same_site(preferred, result)
            and _port(preferred) == _port(result)
            and not (_is_home(preferred) and not _is_home(result))
        ):
            return preferred
    return result


def _absolute(canonical: str, url: str, canonical_url: str) -> str:
    if canonical[:8].lower().startswith(("https://", "http://")):
        return canonical
    if canonical.startswith("/") and not canonical.startswith("//"):
        # Root-relative, the usual case: the canonical host is as good as the page's.
        return canonical_url[: canonical_url.find("/", canonical_url.find("://") + 3)] + canonical
    try:
        return urljoin(url.strip(), canonical)
    except ValueError:
        return canonical


def _port(canonical_url: str) -> str:
    """The explicit port of a canonical URL ('' for the scheme's default, which is dropped):
    another port of the same host is another origin, maybe another party's server."""
    host = canonical_url.partition("://")[2].partition("/")[0].rpartition("@")[2]
    return host.rpartition("]")[2].partition(":")[2]


def _is_home(canonical_url: str) -> bool:
    return canonical_url.partition("://")[2].partition("/")[2] == ""
