"""SQLite's failures that mean the store itself is in trouble, in words a person can act on.

A damaged file, a read-only one, a full disk, a vanished folder: each becomes a ``StoreError``
saying what is wrong and what to do. Other errors (a constraint, a busy database) are the
store's own business and pass through as sqlite3 raised them.
"""

from __future__ import annotations

import sqlite3

from watchwire.exceptions import StoreError

__all__ = ["translate"]

_CORRUPT, _NOTADB = 11, 26
_READONLY, _PERM = 8, 3
_FULL = 13
_IOERR, _CANTOPEN = 10, 14


def translate(exc: BaseException, label: str) -> BaseException:
    """A StoreError for a failure of the store at ``label``; ``exc`` itself otherwise."""
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(exc, sqlite3.IntegrityError):
        return exc
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    detail = str(exc)
    if code in (_CORRUPT, _NOTADB) or type(exc) is sqlite3.DatabaseError:
        message = (
            f"the store {label} is damaged or is not a watchwire database ({detail}): restore "
            "it from a backup, or move it aside and let watchwire start a new one"
        )
    elif code in (_READONLY, _PERM):
        message = (
            f"cannot write to the store {label} ({detail}): give watchwire write access to "
            "the file and its folder"
        )
    elif code == _FULL:
        message = (
            f"the disk holding the store {label} is full: free some space (what failed to "
            "save is looked for again at the next poll)"
        )
    elif code in (_IOERR, _CANTOPEN):
        message = (
            f"cannot read or write the store {label} ({detail}): check that the file and its "
            "folder still exist and the disk is healthy"
        )
    else:
        return exc
    error = StoreError(message)
    error.__cause__ = exc
    return error
