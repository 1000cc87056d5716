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
"""


class Tables:
    """Rectification tables over a :class:`govinspect.store.FindingStore` (its connection and lock)."""

    def __init__(self, store: Any):
        self.store = store
        with self.transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self.store.db.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        with self.store._lock, self.store.db:
            yield

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.store._lock:
            cur = self.store.db.execute(sql, list(args))
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run one statement (inside :meth:`transaction` when it must commit with others); rowcount."""
        with self.store._lock:
            return self.store.db.execute(sql, list(args)).rowcount

    def next_value(self, name: str) -> int:
        """Increment and return a named counter; inside a transaction so a number is never handed out twice."""
        self.execute(
            "INSERT INTO rectify_counters (name, value) VALUES (?, 1)"
            " ON CONFLICT (name) DO UPDATE SET value = rectify_counters.value + 1",
            (name,),
        )
        return int(self.query("SELECT value FROM rectify_counters WHERE name=?", (name,))[0]["value"])
