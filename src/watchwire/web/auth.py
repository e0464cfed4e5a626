"""Who may ask: the bearer token off loopback, and the login form that trades it for a cookie.

With ``http.token`` set, every request but the public routes (``/healthz``, the login form)
must carry ``Authorization: Bearer <token>`` or a session cookie, else 401. A browser cannot
send the header from a page without JavaScript (the dashboard has none), so ``/login`` takes
the token once in a form and answers with a session cookie: HttpOnly (no script reads it),
SameSite=Strict (no other site's page can make the browser send it: no cross-site requests
forgery), ``Secure`` when the request came over HTTPS (directly or through a proxy that says
so in ``X-Forwarded-Proto``). The cookie is stateless — an expiry and an HMAC of it keyed with
the token — so it survives restarts, and changing the token signs everyone out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import quote

from aiohttp import web

from watchwire.web.routes import CONTEXT, PUBLIC, Handler, Route

__all__ = ["COOKIE", "ROUTES", "SESSION_SECONDS", "auth_middleware", "is_authorized"]

COOKIE = "watchwire_session"
SESSION_SECONDS = 12 * 3600


def _sign(token: str, payload: str) -> str:
    key = hashlib.sha256(b"watchwire-session:" + token.encode()).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def new_session(token: str, *, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + SESSION_SECONDS)
    payload = f"{expires}.{secrets.token_hex(8)}"
    return f"{payload}.{_sign(token, payload)}"


def valid_session(token: str, value: str, *, now: float | None = None) -> bool:
    payload, _, signature = value.rpartition(".")
    expires = payload.partition(".")[0]
    if not expires.isdigit() or not hmac.compare_digest(_sign(token, payload), signature):
        return False
    return int(expires) > (now if now is not None else time.time())


def is_authorized(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    cookie = request.cookies.get(COOKIE)
    return cookie is not None and valid_session(token, cookie)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.app[CONTEXT].token
    public = request.match_info.route in request.app[PUBLIC]
    if token is None or public or is_authorized(request, token):
        return await handler(request)
    if "text/html" in request.headers.get("Accept", ""):
        target = quote(request.path_qs, safe="/?=&")
        raise web.HTTPSeeOther(f"/login?next={target}")
    raise web.HTTPUnauthorized(
        text="401: this endpoint needs Authorization: Bearer <http.token>\n",
        headers={"WWW-Authenticate": 'Bearer realm="watchwire"'},
    )


def _next(value: object) -> str:
    """Only a path on this server: a login form must not send people elsewhere."""
    text = str(value or "/")
    return text if text.startswith("/") and not text.startswith("//") else "/"


def _form(
    request: web.Request, next_path: str, message: str = "", *, status: int = 200
) -> web.Response:
    from watchwire.web.render import html_page

    return html_page(request, "login.html", status=status, title="Sign in", next=next_path,
                     message=message, hours=SESSION_SECONDS // 3600)  # fmt: skip


async def login_form(request: web.Request) -> web.StreamResponse:
    return _form(request, _next(request.query.get("next")))


async def login(request: web.Request) -> web.StreamResponse:
    token = request.app[CONTEXT].token
    form = await request.post()
    next_path = _next(form.get("next"))
    given = str(form.get("token") or "")
    if token is None:
        raise web.HTTPSeeOther(next_path)
    if not hmac.compare_digest(given.encode(), token.encode()):
        return _form(request, next_path, "That is not the token.", status=401)
    response = web.HTTPSeeOther(next_path)
    secure = request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"
    response.set_cookie(
        COOKIE, new_session(token), max_age=SESSION_SECONDS, path="/", httponly=True,
        samesite="Strict", secure=secure,
    )  # fmt: skip
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


ROUTES = (
    Route(method="GET", path="/login", handler=login_form, public=True),
    # No form token: the form carries the token itself, which no forger knows.
    Route(method="POST", path="/login", handler=login, public=True, csrf=False),
    Route(method="POST", path="/logout", handler=logout, public=True),
)
