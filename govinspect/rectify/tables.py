"""The rectification tables and the one place that talks SQL to the store for them.

The SQL is the common subset of SQLite and PostgreSQL (``?`` placeholders, ``ON CONFLICT`` upserts,
TEXT/INTEGER/BIGINT only), so the tables live in either store backend. :class:`Tables` goes
through the store's connection and lock; nothing else in ``govinspect.rectify`` touches SQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS rectify_counters (
  name TEXT PRIMARY KEY, value BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS rectify_lists (
  number TEXT PRIMARY KEY, year INTEGER NOT NULL, seq INTEGER NOT NULL, organizer TEXT NOT NULL,
  issued TEXT NOT NULL, deadline TEXT NOT NULL, working_days INTEGER NOT NULL, min_severity TEXT NOT NULL,
  status TEXT NOT NULL, closed_at TEXT, last_checked TEXT, calendar TEXT NOT NULL, calendar_note TEXT,
  issued_by TEXT NOT NULL, issued_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rectify_lists_status ON rectify_lists (status, organizer);
CREATE TABLE IF NOT EXISTS rectify_entries (
  number TEXT NOT NULL, position INTEGER NOT NULL, fingerprint TEXT NOT NULL, rule TEXT NOT NULL,
  severity TEXT NOT NULL, site_id TEXT NOT NULL, site_name TEXT NOT NULL, site_url TEXT,
  page_url TEXT NOT NULL, target_url TEXT, message TEXT NOT NULL, evidence TEXT NOT NULL,
  referrers TEXT NOT NULL, first_seen TEXT NOT NULL, screenshot TEXT, status TEXT NOT NULL,
  fixed_at TEXT, fixed_by TEXT, checked_at TEXT, check_note TEXT,
  PRIMARY KEY (number, fingerprint)
);
CREATE INDEX IF NOT EXISTS rectify_entries_fingerprint ON rectify_entries (fingerprint);
CREATE TABLE IF NOT EXISTS rectify_sites (
  site_id TEXT PRIMARY KEY, data TEXT NOT NULL
);
"""


class Tables:
    """Rectification tables over a :class:`govinspect.store.FindingStore`.

    Uses the store's SQL API (``apply_schema``/``query``/``execute``/``transaction``, both backends)
    where the store has it, else the SQLite connection and lock of the embedded store.
    """

    def __init__(self, store: Any):
        self.store = store
        self._api = hasattr(store, "apply_schema")
        self._tx: Any = None
        if self._api:
            store.apply_schema(SCHEMA)
            return
        with self.transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self.store.db.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        if self._tx is not None:  # nested: part of the outer one
            yield
            return
        if self._api:
            with self.store.transaction() as db:
                self._tx = db
                try:
                    yield
                finally:
                    self._tx = None
            return
        with self.store._lock, self.store.db:
            self._tx = self.store.db
            try:
                yield
            finally:
                self._tx = None

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        if self._api:
            target = self._tx if self._tx is not None else self.store
            return [dict(r) for r in target.query(sql, list(args))]
        with self.store._lock:
            cur = self.store.db.execute(sql, list(args))
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run one statement (inside :meth:`transaction` when it must commit with others); rowcount."""
        if self._api:
            target = self._tx if self._tx is not None else self.store
            return target.execute(sql, list(args))
        with self.store._lock:
            if self._tx is not None:
                return self.store.db.execute(sql, list(args)).rowcount
            with self.store.db:
                return self.store.db.execute(sql, list(args)).rowcount

    def next_value(self, name: str) -> int:
        """Increment and return a named counter; inside a transaction so a number is never handed out twice."""
        with self.transaction():
            self.execute(
                "INSERT INTO rectify_counters (name, value) VALUES (?, 1)"
                " ON CONFLICT (name) DO UPDATE SET value = rectify_counters.value + 1",
                (name,),
            )
            return int(self.query("SELECT value FROM rectify_counters WHERE name=?", (name,))[0]["value"])
