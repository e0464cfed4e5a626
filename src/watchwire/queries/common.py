"""What every question may answer: that it was asked wrongly (``BadRequest``)."""

from __future__ import annotations

from watchwire.exceptions import WatchwireError

__all__ = ["KEY_TIME", "BadRequest"]


class BadRequest(WatchwireError):
    """What was asked names nothing known (a rule, a source) or does not parse; the message
    says which, in words. The CLI says it as a usage error, a page as a 400."""


KEY_TIME = "%Y%m%dT%H%M%S.%fZ"
"""How a position in a listing writes its time (URL-safe, sortable)."""
