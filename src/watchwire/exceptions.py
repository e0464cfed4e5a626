"""The one exception tree of watchwire.

Grouped by what a caller can do about it::

    WatchwireError
    ├── ConfigError            the user's config is wrong: fix the file (exit status 2)
    │   └── QuerySyntaxError   a rule query does not parse
    ├── StoreError             the database refused or is broken
    └── DeliveryError          an alert could not be delivered
        ├── TransientDeliveryError  retry with backoff (maybe after ``retry_after``)
        └── PermanentDeliveryError  stop retrying (410 Gone, rejected by the server)

Expected outcomes (not modified, disallowed by robots.txt) are values, not exceptions; so is a
failed fetch (a ``FetchResult`` with an ``error_class``, see ``fetch/errors.py``): a crawl goes
on past every one.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ConfigError",
    "DeliveryError",
    "PermanentDeliveryError",
    "QuerySyntaxError",
    "StoreError",
    "TransientDeliveryError",
    "WatchwireError",
]


class WatchwireError(Exception):
    """Base of every error watchwire raises on purpose."""


class ConfigError(WatchwireError):
    """The configuration is invalid.

    ``str()`` is the full user-facing message, ``file:line:col: key.path: problem``. A config
    with several problems raises one error that carries them all (``errors``, in file order),
    so that a user fixes them in one pass; its ``str()`` is one line per problem.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.errors: tuple[ConfigError, ...] = (self,)
        """Every problem found: this one alone, or each of a combined error's."""
        super().__init__(self._render())

    @classmethod
    def combine(cls, errors: Sequence[ConfigError]) -> ConfigError:
        """One error for several (the first when there is one), sorted by place in the file."""
        if not errors:
            raise ValueError("no errors to combine")
        ordered = sorted(errors, key=lambda e: (e.line or 0, e.column or 0))
        if len(ordered) == 1:
            return ordered[0]
        first = ordered[0]
        combined = cls(
            first.message, file=first.file, line=first.line, column=first.column, path=first.path
        )
        combined.errors = tuple(ordered)
        combined.args = ("\n".join(str(e) for e in ordered),)
        return combined

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self._render()

    def _render(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        key = f"{self.path}: " if self.path else ""
        return f"{where}{key}{self.message}"


class QuerySyntaxError(ConfigError):
    """A rule query does not parse. ``column`` is 1-based within the query text."""

    def __init__(self, message: str, *, query: str, column: int) -> None:
        self.query = query
        self.query_column = column
        super().__init__(f"{message} at column {column}")

    def caret(self) -> str:
        """The query with a caret under the offending column."""
        return f"{self.query}\n{' ' * (self.query_column - 1)}^"


class StoreError(WatchwireError):
    """The store could not do what was asked (schema too new, file unusable)."""


class DeliveryError(WatchwireError):
    """An alert could not be delivered on a channel."""

    transient: bool = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class TransientDeliveryError(DeliveryError):
    transient = True


class PermanentDeliveryError(DeliveryError):
    transient = False
