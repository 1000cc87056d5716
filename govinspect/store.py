"""The embedded findings store (SQLite): runs, observations, link data and findings with a lifecycle.

Observations are appended as they are made and committed at once (WAL mode), so a killed process
keeps every finding it wrote. When a site's run ends, :meth:`FindingStore.finalize_site` folds that
run's observations into findings in one transaction: open → fixed (only when the run completed the
site) → reopened. A run interrupted before finalizing is folded (as incomplete) on the next open.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from govinspect import facts as page_facts
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
CREATE TABLE IF NOT EXISTS link_refs (
  run_id TEXT NOT NULL, site_id TEXT NOT NULL, page_url TEXT NOT NULL, target_url TEXT NOT NULL,
  tag TEXT, text TEXT,
  PRIMARY KEY (run_id, site_id, target_url, page_url)
) WITHOUT ROWID;
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
CREATE INDEX IF NOT EXISTS findings_updated ON findings (updated_at);
"""

_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
MAX_REFERRERS = 20


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class FindingStore:
    """SQLite-backed store. One connection per process; safe to share between threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives a killed process (not a power cut), at little cost.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.db.executescript(page_facts.SCHEMA)
        self.db.commit()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # ---- runs -------------------------------------------------------------------------------
    def start_run(self, run_id: str, as_of: str, args: dict[str, Any], sites: Iterable[Site]) -> None:
        with self._lock, self.db:
            existing = self.db.execute("SELECT status FROM runs WHERE run_id=?", (run_id,)).fetchone()
            if existing is not None:
                raise ValueError(f"run id {run_id!r} already exists in {self.path}")
            self.db.execute(
                "INSERT INTO runs (run_id, started_at, status, as_of, args) VALUES (?,?,?,?,?)",
                (run_id, now_iso(), "running", as_of, _json(args)),
            )
            self.db.executemany(
                "INSERT INTO run_sites (run_id, site_id, site_name, organizer, site_url) VALUES (?,?,?,?,?)",
                [(run_id, s.id, s.name, s.organizer, s.url) for s in sites],
            )

    def end_run(self, run_id: str, status: str) -> None:
        with self._lock, self.db:
            self.db.execute(
                "UPDATE runs SET ended_at=?, status=? WHERE run_id=?", (now_iso(), status, run_id)
            )

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
        """Store one observation (masked) and commit; returns its fingerprint."""
        key = obs.key or finding_key(obs.rule, site_url, obs.page_url, obs.target_url)
        fp = fingerprint(obs.site_id, obs.rule, key)
        with self._lock, self.db:
            self.db.execute(
                "INSERT INTO observations (run_id, site_id, fingerprint, rule, severity, page_url,"
                " target_url, message, evidence, screenshot, seen_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id, obs.site_id, fp, obs.rule, obs.severity, mask_url(obs.page_url), mask_url(obs.target_url),
                    mask_text(obs.message), _json(mask_value(obs.evidence)), obs.screenshot, obs.seen_at,
                ),
            )
        return fp

    def add_refs(self, run_id: str, refs: Iterable[LinkRef]) -> None:
        with self._lock, self.db:
            self.db.executemany(
                "INSERT OR IGNORE INTO link_refs VALUES (?,?,?,?,?,?)",
                [(run_id, r.site_id, mask_url(r.page_url), mask_url(r.target_url), r.tag, mask_text(r.text[:200]))
                 for r in refs],
            )

    def add_checks(self, run_id: str, checks: Iterable[LinkCheck]) -> None:
        """Record target outcomes once per run; a success replaces an earlier failure, not the reverse."""
        rows = [
            (run_id, mask_url(c.target_url), int(c.ok), c.status, c.error, int(c.blocked), c.method, c.redirects,
             now_iso())
            for c in checks
        ]
        with self._lock, self.db:
            self.db.executemany(
                "INSERT INTO link_checks VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (run_id, target_url) DO "
                "UPDATE SET ok=excluded.ok, status=excluded.status, error=excluded.error,"
                " blocked=excluded.blocked, method=excluded.method, redirects=excluded.redirects,"
                " checked_at=excluded.checked_at WHERE link_checks.ok=0",
                rows,
            )

    def add_facts(self, run_id: str, facts: Iterable[Fact]) -> None:
        """Page facts of cross-page rules (``govinspect/facts.py``), masked like everything written."""
        rows = [(run_id, f.site_id, f.kind, mask_url(f.key), mask_url(f.page_url), _json(mask_value(f.data)))
                for f in facts]
        with self._lock, self.db:
            self.db.executemany(page_facts.INSERT, rows)

    # ---- run view (for inspectors concluding at the end of a site) -------------------------------
    def view(self, run_id: str) -> StoreRunView:
        return StoreRunView(self, run_id)

    # ---- folding a site's run into findings ------------------------------------------------------
    def finalize_site(self, run_id: str, site: Site, completed: bool, reason: str = "") -> dict[str, int]:
        """Fold this run's observations of ``site`` into findings, in one transaction.

        Returns counts of new, seen-again, reopened and fixed findings.
        """
        counts = {"new": 0, "seen": 0, "reopened": 0, "fixed": 0}
        with self._lock, self.db:
            state = self.db.execute(
                "SELECT finalized_at FROM run_sites WHERE run_id=? AND site_id=?", (run_id, site.id)
            ).fetchone()
            if state is not None and state["finalized_at"]:
                return counts
            groups: dict[str, list[sqlite3.Row]] = {}
            for row in self.db.execute(
                "SELECT * FROM observations WHERE run_id=? AND site_id=? ORDER BY id", (run_id, site.id)
            ):
                groups.setdefault(row["fingerprint"], []).append(row)
            now = now_iso()
            for fp, rows in groups.items():
                pages: list[str] = []
                for r in rows:
                    if r["page_url"] not in pages:
                        pages.append(r["page_url"])
                latest = rows[-1]
                severity = min((r["severity"] for r in rows), key=lambda s: _SEVERITY_RANK.get(s, 9))
                screenshot = next((r["screenshot"] for r in reversed(rows) if r["screenshot"]), None)
                last_seen = max(r["seen_at"] for r in rows)
                old = self.db.execute("SELECT * FROM findings WHERE fingerprint=?", (fp,)).fetchone()
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
                    cols = ", ".join(values)
                    self.db.execute(
                        f"INSERT INTO findings ({cols}) VALUES ({', '.join('?' * len(values))})",
                        list(values.values()),
                    )
                    continue
                if old["status"] == "fixed":
                    counts["reopened"] += 1
                    values.update(status="reopened", reopened_count=old["reopened_count"] + 1, fixed_at=None)
                else:
                    counts["seen"] += 1
                sets = ", ".join(f"{k}=?" for k in values)
                self.db.execute(f"UPDATE findings SET {sets} WHERE fingerprint=?", [*values.values(), fp])
            if completed:
                seen = list(groups)
                placeholders = ",".join("?" * len(seen)) or "''"
                cur = self.db.execute(
                    f"UPDATE findings SET status='fixed', fixed_at=?, updated_at=? WHERE site_id=? AND"
                    f" status IN ('open','reopened') AND fingerprint NOT IN ({placeholders})",
                    [now, now, site.id, *seen],
                )
                counts["fixed"] = cur.rowcount
            self.db.execute(
                "UPDATE run_sites SET completed=?, reason=?, finalized_at=? WHERE run_id=? AND site_id=?",
                (int(completed), reason, now, run_id, site.id),
            )
        return counts

    def interrupted_runs(self) -> list[str]:
        rows = self.db.execute("SELECT run_id FROM runs WHERE status='running'").fetchall()
        return [r["run_id"] for r in rows]

    def recover_interrupted(self, sites_by_id: dict[str, Site] | None = None) -> list[str]:
        """Fold the observations of runs that died before finishing, marking nothing fixed."""
        recovered = []
        for run_id in self.interrupted_runs():
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


def record_from_row(row: sqlite3.Row) -> dict[str, Any]:
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
    """:class:`inspectors.base.RunView` over the SQLite store."""

    def __init__(self, store: FindingStore, run_id: str):
        self.store = store
        self.run_id = run_id

    def check(self, url: str) -> LinkCheck | None:
        row = self.store.db.execute(
            "SELECT * FROM link_checks WHERE run_id=? AND target_url=?", (self.run_id, mask_url(url))
        ).fetchone()
        return _check_from_row(row) if row else None

    def broken_refs(self, site_id: str) -> Iterator[tuple[LinkCheck, list[LinkRef]]]:
        rows = self.store.db.execute(
            "SELECT c.*, r.page_url, r.tag, r.text FROM link_refs r JOIN link_checks c"
            " ON c.run_id=r.run_id AND c.target_url=r.target_url"
            " WHERE r.run_id=? AND r.site_id=? AND c.ok=0 AND c.blocked=0 ORDER BY c.target_url, r.page_url",
            (self.run_id, site_id),
        ).fetchall()
        current: LinkCheck | None = None
        refs: list[LinkRef] = []
        for row in rows:
            if current is None or row["target_url"] != current.target_url:
                if current is not None:
                    yield current, refs
                current, refs = _check_from_row(row), []
            refs.append(
                LinkRef(site_id, row["page_url"], row["target_url"], row["tag"] or "", row["text"] or "")
            )
        if current is not None:
            yield current, refs

    def facts(self, site_id: str, kind: str) -> list[Fact]:
        """The page facts of one kind that this run stored for a site."""
        rows = self.store.db.execute(page_facts.SELECT, (self.run_id, site_id, kind)).fetchall()
        return [Fact(site_id, kind, r["fact_key"], r["page_url"], json.loads(r["data"])) for r in rows]

    def blocked_targets(self, site_id: str) -> int:
        row = self.store.db.execute(
            "SELECT COUNT(DISTINCT c.target_url) FROM link_refs r JOIN link_checks c ON c.run_id=r.run_id"
            " AND c.target_url=r.target_url WHERE r.run_id=? AND r.site_id=? AND c.blocked=1",
            (self.run_id, site_id),
        ).fetchone()
        return int(row[0])


def _check_from_row(row: sqlite3.Row) -> LinkCheck:
    return LinkCheck(
        target_url=row["target_url"], ok=bool(row["ok"]), status=row["status"], error=row["error"],
        blocked=bool(row["blocked"]), method=row["method"] or "GET", redirects=row["redirects"] or 0,
    )


def observation_dict(obs: Observation) -> dict[str, Any]:
    return asdict(obs)
