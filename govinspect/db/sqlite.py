"""The embedded backend: one SQLite file in WAL mode, no server."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class SqliteDatabase:
    dialect = "sqlite"

    def __init__(self, path: Path, readonly: bool = False):
        self.path = path
        self.target = str(path)
        if readonly:
            self.conn = _connect_readonly(path)
            self.conn.row_factory = sqlite3.Row
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives a killed process (not a power cut), at little cost.
        self.conn.execute("PRAGMA synchronous=NORMAL")

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        return self.conn.executemany(sql, rows)

    def executescript(self, sql: str) -> None:
        self.conn.executescript(sql)

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql, params).fetchall()]

    @contextmanager
    def transaction(self, wait: float | None = None) -> Iterator[SqliteDatabase]:
        with self.conn:
            yield self

    def __enter__(self) -> SqliteDatabase:
        self.conn.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self.conn.__exit__(*exc)

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """Open a store for reading only (``summary``, ``export``). On a read-only file system a WAL database
    cannot create its shared-memory file, so it is opened as immutable (nothing can be writing it there)."""
    if not path.is_file():
        raise sqlite3.OperationalError(f"no store at {path}")
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False, timeout=30)
    try:
        conn.execute("SELECT COUNT(*) FROM runs").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        if "no such table" in str(exc):
            raise sqlite3.DatabaseError(f"{path} is not a govinspect store") from None
    conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)
    conn.execute("SELECT COUNT(*) FROM runs").fetchone()
    return conn
