"""The findings store's database: embedded SQLite (one machine) or a PostgreSQL server (a fleet).

:func:`connect` opens either behind one small interface, shaped like :mod:`sqlite3`'s connection so
the store's queries run unchanged on both:

* ``db.execute(sql, params)`` / ``db.executemany(sql, rows)`` → a cursor-like result
  (``fetchone``, ``fetchall``, iteration, ``rowcount``); rows answer ``row["name"]``, ``row[0]``
  and ``dict(row)``;
* ``db.executescript(sql)`` for DDL; ``with db:`` is one transaction (commit, or rollback on error);
* ``db.query(sql, params)`` → ``list[dict]``.

SQL is written once, SQLite-style, in the common subset (``?`` placeholders, ``ON CONFLICT``
upserts, TEXT/INTEGER/BIGINT/REAL); :mod:`govinspect.db.sql` translates it for PostgreSQL.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol

_URL = re.compile(r"^postgres(?:ql)?:/+", re.I)


class DatabaseUnavailable(ConnectionError):
    """The database server cannot be reached now (down, restarting, network cut)."""


class Database(Protocol):
    dialect: str  # "sqlite" or "postgresql"
    target: str  # the path, or the URL without its password (for messages)

    def execute(self, sql: str, params: Any = ()) -> Any: ...
    def executemany(self, sql: str, rows: Any) -> Any: ...
    def executescript(self, sql: str) -> None: ...
    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]: ...
    def transaction(self, wait: float | None = None) -> Any: ...
    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: Any) -> Any: ...
    def close(self) -> None: ...


def is_database_url(target: str | Path) -> bool:
    return bool(_URL.match(str(target)))


def normalize_target(target: str | Path) -> str:
    """The store setting as a string. ``Path("postgresql://h/db")`` collapses ``//``: undo that."""
    text = str(target)
    if _URL.match(text):
        scheme, rest = text.split(":", 1)
        return scheme.lower() + "://" + rest.lstrip("/")
    return text


def display_target(target: str) -> str:
    """The target with any password replaced by ``***`` (for logs, errors and the run summary)."""
    return re.sub(r"^(postgres(?:ql)?://[^:/@]+:)[^@]*@", r"\1***@", target, flags=re.I)


def is_transient(exc: BaseException) -> bool:
    """A deadlock or serialisation failure: the transaction may simply be run again."""
    sqlstate = getattr(exc, "sqlstate", None)
    return sqlstate in ("40001", "40P01")


def connect(target: str | Path, **options: Any) -> Database:
    """A SQLite file path, or a ``postgresql://`` URL (options: see :class:`PostgresDatabase`)."""
    text = normalize_target(target)
    if is_database_url(text):
        from govinspect.db.postgres import PostgresDatabase

        return PostgresDatabase(text, **options)
    from govinspect.db.sqlite import SqliteDatabase

    return SqliteDatabase(Path(text), readonly=bool(options.get("readonly")))
