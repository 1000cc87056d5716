"""The server backend: PostgreSQL through psycopg 3, for workers on several machines.

One autocommit connection per process (statements outside ``with db:`` commit at once, as the
store's SQLite writes do). When the server cannot be reached the connection is dropped and
re-made with exponential backoff; every outage is timed and kept in :attr:`PostgresDatabase.outages`
so the store can say, in the log and the run summary, how long the database was away.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from govinspect.db import DatabaseUnavailable, display_target
from govinspect.db.sql import is_replace, replace_to_upsert, split_script, to_postgres
from govinspect.findings import now_iso

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key serialising schema changes: several workers starting at once would
# otherwise race on CREATE TABLE IF NOT EXISTS (a duplicate-key error on the catalog).
SCHEMA_LOCK = 0x60F1_5EC7


@dataclass
class Outage:
    started_at: str
    ended_at: str
    seconds: float
    error: str


class Row:
    """A result row like :class:`sqlite3.Row`: by position, by (case-insensitive) name, and ``dict(row)``."""

    __slots__ = ("_names", "_index", "_values")

    def __init__(self, names: list[str], index: dict[str, int], values: Sequence[Any]):
        self._names = names
        self._index = index
        self._values = values

    def __getitem__(self, key: int | str | slice) -> Any:
        if isinstance(key, (int, slice)):
            return self._values[key]
        i = self._index.get(key)
        if i is None:
            i = self._index[key.lower()]
        return self._values[i]

    def keys(self) -> list[str]:
        return list(self._names)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row):
            return self._names == other._names and tuple(self._values) == tuple(other._values)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._names, self._values, strict=True))!r})"


def _rows(cursor: psycopg.Cursor) -> Any:
    desc = cursor.description
    if desc is None:
        return tuple
    names = [c.name for c in desc]
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)
        index.setdefault(name.lower(), i)
    return lambda values: Row(names, index, values)


class Result:
    """What ``execute`` returns: the rows (fetched at once), ``rowcount`` and ``description``."""

    lastrowid = None

    def __init__(self, cursor: psycopg.Cursor):
        self.rowcount = cursor.rowcount
        self.description = cursor.description
        self._rows = cursor.fetchall() if cursor.description is not None else []
        self._pos = 0

    def fetchone(self) -> Row | None:
        if self._pos >= len(self._rows):
            return None
        self._pos += 1
        return self._rows[self._pos - 1]

    def fetchall(self) -> list[Row]:
        rest = self._rows[self._pos:]
        self._pos = len(self._rows)
        return rest

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


def _params(params: Any) -> tuple[Any, ...] | None:
    """Positional parameters; Python bools as integers (the common subset has no boolean type)."""
    if not params:
        return None
    return tuple(int(p) if isinstance(p, bool) else p for p in params)


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, url: str, *, wait_seconds: float = 300.0, connect_timeout: float = 5.0,
                 backoff_start: float = 0.5, backoff_max: float = 30.0):
        """``wait_seconds``: how long a statement waits for an unreachable server before giving up."""
        self.url = url
        self.target = display_target(url)
        self.wait_seconds = wait_seconds
        self.connect_timeout = connect_timeout
        self.backoff_start = backoff_start
        self.backoff_max = backoff_max
        self.conn: psycopg.Connection | None = None
        self.outages: list[Outage] = []
        self.down_since: float | None = None
        self._down_since_wall = ""
        self._last_error = ""
        self._backoff = backoff_start
        self._next_attempt = 0.0
        self._tx: list[psycopg.Transaction] = []
        self._cms: list[Any] = []
        self._replace_sql: dict[str, str] = {}
        # Called once the server answers again after an outage, before any other statement runs:
        # the store replays what it buffered, so nothing reads the database without it.
        self.on_reconnect: Callable[[], None] | None = None
        self._ensure(wait_seconds)

    # ---- connection and outages ---------------------------------------------------------------
    @property
    def available(self) -> bool:
        return self.conn is not None and not self.conn.closed and not self.conn.broken

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(
            self.url, autocommit=True, application_name="govinspect",
            connect_timeout=max(2, int(self.connect_timeout)),
            # A cut network is noticed within about half a minute instead of TCP's many minutes.
            keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3, tcp_user_timeout=30000,
        )

    def _ensure(self, wait: float | None) -> psycopg.Connection:
        """The connection, re-made if needed; waits (with backoff) up to ``wait`` seconds for the server."""
        deadline = time.monotonic() + (self.wait_seconds if wait is None else wait)
        while True:
            if self.available:
                assert self.conn is not None
                return self.conn
            now = time.monotonic()
            if now < self._next_attempt:
                if self._next_attempt > deadline:  # no attempt due within the wait: wait it out, give up
                    time.sleep(max(0.0, deadline - now))
                    raise DatabaseUnavailable(f"database {self.target} unreachable: {self._last_error}")
                time.sleep(self._next_attempt - now)
            try:
                self.conn = self._connect()
            except psycopg.OperationalError as exc:
                self._went_down(exc, retry_now=False)
                if time.monotonic() >= deadline:
                    raise DatabaseUnavailable(f"database {self.target} unreachable: {self._last_error}") from exc
                continue
            if self._came_back() and self.on_reconnect is not None:
                self.on_reconnect()

    def _went_down(self, exc: BaseException, retry_now: bool) -> None:
        self._last_error = " ".join(str(exc).split())[:300] or type(exc).__name__
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is gone either way
                pass
            self.conn = None
        self._tx.clear()
        if self.down_since is None:
            self.down_since = time.monotonic()
            self._down_since_wall = now_iso()
            self._backoff = self.backoff_start
            logger.warning("database %s unreachable (%s); retrying with backoff", self.target, self._last_error)
        if retry_now:  # a stale connection after a server restart: try again at once
            self._next_attempt = 0.0
        else:
            self._next_attempt = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, self.backoff_max)

    def _came_back(self) -> bool:
        """The connection is back; True if it ends an outage."""
        self._backoff = self.backoff_start
        self._next_attempt = 0.0
        if self.down_since is None:
            return False
        seconds = time.monotonic() - self.down_since
        self.outages.append(Outage(self._down_since_wall, now_iso(), seconds, self._last_error))
        self.down_since = None
        logger.warning("database %s reachable again after %.1f s", self.target, seconds)
        return True

    def take_outages(self) -> list[Outage]:
        """Outages ended since the last call (the store records them)."""
        done, self.outages = self.outages, []
        return done

    # ---- statements -------------------------------------------------------------------------
    def _translate(self, sql: str, with_params: bool) -> str:
        if is_replace(sql):
            if sql not in self._replace_sql:
                self._replace_sql[sql] = replace_to_upsert(sql, *self._table_keys(is_replace(sql) or ""))
            sql = self._replace_sql[sql]
        return to_postgres(sql, with_params)

    def _table_keys(self, table: str) -> tuple[list[str], list[str]]:
        conn = self._ensure(None)
        key = [r[0] for r in conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid=i.indrelid"
            " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary", (table,))]
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name=%s"
            " AND table_schema=current_schema() ORDER BY ordinal_position", (table,))]
        if not key:
            raise ValueError(f"INSERT OR REPLACE into {table}, which has no primary key: use ON CONFLICT")
        return key, cols

    def _run(self, sql: str, params: Any, many: bool, wait: float | None = None) -> Result:
        in_tx = bool(self._tx)
        for attempt in (0, 1):
            if in_tx:
                if not self.available:
                    raise DatabaseUnavailable(f"database {self.target} unreachable: {self._last_error}")
                conn = self.conn
                assert conn is not None
            else:
                conn = self._ensure(wait)
            try:
                cur = conn.cursor(row_factory=_rows)
                if many:
                    rows = [_params(r) for r in params]
                    if not rows:
                        return Result(cur)
                    cur.executemany(self._translate(sql, rows[0] is not None), rows)
                else:
                    bound = _params(params)
                    cur.execute(self._translate(sql, bound is not None), bound)
                return Result(cur)
            except psycopg.Error as exc:
                if not (conn.closed or conn.broken):
                    raise
                self._went_down(exc, retry_now=not in_tx and attempt == 0)
                if in_tx or attempt == 1:
                    raise DatabaseUnavailable(f"database {self.target} unreachable: {self._last_error}") from exc
        raise AssertionError("unreachable")

    def execute(self, sql: str, params: Any = (), wait: float | None = None) -> Result:
        """One statement (committed at once outside a transaction). ``wait``: seconds to wait for an
        unreachable server (default ``wait_seconds``; 0 fails at once with DatabaseUnavailable)."""
        return self._run(sql, params, many=False, wait=wait)

    def executemany(self, sql: str, rows: Any, wait: float | None = None) -> Result:
        return self._run(sql, list(rows), many=True, wait=wait)

    def executescript(self, script: str) -> None:
        """Run DDL (translated) in one transaction, one schema change at a time across the fleet."""
        with self.transaction():
            self.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))
            for statement in split_script(script):
                self.execute(statement)

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.execute(sql, params)]

    # ---- transactions -------------------------------------------------------------------------
    @contextmanager
    def transaction(self, wait: float | None = None) -> Iterator[PostgresDatabase]:
        """One transaction (a savepoint when nested). ``wait``: seconds to wait for the server first."""
        conn = self.conn if self._tx else self._ensure(wait)
        if conn is None:
            raise DatabaseUnavailable(f"database {self.target} unreachable: {self._last_error}")
        tx = conn.transaction()
        try:
            tx.__enter__()
        except psycopg.OperationalError as exc:
            if conn.closed or conn.broken:
                self._went_down(exc, retry_now=True)
                raise DatabaseUnavailable(f"database {self.target} unreachable: {self._last_error}") from exc
            raise
        self._tx.append(tx)
        try:
            yield self
        except BaseException as exc:
            self._finish(tx, exc)
            raise
        else:
            self._finish(tx, None)

    def _finish(self, tx: psycopg.Transaction, exc: BaseException | None) -> None:
        if not (self._tx and self._tx[-1] is tx):  # its connection died inside: nothing to end
            if exc is None:
                raise DatabaseUnavailable(f"database {self.target} unreachable: {self._last_error}")
            return
        self._tx.pop()
        try:
            tx.__exit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)
        except psycopg.Error as err:
            conn = self.conn
            if conn is not None and not (conn.closed or conn.broken):
                raise
            self._went_down(err, retry_now=True)
            if exc is None:  # the COMMIT itself failed: its outcome is unknown, say so
                raise DatabaseUnavailable(f"database {self.target} lost during commit: {self._last_error}") from err

    def __enter__(self) -> PostgresDatabase:
        cm = self.transaction()
        cm.__enter__()
        self._cms.append(cm)
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._cms.pop().__exit__(*exc)

    def commit(self) -> None:
        """Statements outside a transaction are committed at once (autocommit): nothing to do."""

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
