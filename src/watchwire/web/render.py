"""A page as HTML or as JSON: the templates, the headers every page carries, and which of the
two a request wants.

Templates are Jinja2's, shipped in ``web/templates`` and autoescaped: every value a template
prints is escaped unless it is marked safe, and nothing article-derived ever is — titles,
snippets and URLs come from hostile pages. Matched words are ``<mark>``ed by the template
from *segments* (``(text, matched)`` pairs, ``alerts.render``), each escaped on its own. A link
to an article is only made of an ``http(s)`` URL (``safe_url``); anything else is shown as text.

Every HTML answer carries a strict Content-Security-Policy: scripts, styles and images from
this server only (``web/static``), no inline script or style, no framing, forms posting only
here. The JSON twin of a page (``Accept: application/json``, or its path with ``.json``) is
built from the same query-layer values (``queries.*_json``), so a page, its twin and the CLI's
``--json`` agree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from watchwire.timeutil import iso_z, utcnow
from watchwire.web import csrf
from watchwire.web.routes import TEMPLATES, json_response
from watchwire.web.static import asset_url

__all__ = [
    "CSP",
    "HTML_HEADERS",
    "ago",
    "answer",
    "build_templates",
    "html_page",
    "safe_url",
    "wants_json",
]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""Nothing inline, nothing from elsewhere: an injected ``<script>`` or ``onerror=`` cannot run
even if escaping ever failed."""

HTML_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Links to articles must not tell their sites where the reader came from; "same-origin",
    # not "no-referrer", which would make the browser send "Origin: null" with our own
    # forms' posts, and the form check (csrf) could no longer tell them from a forgery.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


NAV = (
    ("/", "Overview", "overview", "o"),
    ("/sources", "Sources", "sources", "s"),
    ("/alerts", "Alerts", "alerts", "a"),
    ("/stories", "Stories", "stories", "t"),
    ("/search", "Search", "search", "f"),
    ("/playground", "Playground", "playground", "p"),
)
"""The dashboard's sections: path, label, key, and the key that goes there (``watchwire.js``)."""


def build_templates() -> Environment:
    env = Environment(
        loader=PackageLoader("watchwire.web", "templates"),
        autoescape=select_autoescape(["html", "svg"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(asset=asset_url, nav=NAV)
    env.filters.update(
        ago=ago,
        when=when,
        iso=iso_z,
        safe_url=safe_url,
        number=number,
        query=query_string,
        dumps=dumps,
    )
    return env


def wants_json(request: web.Request) -> bool:
    """The JSON twin: a path ending in ``.json``, or JSON preferred over HTML in ``Accept``."""
    if request.path.endswith(".json"):
        return True
    accept = request.headers.get("Accept", "")
    if "application/json" not in accept:
        return False
    return _quality(accept, "application/json") > _quality(accept, "text/html")


def _quality(accept: str, kind: str) -> float:
    best = 0.0
    for item in accept.split(","):
        media, *params = (p.strip() for p in item.split(";"))
        if media not in (kind, kind.split("/")[0] + "/*", "*/*"):
            continue
        q = 1.0
        for p in params:
            name, _, value = p.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        # The exact type outranks a wildcard that matches it.
        best = max(best, q if media == kind else q * 0.99)
    return best


def html_page(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    env = request.app[TEMPLATES]
    values: dict[str, Any] = {
        "section": None,
        "refresh": 0,
        "json_path": json_path(request) if request.method == "GET" and status < 400 else None,
        "request_path": request.path,
        "csrf_token": csrf.token(request),
        "signed_in": csrf.signed_in(request),
    }
    values.update(context)
    body = env.get_template(template).render(values)
    return web.Response(
        text=body, status=status, content_type="text/html", charset="utf-8", headers=HTML_HEADERS
    )


def json_path(request: web.Request) -> str:
    """This page's JSON twin, with the same query."""
    path = "/overview" if request.path == "/" else request.path
    if not path.endswith(".json"):
        path += ".json"
    return path + (f"?{request.query_string}" if request.query_string else "")


def answer(
    request: web.Request,
    template: str,
    body: object,
    *,
    status: int = 200,
    **context: Any,
) -> web.Response:
    """The page (``template`` with ``context``) or its JSON twin (``body``)."""
    if wants_json(request):
        return json_response(body, status=status)
    return html_page(request, template, status=status, **context)


# --- filters ------------------------------------------------------------------------------------


def safe_url(value: object) -> str | None:
    """``value`` if it is an ``http(s)`` URL that may be a link's target, else None."""
    if not isinstance(value, str) or len(value) > 4096:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value.strip()


def ago(when_: datetime | None, now: datetime | None = None) -> str:
    """``3 min ago``, ``in 2 h``, or ``never``."""
    if when_ is None:
        return "never"
    delta = (now or utcnow()) - when_
    future = delta < timedelta(0)
    seconds = abs(int(delta.total_seconds()))
    if seconds < 60:
        text = f"{seconds} s"
    elif seconds < 3600:
        text = f"{seconds // 60} min"
    elif seconds < 2 * 86400:
        text = f"{seconds // 3600} h"
    else:
        text = f"{seconds // 86400} d"
    return f"in {text}" if future else f"{text} ago"


def when(value: datetime | None) -> str:
    """A time as people read it here: UTC, to the minute."""
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M UTC")


def number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def query_string(params: Mapping[str, object]) -> str:
    """``?a=1&b=2`` of the params that have a value (for links that keep a form's filters)."""
    kept = {k: str(v) for k, v in params.items() if v not in (None, "", ())}
    return "?" + urlencode(kept) if kept else ""


def dumps(value: object) -> str:
    """JSON for people to read (the template escapes it like any text)."""
    return json.dumps(value, ensure_ascii=False, indent=2)
