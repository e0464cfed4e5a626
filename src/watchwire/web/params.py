"""Reading a page's query parameters, and saying in words what is wrong with one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web

from watchwire.config import parse_duration

__all__ = ["bad_request", "date_param", "duration_param", "int_param"]


def bad_request(request: web.Request, message: str) -> web.HTTPException:
    """A 400 that says ``message`` (raise it): the server's error middleware makes it the
    page or its JSON twin."""
    return web.HTTPBadRequest(text=message)


def int_param(request: web.Request, name: str, *, default: int, low: int = 0) -> int:
    text = request.query.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < low:
        raise bad_request(request, f"{name} must be a whole number of at least {low}, "
                          f"not '{text}'")  # fmt: skip
    return int(text)


def duration_param(request: web.Request, name: str) -> timedelta | None:
    text = request.query.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_duration(text)
    except ValueError:
        raise bad_request(request, f"{name} takes a duration such as 30m, 12h or 7d, "
                          f"not '{text}'") from None  # fmt: skip


def date_param(request: web.Request, name: str) -> datetime | None:
    """A day (``2026-12-01``), as the start of that day in UTC."""
    text = request.query.get(name, "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise bad_request(request, f"{name} takes a day such as 2026-12-01, "
                          f"not '{text}'") from None  # fmt: skip
