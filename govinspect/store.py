"""The findings store: runs, observations, link data and findings with a lifecycle.

Two backends behind one API (:mod:`govinspect.db`), chosen by the store setting
(``GOVINSPECT_STORE`` / ``--store``):

* a file path: embedded SQLite (WAL mode), the default, for one machine, no server;
* a ``postgresql://user:password@host:port/dbname`` URL: a PostgreSQL server, for workers on
  several machines writing into one database at once.

Observations are appended as they are made and committed at once, so a killed process keeps every
finding it wrote. When a site's run ends, :meth:`FindingStore.finalize_site` folds that run's
observations into findings in one transaction, exactly once even when several processes try:
open → fixed (only when the run completed the site) → reopened. A run interrupted before
finalizing is folded (as incomplete) on the next open.

PostgreSQL unreachable for a while: observations, link references and checks are buffered (in
memory and in a spool file under ``STORE_SPOOL_DIR``, so a crash loses none), the connection is
retried with backoff, and the buffer is replayed, in order, when the server answers again. Runs,
folding and reads wait for the server (``STORE_DB_WAIT_SECONDS``). Each outage is logged and kept
in ``store_outages``; the run summary says how long the database was away and what was buffered.

Other modules' tables (one SQL for both backends)
------------------------------------------------
Write SQLite-style SQL in the common subset: ``?`` placeholders, ``INSERT ... ON CONFLICT (...)
DO UPDATE/DO NOTHING``, types TEXT/INTEGER/BIGINT/REAL, no sqlite-only functions; the PostgreSQL
backend translates placeholders and types (``WITHOUT ROWID`` is dropped, ``id INTEGER PRIMARY KEY``
becomes an identity column, TEXT compares byte-wise as in SQLite). Then, through the store:

* ``store.apply_schema(SCHEMA)``: ``CREATE TABLE/INDEX IF NOT EXISTS`` script, safe when many
  workers start at once;
* ``store.execute(sql, params) -> rowcount`` and ``store.executemany(sql, rows)``: one committed
  statement (waits for an unreachable server);
* ``store.query(sql, params) -> list[dict]``;
* ``with store.transaction() as db: db.execute(...); db.query(...)``: several statements, one
  transaction;
* ``store.append(sql, rows, run_id)``: append-only or idempotent writes that must never be lost
  nor hold up the crawl: buffered and replayed when the server is unreachable;
* ``store.dialect`` (``"sqlite"`` or ``"postgresql"``) for the rare statement that must differ.

Pitfalls between the two: no ``cursor.lastrowid`` (use ``INSERT ... RETURNING id``); only positional
``?`` parameters, bound with the column's type (PostgreSQL will not compare TEXT with an integer);
``LIKE`` is case-sensitive on PostgreSQL; no ``datetime()``/``strftime()``/``ifnull()``/
``group_concat()`` (store ISO text from Python, use ``COALESCE``); booleans are stored as 0/1.

A process that takes part in a run it did not start (a fleet worker) calls ``store.join_run(run_id)``:
while any such process lives, :meth:`FindingStore.recover_interrupted` elsewhere leaves the run alone.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Container, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from govinspect import facts as page_facts
from govinspect import monitoring
from govinspect.db import Database, DatabaseUnavailable, connect, is_database_url, is_transient, normalize_target
from govinspect.db.runlock import FileRunLocks, PgRunLocks
from govinspect.db.spool import Entry, Spool, database_key
from govinspect.facts import Fact
from govinspect.findings import (
    FINDING_FIELDS,
    LinkCheck,
    LinkRef,
    Observation,
    finding_key,
    fingerprint,
    now_iso,
)
from govinspect.masking import mask_text, mask_url, mask_value
from govinspect.registry import Site
from govinspect.rules import SEVERITIES

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL,
  as_of TEXT, args TEXT
);
CREATE TABLE IF NOT EXISTS run_sites (
  run_id TEXT NOT NULL, site_id TEXT NOT NULL, site_name TEXT, organizer TEXT, site_url TEXT,
  pages INTEGER DEFAULT 0, errors INTEGER DEFAULT 0, blocked INTEGER DEFAULT 0,
  completed INTEGER DEFAULT 0, reason TEXT, finalized_at TEXT,
  PRIMARY KEY (run_id, site_id)
);
CREATE TABLE IF NOT EXISTS observations (
  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, site_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
  rule TEXT NOT NULL, severity TEXT NOT NULL, page_url TEXT NOT NULL, target_url TEXT,
  message TEXT NOT NULL, evidence TEXT NOT NULL, screenshot TEXT, seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS observations_run_site ON observations (run_id, site_id);
CREATE TABLE IF NOT EXISTS page_links (
  run_id TEXT NOT NULL, site_id TEXT NOT NULL, page_url TEXT NOT NULL, refs TEXT NOT NULL,
  PRIMARY KEY (run_id, site_id, page_url)
);
CREATE TABLE IF NOT EXISTS link_checks (
  run_id TEXT NOT NULL, target_url TEXT NOT NULL, ok INTEGER NOT NULL, status INTEGER, error TEXT,
  blocked INTEGER NOT NULL DEFAULT 0, method TEXT, redirects INTEGER DEFAULT 0, checked_at TEXT,
  PRIMARY KEY (run_id, target_url)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS findings (
  fingerprint TEXT PRIMARY KEY, rule TEXT NOT NULL, severity TEXT NOT NULL, site_id TEXT NOT NULL,
  site_name TEXT NOT NULL, organizer TEXT NOT NULL, page_url TEXT NOT NULL, target_url TEXT,
  message TEXT NOT NULL, evidence TEXT NOT NULL, occurrences INTEGER NOT NULL, referrers TEXT NOT NULL,
  status TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, run_id TEXT NOT NULL,
  screenshot TEXT, fixed_at TEXT, reopened_count INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_site ON findings (site_id, status);
CREATE TABLE IF NOT EXISTS evidence_files (
  name TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_updated ON findings (updated_at);
"""


# Times the database server was unreachable, recorded once it answers again (for the run summary).
OUTAGES_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_outages (
  host TEXT NOT NULL, pid INTEGER NOT NULL, started_at TEXT NOT NULL, ended_at TEXT NOT NULL,
  run_id TEXT, seconds REAL NOT NULL, buffered_observations INTEGER NOT NULL, buffered_rows INTEGER NOT NULL,
  error TEXT,
  PRIMARY KEY (host, pid, started_at)
);
"""

_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
MAX_REFERRERS = 20
_INSERT_OBSERVATION = (
    "INSERT INTO observations (run_id, site_id, fingerprint, rule, severity, page_url,"
    " target_url, message, evidence, screenshot, seen_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)
EVIDENCE_MAX_BYTES = 4 * 1024 * 1024  # a full-page capture is capped in height; this only stops oddities


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


_T = TypeVar("_T")


def _retrying(method: Callable[..., _T]) -> Callable[..., _T]:
    """A write that must happen (runs, folding): buffered writes go first; an unreachable server is
    waited for and a deadlock retried, the whole transaction run again."""

    @functools.wraps(method)
    def wrapper(self: FindingStore, *args: Any, **kwargs: Any) -> _T:
        if self._spool is None:
            return method(self, *args, **kwargs)
        deadline = time.monotonic() + self.wait_seconds
        for attempt in itertools.count():
            try:
                with self._lock:
                    self._replay(wait=max(0.0, deadline - time.monotonic()))
                    result = method(self, *args, **kwargs)
                self._record_outages()
                return result
            except DatabaseUnavailable:
                if time.monotonic() >= deadline:
                    raise
            except Exception as exc:
                if not is_transient(exc) or attempt >= 8:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    return wrapper


_SHARED: dict[tuple[str, str], FindingStore] = {}



def _page_order(url: str) -> tuple[int, int, str]:
    """Shallow pages before deep ones (the homepage first), then shorter, then by text."""
    return url.count("/"), len(url), url

class FindingStore:
    """The store over SQLite or PostgreSQL. One connection per process; safe to share between threads."""

    def __init__(self, path: str | Path, *, spool_dir: str | Path = "govinspect-data/spool",
                 wait_seconds: float = 300.0, connect_timeout: float = 5.0, readonly: bool = False):
        """``path``: a SQLite file or a ``postgresql://`` URL. The keywords (the settings
        ``STORE_SPOOL_DIR``, ``STORE_DB_WAIT_SECONDS``, ``STORE_DB_CONNECT_TIMEOUT``) matter for PostgreSQL."""
        target = normalize_target(path)
        self._lock = threading.RLock()
        self.wait_seconds = wait_seconds
        self._spool: Spool | None = None
        self._run_hint: str | None = None
        self._outage_observations = 0
        self._outage_rows = 0
        self.buffered_rows = 0
        self._users = 0
        self._closed = False
        if is_database_url(target):
            self.db: Database = connect(target, wait_seconds=wait_seconds, connect_timeout=connect_timeout)
            self.path: Path | str = self.db.target
            self._spool = Spool(Path(spool_dir), database_key(self.db.target))
            self.db.on_reconnect = self._reconnected  # type: ignore[attr-defined]
            self._runs: PgRunLocks | FileRunLocks = PgRunLocks(self.db)
        else:
            # readonly (summary, export): a store on a read-only file system, never created or migrated
            self.db = connect(target, readonly=True) if readonly else connect(target)
            self.path = Path(target)
            self._runs = FileRunLocks(Path(f"{target}.runs"))
        self.target = self.db.target
        if readonly:
            return
        self.apply_schema(SCHEMA)
        self.apply_schema(OUTAGES_SCHEMA)
        self.apply_schema(monitoring.SCHEMA)  # probes and per-run resource hosts (govinspect/monitoring.py)
        self.apply_schema(page_facts.SCHEMA)
        if self._spool is not None:
            self._replay_orphans()

    @classmethod
    def from_settings(cls, settings: Any) -> FindingStore:
        return cls(settings.get("GOVINSPECT_STORE"), spool_dir=settings.get("STORE_SPOOL_DIR"),
                   wait_seconds=settings.getfloat("STORE_DB_WAIT_SECONDS"),
                   connect_timeout=settings.getfloat("STORE_DB_CONNECT_TIMEOUT"))

    @property
    def dialect(self) -> str:
        return self.db.dialect

    @classmethod
    def shared(cls, settings: Any) -> FindingStore:
        """The process's one store for these settings, shared by the crawl's components.

        The store pipeline and the finaliser must see one buffer: rows spooled while PostgreSQL is
        unreachable are replayed by the instance that spooled them, before anything is folded.
        Each :meth:`shared` is matched by one :meth:`close`; the last one closes.
        """
        key = (str(settings.get("GOVINSPECT_STORE")), str(settings.get("STORE_SPOOL_DIR")))
        store = _SHARED.get(key)
        if store is None or store._closed:
            store = _SHARED[key] = cls.from_settings(settings)
        store._users += 1
        return store

    @property
    def pending_writes(self) -> int:
        """Writes buffered while the database was unreachable and not yet in it."""
        return len(self._spool) if self._spool is not None else 0

    def try_replay(self) -> bool:
        """Try once to write what is buffered; True when nothing is left buffered."""
        if not self.pending_writes:
            return True
        try:
            self._replay(wait=0.0)
            self._record_outages()
        except DatabaseUnavailable:
            return False
        return not self.pending_writes

    def close(self) -> None:
        if self._users > 1:
            self._users -= 1
            return
        self._users = 0
        self._closed = True
        with self._lock:
            if self._spool is not None and len(self._spool):
                try:
                    self._replay(wait=min(self.wait_seconds, 30.0))
                    self._record_outages()
                except DatabaseUnavailable:
                    logger.error(
                        "database %s still unreachable: %d buffered rows stay in %s; the next govinspect"
                        " started on this machine with the same store replays them",
                        self.target, self._spool.rows, self._spool.path)
            if self._spool is not None:
                self._spool.close()
            self._runs.close()
            self.db.close()

    # ---- SQL for other modules' tables (see the module docstring) ----------------------------
    def apply_schema(self, sql: str) -> None:
        """Create tables and indexes (``IF NOT EXISTS``) from a script in the common subset."""
        with self._lock:
            self.db.executescript(sql)
            self.db.commit()

    def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement, committed; returns the number of rows it changed."""
        with self._lock, self.db:
            return self.db.execute(sql, tuple(params)).rowcount

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        with self._lock, self.db:
            self.db.executemany(sql, [tuple(r) for r in rows])

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return self.db.query(sql, tuple(params))

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """``with store.transaction() as db:`` several statements committed together (or none)."""
        with self._lock, self.db.transaction():
            yield self.db

    def append(self, sql: str, rows: Iterable[Iterable[Any]], run_id: str | None = None,
               kind: str = "rows") -> None:
        """Write rows that must not be lost nor hold up the crawl (append-only or idempotent SQL).

        With PostgreSQL unreachable they are buffered (memory and spool file) and replayed, in
        order, when it answers again. ``kind="observations"`` counts them as such in the summary.
        """
        batch = [list(r) for r in rows]
        if not batch:
            return
        with self._lock:
            if run_id:
                self._run_hint = run_id
            if self._spool is None:
                with self.db:
                    self.db.executemany(sql, batch)
                return
            try:
                self._replay(wait=0.0)
                self._write_now(sql, batch)
            except DatabaseUnavailable as exc:
                self._buffer(Entry(sql, batch, run_id), kind, exc)
                return
        self._record_outages()

    # ---- buffering while the server is unreachable ---------------------------------------------
    def _write_now(self, sql: str, rows: list[list[Any]]) -> None:
        for attempt in itertools.count():
            try:
                if len(rows) == 1:  # one round trip, committed at once (autocommit)
                    self.db.execute(sql, rows[0], wait=0.0)  # type: ignore[call-arg]
                else:
                    with self.db.transaction(wait=0.0):
                        self.db.executemany(sql, rows)
                return
            except DatabaseUnavailable:
                raise
            except Exception as exc:
                if not is_transient(exc) or attempt >= 8:
                    raise
                time.sleep(0.05 * 2**attempt)

    def _buffer(self, entry: Entry, kind: str, exc: BaseException) -> None:
        assert self._spool is not None
        if not len(self._spool):
            logger.warning("database %s unreachable: buffering observations in memory and in %s until it answers",
                           self.target, self._spool.path)
        self._spool.append(entry)
        self._outage_rows += len(entry.rows)
        self.buffered_rows += len(entry.rows)
        if kind == "observations":
            self._outage_observations += len(entry.rows)

    def _replay(self, wait: float) -> None:
        """Write what was buffered, in order, in one transaction; raises DatabaseUnavailable if it cannot."""
        if self._spool is None or not len(self._spool):
            return
        with self._lock:
            with self.db.transaction(wait=wait):
                # Read inside: reconnecting may already have replayed them (:meth:`_reconnected`).
                entries = self._spool.entries
                for entry in entries:
                    self.db.executemany(entry.sql, entry.rows)
            if not entries:
                return
            rows = sum(len(e.rows) for e in entries)
            self._spool.clear()
        logger.warning("database %s: %d buffered rows (%d writes) replayed", self.target, rows, len(entries))

    def _reconnected(self) -> None:
        """The server answers again: replay the buffer before anything else reads or writes, and
        take back the runs this process holds (session locks end with the lost connection)."""
        try:
            self._runs.rehold()
            self._replay(wait=0.0)
            self._record_outages()
        except DatabaseUnavailable:
            pass  # gone again; the statement that reconnected will find out

    def _replay_orphans(self) -> None:
        """Replay the spools of processes that died while the database was unreachable."""
        assert self._spool is not None
        for path in self._spool.orphan_paths():
            try:
                with self._spool.claim(path) as entries:
                    if entries is None:
                        continue
                    with self._lock, self.db.transaction():
                        for entry in entries:
                            self.db.executemany(entry.sql, entry.rows)
                    logger.warning("replayed %d buffered rows left in %s by a process that ended before the"
                                   " database answered again", sum(len(e.rows) for e in entries), path)
            except DatabaseUnavailable:
                logger.warning("database %s unreachable: %s stays for a later replay", self.target, path)
                return

    def _record_outages(self) -> None:
        """Keep the outages that ended (once the buffer is replayed) in ``store_outages`` and say so."""
        take = getattr(self.db, "take_outages", None)
        if take is None or (self._spool is not None and len(self._spool)):
            return
        with self._lock:
            outages = take()
            if not outages:
                return
            observations, rows = self._outage_observations, self._outage_rows
            self._outage_observations = self._outage_rows = 0
            for i, outage in enumerate(outages):
                # What was buffered is charged to the last outage: they were replayed after it.
                last = i == len(outages) - 1
                logger.warning(
                    "database %s was unreachable for %.1f s (%s to %s); %d observations (%d rows in all)"
                    " were buffered and replayed, none lost", self.target, outage.seconds, outage.started_at,
                    outage.ended_at, observations if last else 0, rows if last else 0)
                try:
                    with self.db:
                        self.db.execute(
                            "INSERT INTO store_outages (host, pid, started_at, ended_at, run_id, seconds,"
                            " buffered_observations, buffered_rows, error) VALUES (?,?,?,?,?,?,?,?,?)"
                            " ON CONFLICT (host, pid, started_at) DO NOTHING",
                            (socket.gethostname(), os.getpid(), outage.started_at, outage.ended_at,
                             self._run_hint, round(outage.seconds, 3), observations if last else 0,
                             rows if last else 0, outage.error),
                        )
                except DatabaseUnavailable:
                    logger.warning("database %s: outage record lost (unreachable again)", self.target)

    def outages(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """Recorded outages of the database server (all, or those during ``run_id``)."""
        sql, args = "SELECT * FROM store_outages", []
        if run_id is not None:
            sql += " WHERE run_id=?"
            args.append(run_id)
        return self.query(sql + " ORDER BY started_at", args)

    # ---- runs -------------------------------------------------------------------------------
    @_retrying
    def start_run(self, run_id: str, as_of: str, args: dict[str, Any], sites: Iterable[Site]) -> None:
        with self._lock, self.db:
            existing = self.db.execute("SELECT status FROM runs WHERE run_id=?", (run_id,)).fetchone()
            if existing is not None:
                raise ValueError(f"run id {run_id!r} already exists in {self.target}")
            self.db.execute(
                "INSERT INTO runs (run_id, started_at, status, as_of, args) VALUES (?,?,?,?,?)",
                (run_id, now_iso(), "running", as_of, _json(args)),
            )
            self.db.executemany(
                "INSERT INTO run_sites (run_id, site_id, site_name, organizer, site_url) VALUES (?,?,?,?,?)",
                [(run_id, s.id, s.name, s.organizer, s.url) for s in sites],
            )
        self._run_hint = run_id
        self.join_run(run_id)

    def join_run(self, run_id: str) -> None:
        """This process takes part in ``run_id`` (started here or, for a fleet worker, elsewhere):
        while it lives, no other process recovers the run as interrupted.

        A shared lock per run, released when the process ends however it ends
        (:mod:`govinspect.db.runlock`: PostgreSQL advisory locks, or ``flock`` beside a SQLite file).
        """
        self._run_hint = run_id
        with self._lock:
            self._runs.hold(run_id)

    def run_is_live(self, run_id: str) -> bool:
        """Whether some process (this one included) still takes part in ``run_id``."""
        with self._lock:
            return self._runs.is_live(run_id)

    @_retrying
    def end_run(self, run_id: str, status: str) -> None:
        with self._lock, self.db:
            self.db.execute(
                "UPDATE runs SET ended_at=?, status=? WHERE run_id=?", (now_iso(), status, run_id)
            )
        with self._lock:
            self._runs.release(run_id)

    @_retrying
    def update_site_stats(self, run_id: str, site_id: str, pages: int, errors: int, blocked: int) -> None:
        with self._lock, self.db:
            self.db.execute(
                "UPDATE run_sites SET pages=?, errors=?, blocked=? WHERE run_id=? AND site_id=?",
                (pages, errors, blocked, run_id, site_id),
            )

    def runs(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM runs ORDER BY started_at").fetchall()
        return [dict(r) for r in rows]

    def run_sites(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM run_sites WHERE run_id=? ORDER BY site_id", (run_id,))
        return [dict(r) for r in rows]

    # ---- writes during a run ---------------------------------------------------------------------
    def add_observation(self, run_id: str, obs: Observation, site_url: str) -> str:
        """Store one observation (masked) and commit (or buffer it); returns its fingerprint."""
        return self.add_observations(run_id, [obs], site_url)[0]

    def add_observations(self, run_id: str, observations: Iterable[Observation], site_url: str) -> list[str]:
        """Store observations of one site (masked) in one commit; returns their fingerprints.

        A site's conclusions (hundreds of ``link.broken`` referrers) are written when it is folded,
        often all sites at the end of a run: one commit, not one per observation, keeps that tail short.
        """
        observations = list(observations)
        rows, fps = [], []
        for obs in observations:
            key = obs.key or finding_key(obs.rule, site_url, obs.page_url, obs.target_url)
            fp = fingerprint(obs.site_id, obs.rule, key)
            fps.append(fp)
            rows.append((
                run_id, obs.site_id, fp, obs.rule, obs.severity, mask_url(obs.page_url), mask_url(obs.target_url),
                mask_text(obs.message), _json(mask_value(obs.evidence)), obs.screenshot, obs.seen_at,
            ))
        self.append(_INSERT_OBSERVATION, rows, run_id, kind="observations")
        for obs in observations:
            if obs.screenshot and not obs.rule.startswith("leak."):  # leaks: pixels cannot be masked
                self.add_evidence_file(run_id, obs.screenshot)
        return fps

    def add_evidence_file(self, run_id: str, path: str | None) -> None:
        """Keep an evidence screenshot's bytes in the store, under its file name (base64: the outage
        spool is JSON): a fleet's workers write them on their own disks, and whoever issues the lists
        reads the store (:meth:`evidence_file`). The latest capture of a name wins."""
        file = Path(path) if path else None
        if file is None or not file.is_file() or file.stat().st_size > EVIDENCE_MAX_BYTES:
            return
        data = base64.b64encode(file.read_bytes()).decode("ascii")
        self.append(
            "INSERT INTO evidence_files (name, data, updated_at) VALUES (?,?,?)"
            " ON CONFLICT (name) DO UPDATE SET data=excluded.data, updated_at=excluded.updated_at",
            [(file.name, data, now_iso())], run_id, kind="evidence",
        )

    def evidence_file(self, name: str) -> bytes | None:
        """An evidence screenshot's bytes by file name, or None."""
        row = self.db.execute("SELECT data FROM evidence_files WHERE name=?", (name,)).fetchone()
        return base64.b64decode(row[0]) if row else None

    def add_refs(self, run_id: str, refs: Iterable[LinkRef]) -> None:
        """Keep a page's link references as one row: ``target\ttag\ttext`` lines.

        References matter only for the few targets that fail (they become ``referrers``), yet a page
        has 40-80 of them: one indexed row per reference cost ~10 % of a crawl's CPU in index upkeep
        alone. One row per page, read back only when a site is folded.
        """
        pages: dict[tuple[str, str], dict[str, str]] = {}
        masked: dict[str, str] = {}  # a page's URL is masked once, not once per reference
        for r in refs:
            page = masked.get(r.page_url)
            if page is None:
                page = masked[r.page_url] = mask_url(r.page_url)
            lines = pages.setdefault((r.site_id, page), {})
            target = mask_url(r.target_url)
            if target not in lines:
                text = mask_text(r.text[:200]).replace("\t", " ").replace("\n", " ")
                lines[target] = f"{target}\t{r.tag}\t{text}\n"
        # Sorted by key: two workers writing overlapping batches in one order cannot deadlock.
        rows = [(run_id, site, page, "".join(pages[(site, page)].values())) for site, page in sorted(pages)]
        self.append(
            "INSERT INTO page_links VALUES (?,?,?,?) ON CONFLICT (run_id, site_id, page_url)"
            " DO UPDATE SET refs = page_links.refs || excluded.refs",
            rows, run_id,
        )

    def link_refs(self, run_id: str, site_id: str | None = None,
                  targets: Container[str] | None = None) -> Iterator[LinkRef]:
        """Every link reference of a run (or of one of its sites), expanded from the per-page rows;
        with ``targets``, only the references to those: a fold asks for its few failed targets, and
        the ~99 % of lines that name another target become no objects (all sites often fold at once,
        at the end of a run: this is that tail's wall time)."""
        sql, params = "SELECT site_id, page_url, refs FROM page_links WHERE run_id=?", [run_id]
        if site_id is not None:
            sql, params = sql + " AND site_id=?", [run_id, site_id]
        # one or two targets (a referrer lookup): rows that do not mention them are not split at all
        probes = [t + "\t" for t in targets] if isinstance(targets, set | frozenset) and len(targets) <= 2 else None
        for row in self.db.execute(sql, params).fetchall():
            refs = row["refs"]
            if probes is not None and not any(p in refs for p in probes):
                continue
            seen: set[str] = set()  # a page written twice (a requeued request) keeps its first lines
            for line in refs.splitlines():
                target, _, rest = line.partition("\t")
                if target in seen or (targets is not None and target not in targets):
                    continue
                seen.add(target)
                tag, _, text = rest.partition("\t")
                yield LinkRef(row["site_id"], row["page_url"], target, tag, text)

    def add_checks(self, run_id: str, checks: Iterable[LinkCheck]) -> None:
        """Record target outcomes once per run; a success replaces an earlier failure, not the reverse."""
        rows = [
            (run_id, mask_url(c.target_url), int(c.ok), c.status, c.error, int(c.blocked), c.method, c.redirects,
             now_iso())
            for c in checks
        ]
        rows.sort(key=lambda r: (r[1], -r[2]))  # by key (no deadlocks between workers); a success first
        self.append(
            "INSERT INTO link_checks VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (run_id, target_url) DO "
            "UPDATE SET ok=excluded.ok, status=excluded.status, error=excluded.error,"
            " blocked=excluded.blocked, method=excluded.method, redirects=excluded.redirects,"
            " checked_at=excluded.checked_at WHERE link_checks.ok=0",
            rows, run_id,
        )

    def add_facts(self, run_id: str, facts: Iterable[Fact]) -> None:
        """Page facts of cross-page rules (``govinspect/facts.py``), masked like everything written."""
        unique: dict[tuple[str, str, str, str], Fact] = {}
        for f in facts:
            unique.setdefault((f.site_id, f.kind, mask_url(f.key), mask_url(f.page_url)), f)
        # Sorted by key: two workers inserting overlapping batches in one order cannot deadlock.
        self.append(page_facts.INSERT, [(run_id, *k, _json(mask_value(unique[k].data))) for k in sorted(unique)],
                    run_id)

    # ---- run view (for inspectors concluding at the end of a site) -------------------------------
    def view(self, run_id: str) -> StoreRunView:
        return StoreRunView(self, run_id)

    # ---- folding a site's run into findings ------------------------------------------------------
    @_retrying
    def finalize_site(self, run_id: str, site: Site, completed: bool, reason: str = "") -> dict[str, int] | None:
        """Fold this run's observations of ``site`` into findings, in one transaction.

        Returns counts of new, seen-again, reopened and fixed findings; None (and a warning) when the
        site of that run was folded before: a site is never folded twice.
        """
        counts = {"new": 0, "seen": 0, "reopened": 0, "fixed": 0}
        with self._lock, self.db:
            # Lock the (run, site) row first: a second process folding the same site waits here,
            # then sees it finalized (PostgreSQL); in SQLite this takes the write lock up front.
            self.db.execute(
                "UPDATE run_sites SET finalized_at=finalized_at WHERE run_id=? AND site_id=?", (run_id, site.id)
            )
            state = self.db.execute(
                "SELECT finalized_at FROM run_sites WHERE run_id=? AND site_id=?", (run_id, site.id)
            ).fetchone()
            if state is not None and state["finalized_at"]:
                logger.warning("site %s of run %s was finalised at %s: not folded again", site.id, run_id,
                               state["finalized_at"])
                return None
            groups: dict[str, list[Any]] = {}
            for row in self.db.execute(
                "SELECT * FROM observations WHERE run_id=? AND site_id=? ORDER BY id", (run_id, site.id)
            ):
                groups.setdefault(row["fingerprint"], []).append(row)
            now = now_iso()
            # Known findings of the site in one query, and writes in batches: a few round trips
            # per site, not two per finding (matters with a database server over the network).
            existing = {r["fingerprint"]: r for r in self.db.execute(
                "SELECT fingerprint, status, reopened_count FROM findings WHERE site_id=?", (site.id,))}
            inserts: dict[str, list[list[Any]]] = {}
            updates: dict[str, list[list[Any]]] = {}
            for fp, rows in groups.items():
                # the pages in a fixed order (shallowest first), not the order they were crawled in: the
                # finding's page_url is then the same however workers and timing interleaved the crawl
                pages = sorted({r["page_url"] for r in rows}, key=_page_order)
                latest = rows[-1]
                severity = min((r["severity"] for r in rows), key=lambda s: _SEVERITY_RANK.get(s, 9))
                screenshot = next((r["screenshot"] for r in reversed(rows) if r["screenshot"]), None)
                last_seen = max(r["seen_at"] for r in rows)
                old = existing.get(fp)
                values = {
                    "rule": latest["rule"], "severity": severity, "site_id": site.id,
                    "site_name": site.name, "organizer": site.organizer, "page_url": pages[0],
                    "target_url": latest["target_url"], "message": latest["message"],
                    "evidence": latest["evidence"], "occurrences": len(pages),
                    "referrers": _json(pages[:MAX_REFERRERS]), "last_seen": last_seen, "run_id": run_id,
                    "screenshot": screenshot, "updated_at": now,
                }
                if old is None:
                    counts["new"] += 1
                    values.update(fingerprint=fp, status="open", first_seen=min(r["seen_at"] for r in rows),
                                  reopened_count=0)
                    inserts.setdefault(", ".join(values), []).append(list(values.values()))
                    continue
                if old["status"] == "fixed":
                    counts["reopened"] += 1
                    values.update(status="reopened", reopened_count=old["reopened_count"] + 1, fixed_at=None)
                else:
                    counts["seen"] += 1
                updates.setdefault(", ".join(f"{k}=?" for k in values), []).append([*values.values(), fp])
            for cols, batch in inserts.items():
                marks = ", ".join("?" * (cols.count(",") + 1))
                self.db.executemany(f"INSERT INTO findings ({cols}) VALUES ({marks})", batch)
            for sets, batch in updates.items():
                self.db.executemany(f"UPDATE findings SET {sets} WHERE fingerprint=?", batch)
            if completed:
                gone = [fp for fp, r in existing.items() if r["status"] in ("open", "reopened") and fp not in groups]
                self.db.executemany(
                    "UPDATE findings SET status='fixed', fixed_at=?, updated_at=? WHERE fingerprint=?",
                    [(now, now, fp) for fp in gone],
                )
                counts["fixed"] = len(gone)
            self.db.execute(
                "UPDATE run_sites SET completed=?, reason=?, finalized_at=? WHERE run_id=? AND site_id=?",
                (int(completed), reason, now, run_id, site.id),
            )
        return counts

    def interrupted_runs(self) -> list[str]:
        """Runs still marked running whose processes are all gone (a live run on another machine is not)."""
        rows = self.db.execute("SELECT run_id FROM runs WHERE status='running'").fetchall()
        return [r["run_id"] for r in rows if not self.run_is_live(r["run_id"])]

    def run(self, run_id: str) -> dict[str, Any] | None:
        """The run's record (``args`` decoded), or None when no run has that id."""
        row = self.db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            return None
        record = dict(row)
        record["args"] = json.loads(record["args"] or "{}")
        return record

    def recover_interrupted(self, sites_by_id: dict[str, Site] | None = None,
                            alive: Callable[[dict[str, Any]], bool] | None = None) -> list[str]:
        """Fold the observations of runs that died before finishing, marking nothing fixed.

        ``alive(run)`` tells whether a ``running`` run (its record, see :meth:`run`) is still being
        done by some process (``govinspect.locks.run_alive``): such a run is left alone. Without it,
        every ``running`` run is taken for dead (only safe when nothing else uses the store).
        """
        recovered = []
        for run_id in self.interrupted_runs():
            if alive is not None and alive(self.run(run_id) or {"run_id": run_id}):
                continue
            for rs in self.run_sites(run_id):
                if rs["finalized_at"]:
                    continue
                site = (sites_by_id or {}).get(rs["site_id"]) or Site(
                    id=rs["site_id"], name=rs["site_name"] or rs["site_id"],
                    organizer=rs["organizer"] or "", level="department", url=rs["site_url"] or "",
                )
                self.finalize_site(run_id, site, completed=False, reason="interrupted")
            self.end_run(run_id, "interrupted")
            recovered.append(run_id)
        return recovered

    # ---- reading findings --------------------------------------------------------------------------
    def findings(
        self, status: str | None = None, site_id: str | None = None, organizer: str | None = None,
        run_id: str | None = None, rule: str | None = None, updated_since: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Findings as records of ``findings.md`` (plus ``fixed_at``), filtered."""
        where, args = [], []
        for col, val in (("status", status), ("site_id", site_id), ("organizer", organizer),
                         ("run_id", run_id), ("rule", rule)):
            if val is not None:
                where.append(f"{col}=?")
                args.append(val)
        if updated_since is not None:
            where.append("updated_at>?")
            args.append(updated_since)
        sql = "SELECT * FROM findings"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY site_id, rule, fingerprint"
        for row in self.db.execute(sql, args).fetchall():
            yield record_from_row(row)

    def summary(self, run_id: str) -> list[dict[str, Any]]:
        """Per site and rule: how many findings this run saw (and how many are open overall)."""
        rows = self.db.execute(
            "SELECT site_id, rule, COUNT(DISTINCT fingerprint) AS n FROM observations WHERE run_id=?"
            " GROUP BY site_id, rule ORDER BY site_id, rule",
            (run_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def counts_by_status(self, run_id: str | None = None) -> dict[str, int]:
        sql = "SELECT status, COUNT(*) AS n FROM findings"
        args: list[Any] = []
        if run_id:
            sql += " WHERE site_id IN (SELECT site_id FROM run_sites WHERE run_id=?)"
            args.append(run_id)
        return {r["status"]: r["n"] for r in self.db.execute(sql + " GROUP BY status", args)}


def record_from_row(row: Any) -> dict[str, Any]:
    record = {k: row[k] for k in FINDING_FIELDS}
    record["evidence"] = json.loads(row["evidence"])
    record["referrers"] = json.loads(row["referrers"])
    if record["target_url"] is None:
        del record["target_url"]
    if record["screenshot"] is None:
        del record["screenshot"]
    record["fixed_at"] = row["fixed_at"]
    return record


class StoreRunView:
    """:class:`govinspect.vocabulary.RunView` over the store."""

    def __init__(self, store: FindingStore, run_id: str):
        self.store = store
        self.run_id = run_id

    def check(self, url: str) -> LinkCheck | None:
        row = self.store.db.execute(
            "SELECT * FROM link_checks WHERE run_id=? AND target_url=?", (self.run_id, mask_url(url))
        ).fetchone()
        return _check_from_row(row) if row else None

    def _targets(self, condition: str) -> dict[str, Any]:
        rows = self.store.db.execute(
            f"SELECT * FROM link_checks WHERE run_id=? AND {condition}", (self.run_id,)).fetchall()
        return {row["target_url"]: row for row in rows}

    def broken_refs(self, site_id: str) -> Iterator[tuple[LinkCheck, list[LinkRef]]]:
        """Failed targets of the run that this site links, each with the site's references to it."""
        failed = self._targets("ok=0 AND blocked=0")
        if not failed:
            return
        refs: dict[str, dict[str, LinkRef]] = {}
        for ref in self.store.link_refs(self.run_id, site_id, targets=failed.keys()):
            refs.setdefault(ref.target_url, {}).setdefault(ref.page_url, ref)
        for target in sorted(refs):
            yield _check_from_row(failed[target]), [refs[target][page] for page in sorted(refs[target])]

    def facts(self, site_id: str, kind: str) -> list[Fact]:
        """The page facts of one kind that this run stored for a site."""
        rows = self.store.query(page_facts.SELECT, (self.run_id, site_id, kind))
        return [Fact(site_id, kind, r["fact_key"], r["page_url"], json.loads(r["data"])) for r in rows]

    def blocked_targets(self, site_id: str) -> int:
        blocked = self._targets("blocked=1")
        if not blocked:
            return 0
        return len({ref.target_url for ref in self.store.link_refs(self.run_id, site_id, targets=blocked.keys())})

    # ---- state across runs (govinspect/monitoring.py) ------------------------------------------------
    def probes(self, site_id: str, since: str, until: str) -> list[dict[str, Any]]:
        return monitoring.probes_between(self.store, site_id, since, until)

    def resource_hosts(self, site_id: str, run_id: str | None = None) -> dict[str, dict[str, str]]:
        return monitoring.resource_hosts(self.store, run_id or self.run_id, site_id)

    def previous_complete_run(self, site_id: str) -> str | None:
        return monitoring.previous_complete_run(self.store, site_id, self.run_id)

    def observed(self, site_id: str, rule: str) -> list[dict[str, Any]]:
        return monitoring.observed(self.store, self.run_id, site_id, rule)

    def referrers(self, site_id: str, target_url: str, limit: int = MAX_REFERRERS) -> list[tuple[str, str]]:
        return monitoring.referrers(self.store, self.run_id, site_id, target_url, limit)


def _check_from_row(row: Any) -> LinkCheck:
    return LinkCheck(
        target_url=row["target_url"], ok=bool(row["ok"]), status=row["status"], error=row["error"],
        blocked=bool(row["blocked"]), method=row["method"] or "GET", redirects=row["redirects"] or 0,
    )


def observation_dict(obs: Observation) -> dict[str, Any]:
    return asdict(obs)
