"""State that outlives one run: availability probes and the script/iframe hosts each run saw per site.

``site.availability-low`` judges the probes of the last 7 days of real time (``govinspect probe`` and
the crawl's own homepage fetches); ``security.injected-content`` compares a site's script and iframe
hosts with those of its previous complete run. Both tables live here, in the common SQLite/PostgreSQL
subset (``?`` placeholders, ``ON CONFLICT``, TEXT/INTEGER/REAL only), through the store's API
(``apply_schema``, ``append``, ``query``), so they live in SQLite or PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS probes (
  site_id TEXT NOT NULL, url TEXT NOT NULL, probed_at TEXT NOT NULL, ok INTEGER NOT NULL,
  outcome TEXT NOT NULL, status INTEGER, latency_ms INTEGER, source TEXT NOT NULL, run_id TEXT
);
CREATE INDEX IF NOT EXISTS probes_site_time ON probes (site_id, probed_at);
CREATE TABLE IF NOT EXISTS resource_runs (
  run_id TEXT NOT NULL, site_id TEXT NOT NULL, PRIMARY KEY (run_id, site_id)
);
CREATE TABLE IF NOT EXISTS resource_hosts (
  run_id TEXT NOT NULL, site_id TEXT NOT NULL, host TEXT NOT NULL, url TEXT NOT NULL,
  page_url TEXT NOT NULL, tag TEXT, PRIMARY KEY (run_id, site_id, host)
);
"""


def utc_now() -> str:
    """Probe times: UTC, ISO 8601, second precision, so that text order is time order."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass
class Probe:
    """One availability probe of a homepage (``govinspect probe`` or the crawl's own fetch)."""

    site_id: str
    url: str
    ok: bool
    outcome: str  # ok, timeout, dns, refused, tls, connection, http-503, blank, maintenance, ...
    status: int | None = None
    latency_ms: int | None = None
    source: str = "probe"  # probe / crawl
    probed_at: str = field(default_factory=utc_now)
    run_id: str | None = None


@dataclass
class ResourceUse:
    """Script and iframe hosts of one page that are neither the site's, government, nor allowed.

    ``hosts`` maps host to (resource URL, tag). A homepage sends one even when empty: it marks that
    the run recorded the site's hosts (a previous run without the mark is no baseline).
    """

    site_id: str
    page_url: str
    hosts: dict[str, tuple[str, str]] = field(default_factory=dict)


def add_probes(store: Any, probes: Iterable[Probe]) -> int:
    """Append probes (buffered and replayed if PostgreSQL is away: a probe measured is a probe kept)."""
    rows = [(p.site_id, p.url, p.probed_at, int(p.ok), p.outcome, p.status, p.latency_ms, p.source, p.run_id)
            for p in probes]
    if rows:
        store.append("INSERT INTO probes (site_id, url, probed_at, ok, outcome, status, latency_ms, source, run_id)"
                     " VALUES (?,?,?,?,?,?,?,?,?)", rows)
    return len(rows)


def prune_probes(store: Any, before: str) -> int:
    """Delete probes older than ``before`` (the table grows by 20 rows a site a day)."""
    return store.execute("DELETE FROM probes WHERE probed_at<?", (before,))


def probes_between(store: Any, site_id: str, since: str, until: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT site_id, url, probed_at, ok, outcome, status, latency_ms, source FROM probes"
        " WHERE site_id=? AND probed_at>=? AND probed_at<=? ORDER BY probed_at", (site_id, since, until))


def availability_by_site(store: Any, since: str, until: str) -> dict[str, dict[str, Any]]:
    """Per site: probes, failed and availability in the window (for summaries and reports)."""
    rows = store.query(
        "SELECT site_id, COUNT(*) AS probes, SUM(CASE WHEN ok=0 THEN 1 ELSE 0 END) AS failed FROM probes"
        " WHERE probed_at>=? AND probed_at<=? GROUP BY site_id", (since, until))
    out = {}
    for r in rows:
        total, failed = int(r["probes"]), int(r["failed"] or 0)
        out[r["site_id"]] = {"probes": total, "failed": failed, "availability": 1 - failed / total if total else None}
    return out


def add_resource_use(store: Any, run_id: str, use: ResourceUse, homepage: bool) -> None:
    if homepage:
        store.append("INSERT INTO resource_runs (run_id, site_id) VALUES (?,?) ON CONFLICT (run_id, site_id)"
                     " DO NOTHING", [(run_id, use.site_id)], run_id)
    if use.hosts:
        store.append(
            "INSERT INTO resource_hosts (run_id, site_id, host, url, page_url, tag) VALUES (?,?,?,?,?,?)"
            " ON CONFLICT (run_id, site_id, host) DO NOTHING",
            [(run_id, use.site_id, host, url, use.page_url, tag) for host, (url, tag) in use.hosts.items()], run_id)


def resource_hosts(store: Any, run_id: str, site_id: str) -> dict[str, dict[str, str]]:
    rows = store.query("SELECT host, url, page_url, tag FROM resource_hosts WHERE run_id=? AND site_id=?",
                       (run_id, site_id))
    return {r["host"]: {"url": r["url"], "page_url": r["page_url"], "tag": r["tag"]} for r in rows}


def previous_complete_run(store: Any, site_id: str, run_id: str) -> str | None:
    """The latest other run that completed this site and recorded its resource hosts."""
    rows = store.query(
        "SELECT rs.run_id AS run_id FROM run_sites rs JOIN runs r ON r.run_id=rs.run_id"
        " JOIN resource_runs m ON m.run_id=rs.run_id AND m.site_id=rs.site_id"
        " WHERE rs.site_id=? AND rs.run_id<>? AND rs.completed=1 AND rs.finalized_at IS NOT NULL"
        " ORDER BY r.started_at DESC LIMIT 1", (site_id, run_id))
    return rows[0]["run_id"] if rows else None


def observed(store: Any, run_id: str, site_id: str, rule: str) -> list[dict[str, Any]]:
    """This run's observations of one rule on one site, oldest first."""
    return store.query(
        "SELECT target_url, page_url, message, evidence, severity FROM observations"
        " WHERE run_id=? AND site_id=? AND rule=? ORDER BY id", (run_id, site_id, rule))


def referrers(store: Any, run_id: str, site_id: str, target_url: str, limit: int) -> list[tuple[str, str]]:
    """(page, link text) of this run's pages of the site that link ``target_url`` (normalised)."""
    found = sorted({(r.page_url, r.text or "") for r in store.link_refs(run_id, site_id, targets={target_url})})
    return found[:limit]
