"""Faults of the machine, not of the sites: a full disk, a corrupted or read-only store.

They must end a run with one clear line and a non-zero exit, never with tracebacks, and never by
losing what was already written (observations are committed one by one).
"""

from __future__ import annotations

import errno
import sqlite3

DISK_FULL = "disk-full"
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class StoreUnavailable(RuntimeError):
    """The store cannot be opened or written; the message is the one line to show."""


def is_disk_full(exc: BaseException) -> bool:
    """SQLite's "database or disk is full" / "disk I/O error", or an OS write error for lack of space."""
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        return True
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        text = str(exc).lower()
        return "full" in text or "disk i/o error" in text
    # PostgreSQL: "could not extend file" / "No space left on device" (SQLSTATE 53100)
    text = str(exc).lower()
    return "no space left on device" in text or "disk full" in text or getattr(exc, "sqlstate", "") == "53100"


def describe_store_error(path: object, exc: BaseException) -> str:
    """One line for a store that cannot be used (corrupted, not a database, unreadable, read-only)."""
    if is_disk_full(exc):
        return f"store {path}: disk full ({exc})"
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return f"store {path} is corrupted or not a govinspect store ({exc})"
    return f"store {path} cannot be used ({exc})"
