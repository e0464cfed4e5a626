"""Cross-site request forgery: a POST must come from one of this server's own forms.

On loopback without a token a browser needs no credential at all, so any page the person
visits could otherwise make their browser post to ``127.0.0.1:8080`` (retry every alert, run
the playground's fetches). Three checks, each enough to stop a forged form:

- a browser says where a request comes from (``Sec-Fetch-Site``, and ``Origin`` on a POST):
  anything but this server (or the person typing an address) is refused;
- a form carries a token (``FIELD``): an HMAC, keyed with this process's secret, of a random
  nonce held in an HttpOnly, SameSite=Strict cookie (``COOKIE``). Another site can neither
  read the token from our pages nor make the browser send the cookie;
- a script instead sends the header ``X-Watchwire-Request`` (no other site's page can add a
  header to a cross-site request without our consent, which we never give), or the bearer
  token.

The secret is new at each start: a form left open across a restart is refused once, with a
page that says to reload it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from aiohttp import web

from watchwire.web.routes import CONTEXT

__all__ = [
    "COOKIE",
    "FIELD",
    "HEADER",
    "SECRET",
    "check",
    "remember",
    "signed_in",
    "token",
]

COOKIE = "watchwire_csrf"
FIELD = "csrf"
HEADER = "X-Watchwire-Request"
SECRET: web.AppKey[bytes] = web.AppKey("csrf_secret", bytes)
_NONCE: web.RequestKey[str] = web.RequestKey("csrf_nonce", str)
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _nonce(request: web.Request) -> str:
    if _NONCE in request:
        return request[_NONCE]
    cookie = request.cookies.get(COOKIE, "")
    nonce = cookie if len(cookie) == 32 and cookie.isalnum() else secrets.token_hex(16)
    request[_NONCE] = nonce
    return nonce


def token(request: web.Request) -> str:
    """The token this request's forms carry (the nonce's cookie is set on the response)."""
    return hmac.new(request.app[SECRET], _nonce(request).encode(), hashlib.sha256).hexdigest()


def signed_in(request: web.Request) -> bool:
    """A session cookie came with the request (a logout button makes sense)."""
    from watchwire.web.auth import COOKIE as SESSION

    return request.app[CONTEXT].token is not None and SESSION in request.cookies


def _same_origin(request: web.Request) -> bool:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    host = urlsplit(origin).netloc
    # Behind a reverse proxy that rewrites Host, the host the browser used is forwarded.
    return bool(host) and host in (request.host, request.headers.get("X-Forwarded-Host"))


async def check(request: web.Request) -> str | None:
    """Why an unsafe request is refused, or None when it may go on."""
    if not _same_origin(request):
        return "it came from another site's page"
    if HEADER in request.headers:
        return None
    ctx = request.app[CONTEXT]
    if ctx.token is not None and request.headers.get("Authorization", "").lower().startswith(
        "bearer "
    ):
        return None  # the auth middleware has checked it already
    if COOKIE not in request.cookies:
        return "the form came without its cookie (are cookies blocked for this address?)"
    form = await request.post()
    given = str(form.get(FIELD) or "")
    if not given or not hmac.compare_digest(given, token(request)):
        return "the form is stale (the service restarted since it was shown)"
    return None


def remember(request: web.Request, response: web.StreamResponse) -> None:
    """Set the nonce cookie on ``response`` when a token was made from a new nonce."""
    if _NONCE not in request or request.cookies.get(COOKIE) == request[_NONCE]:
        return
    nonce = request[_NONCE]
    secure = request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"
    response.set_cookie(COOKIE, nonce, path="/", httponly=True, samesite="Strict", secure=secure)
