"""``es sync``: send the index whatever the store has that the index has not got yet.

Findings always land in SQLite first. Two small tables in the same database remember, per index set
(engine URL + prefix), which version (``updated_at``) of each finding and which finalized (run, site)
observations were acknowledged by the engine. Comparing versions, not times, means no change made in
the same second as a sync can be skipped, and a crash between sending and recording only resends.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from govinspect.findings import now_iso
from govinspect.rules import SEVERITIES
from govinspect.search.adapter import SearchEngine
from govinspect.search.config import SearchConfig
from govinspect.search.documents import (
    finding_document,
    observation_document,
    observation_id,
    parse_time,
)
from govinspect.search.indexer import Action, BulkResult, Indexer
from govinspect.search.mapping import IndexNames, ensure_templates
from govinspect.store import FindingStore, record_from_row

log = logging.getLogger(__name__)

STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS search_sync_findings (
  target TEXT NOT NULL, fingerprint TEXT NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (target, fingerprint)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS search_sync_observations (
  target TEXT NOT NULL, run_id TEXT NOT NULL, site_id TEXT NOT NULL, synced_at TEXT NOT NULL,
  PRIMARY KEY (target, run_id, site_id)
) WITHOUT ROWID;
"""
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def version_of(updated_at: str) -> int:
    """External document version: ``updated_at`` in epoch milliseconds (never decreases)."""
    return int(parse_time(updated_at).timestamp() * 1000)


class SyncState:
    """What one index set has acknowledged, kept beside the findings in the store's database."""

    def __init__(self, store: FindingStore, target: str):
        self.store = store
        self.db = store.db
        self.lock = store._lock  # the store's connection is shared; its lock serialises use
        self.target = target
        with self.lock, self.db:
            self.db.executescript(STATE_SCHEMA)

    def pending_findings(self, site_id: str | None = None) -> list[sqlite3.Row]:
        sql = (
            "SELECT f.* FROM findings f LEFT JOIN search_sync_findings s"
            " ON s.target=? AND s.fingerprint=f.fingerprint"
            " WHERE (s.updated_at IS NULL OR s.updated_at <> f.updated_at)"
        )
        args: list[Any] = [self.target]
        if site_id is not None:
            sql += " AND f.site_id=?"
            args.append(site_id)
        with self.lock:
            return self.db.execute(sql + " ORDER BY f.fingerprint", args).fetchall()

    def mark_findings(self, versions: list[tuple[str, str]]) -> None:
        with self.lock, self.db:
            self.db.executemany(
                "INSERT INTO search_sync_findings VALUES (?,?,?) ON CONFLICT (target, fingerprint)"
                " DO UPDATE SET updated_at=excluded.updated_at",
                [(self.target, fp, updated) for fp, updated in versions],
            )

    def pending_observation_groups(
        self, run_id: str | None = None, site_id: str | None = None
    ) -> list[tuple[str, str]]:
        """(run, site) pairs folded into findings (or never registered as a run) and not yet sent."""
        sql = (
            "SELECT DISTINCT o.run_id, o.site_id FROM observations o"
            " LEFT JOIN run_sites rs ON rs.run_id=o.run_id AND rs.site_id=o.site_id"
            " LEFT JOIN search_sync_observations s"
            " ON s.target=? AND s.run_id=o.run_id AND s.site_id=o.site_id"
            " WHERE s.run_id IS NULL AND (rs.finalized_at IS NOT NULL OR rs.run_id IS NULL)"
        )
        args: list[Any] = [self.target]
        for col, val in (("o.run_id", run_id), ("o.site_id", site_id)):
            if val is not None:
                sql += f" AND {col}=?"
                args.append(val)
        with self.lock:
            return [(r[0], r[1]) for r in self.db.execute(sql + " ORDER BY 1, 2", args)]

    def observation_rows(self, run_id: str, site_id: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute(
                "SELECT * FROM observations WHERE run_id=? AND site_id=? ORDER BY id", (run_id, site_id)
            ).fetchall()
        return [dict(r) for r in rows]

    def run_context(self, run_id: str, site_id: str) -> tuple[datetime | None, str, str]:
        """The run's start (for the monthly index) and the site's name and organizer."""
        with self.lock:
            run = self.db.execute("SELECT started_at FROM runs WHERE run_id=?", (run_id,)).fetchone()
            rs = self.db.execute(
                "SELECT site_name, organizer FROM run_sites WHERE run_id=? AND site_id=?", (run_id, site_id)
            ).fetchone()
            if rs is None or not rs["site_name"]:
                rs = self.db.execute(
                    "SELECT site_name, organizer FROM findings WHERE site_id=? LIMIT 1", (site_id,)
                ).fetchone()
        started = parse_time(run["started_at"]) if run else None
        return started, (rs["site_name"] if rs else site_id), (rs["organizer"] if rs else "")

    def mark_observations(self, run_id: str, site_id: str) -> None:
        with self.lock, self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO search_sync_observations VALUES (?,?,?,?)",
                (self.target, run_id, site_id, now_iso()),
            )

    def known(self) -> int:
        with self.lock:
            return int(self.db.execute(
                "SELECT COUNT(*) FROM search_sync_findings WHERE target=?", (self.target,)
            ).fetchone()[0])

    def reset(self) -> None:
        with self.lock, self.db:
            self.db.execute("DELETE FROM search_sync_findings WHERE target=?", (self.target,))
            self.db.execute("DELETE FROM search_sync_observations WHERE target=?", (self.target,))


def finding_actions(rows: list[sqlite3.Row], names: IndexNames) -> Iterator[Action]:
    for row in rows:
        doc = finding_document(
            record_from_row(row), reopened_count=row["reopened_count"], updated_at=row["updated_at"]
        )
        yield Action(names.findings, row["fingerprint"], doc, version_of(row["updated_at"]))


def observation_actions(state: SyncState, names: IndexNames, run_id: str, site_id: str) -> list[Action]:
    rows = state.observation_rows(run_id, site_id)
    if not rows:
        return []
    started, site_name, organizer = state.run_context(run_id, site_id)
    month = (started or min(parse_time(r["seen_at"]) for r in rows)).astimezone(UTC)
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["fingerprint"], []).append(r)
    actions = []
    for fp, group in groups.items():
        worst = min((r["severity"] for r in group), key=lambda s: _RANK.get(s, 9))
        group[-1] = {**group[-1], "severity": worst}
        doc = observation_document(run_id, fp, group, site_name, organizer)
        actions.append(Action(names.observations(month), observation_id(fp, run_id), doc))
    return actions


class Syncer:
    """Brings one index set up to date with the store, wholly or for one site of one run."""

    def __init__(self, store: FindingStore, engine: SearchEngine, config: SearchConfig,
                 indexer: Indexer | None = None):
        self.store = store
        self.engine = engine
        self.names = IndexNames(config.index_prefix)
        self.indexer = indexer or Indexer(engine)
        self.state = SyncState(store, config.target)
        self._ready = False

    def ensure_ready(self) -> None:
        """Templates exist; if the findings index vanished (deleted by hand), resend everything."""
        if self._ready:
            return
        ensure_templates(self.engine, self.names)
        if not self.engine.index_exists(self.names.findings) and self.state.known():
            log.warning("index %s is missing: resending every finding", self.names.findings)
            self.state.reset()
        self._ready = True

    def sync(self, site_id: str | None = None, run_id: str | None = None) -> dict[str, int]:
        self.ensure_ready()
        counts = {"findings": 0, "observations": 0, "failed": 0, "retries": 0}
        rows = self.state.pending_findings(site_id)
        versions = {r["fingerprint"]: r["updated_at"] for r in rows}

        def record(result: BulkResult) -> None:
            self.state.mark_findings([(a.id, versions[a.id]) for a in result.done])

        result = self.indexer.send(finding_actions(rows, self.names), on_chunk=record)
        counts["findings"] = len(result.done)
        counts["failed"] += len(result.failed)
        counts["retries"] += result.retries
        groups = self.state.pending_observation_groups(run_id, site_id)
        group_of: dict[str, tuple[str, str]] = {}
        remaining: dict[tuple[str, str], int] = {}
        spoiled: set[tuple[str, str]] = set()

        def observation_stream() -> Iterator[Action]:
            for group in groups:
                actions = observation_actions(self.state, self.names, *group)
                remaining[group] = len(actions)
                if not actions:
                    self.state.mark_observations(*group)
                for action in actions:
                    group_of[action.id] = group
                    yield action

        def record_observations(result: BulkResult) -> None:
            """A (run, site) is marked sent once all its documents are acknowledged."""
            spoiled.update(group_of[a.id] for a, _ in result.failed)
            for action in result.done:
                group = group_of[action.id]
                remaining[group] -= 1
                if remaining[group] == 0 and group not in spoiled:
                    self.state.mark_observations(*group)

        result = self.indexer.send(observation_stream(), on_chunk=record_observations)
        counts["observations"] = len(result.done)
        counts["failed"] += len(result.failed)
        counts["retries"] += result.retries
        return counts


def run_sync(store: FindingStore, config: SearchConfig, *, full: bool = False,
             engine: SearchEngine | None = None, refresh: bool = False) -> dict[str, Any]:
    """Send everything the index set lacks. Raises ``EngineUnavailable`` when the engine is down
    (nothing is lost: run it again later). ``full`` resends every finding and observation."""
    own = engine is None
    engine = engine or SearchEngine(config)
    try:
        syncer = Syncer(store, engine, config, Indexer(engine, refresh=refresh))
        if full:
            syncer.state.reset()
        counts: dict[str, Any] = dict(syncer.sync())
        if refresh:
            engine.refresh(f"{syncer.names.findings},{syncer.names.observations_pattern}")
        counts.update(engine=str(engine.info), index=syncer.names.findings)
        log.info("es sync: %s", json.dumps(counts, ensure_ascii=False))
        return counts
    finally:
        if own:
            engine.close()
