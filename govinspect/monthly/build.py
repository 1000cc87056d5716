"""``govinspect report --month``: collect the figures and write the HTML reports and ``report.json``."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

from govinspect.findings import now_iso
from govinspect.monthly.figures import figures, month_end, parse_month, units_table
from govinspect.monthly.html import render_report
from govinspect.rectify.lists import all_lists, refresh
from govinspect.rectify.tables import Tables

logger = logging.getLogger(__name__)

# column names the availability probes table may use (it belongs to the probe verb's module)
_OK_COLUMNS = ("ok", "up", "success", "available")
_TIME_COLUMNS = ("probed_at", "checked_at", "started_at", "at", "ts", "time", "created_at")


def availability(tables: Tables, key: str, site_ids: set[str]) -> dict[str, Any] | None:
    """Share of successful probes per site in the month, from the ``probes`` table when there is one."""
    try:
        probe = tables.query("SELECT * FROM probes LIMIT 1")
    except Exception:  # no probes table (probing never ran here): the report leaves the section out
        return None
    if not probe:
        return None
    cols = set(probe[0])
    ok_col = next((c for c in _OK_COLUMNS if c in cols), None)
    time_col = next((c for c in _TIME_COLUMNS if c in cols), None)
    if "site_id" not in cols or ok_col is None or time_col is None:
        logger.warning("probes table without site_id/ok/time columns (%s): availability left out", sorted(cols))
        return None
    rows = tables.query(f"SELECT site_id, {ok_col} AS ok, {time_col} AS t FROM probes")
    per_site: dict[str, list[int]] = {}
    for r in rows:
        if str(r["t"])[:7] == key and r["site_id"] in site_ids:
            per_site.setdefault(r["site_id"], [0, 0])
            per_site[r["site_id"]][0] += 1
            per_site[r["site_id"]][1] += 1 if r["ok"] in (1, True, "1", "true", "ok") else 0
    if not per_site:
        return None
    total = sum(v[0] for v in per_site.values())
    good = sum(v[1] for v in per_site.values())
    return {"probes": total, "ok": good, "rate": round(good / total, 4),
            "sites": {sid: {"probes": n, "ok": k, "rate": round(k / n, 4)} for sid, (n, k) in sorted(per_site.items())}}


def _sites(tables: Tables, key: str) -> dict[str, dict[str, Any]]:
    """Sites crawled by a run up to the month's end (latest name and unit of each); ``in_month`` marks
    those a run of this month crawled (the "monitored" count)."""
    end = month_end(key).isoformat()
    rows = tables.query(
        "SELECT s.site_id, s.site_name, s.organizer, r.started_at FROM run_sites s JOIN runs r ON r.run_id = s.run_id"
        " ORDER BY r.started_at")
    sites: dict[str, dict[str, Any]] = {}
    for r in rows:
        started = (r["started_at"] or "")[:10]
        if started <= end:
            in_month = started[:7] == key or sites.get(r["site_id"], {}).get("in_month", False)
            sites[r["site_id"]] = {**r, "in_month": in_month}
    return sites


def build_reports(store: Any, key: str, out: Path, organizer: str | None = None, trend_months: int = 6,
                  today: date | None = None, issuer: str = "") -> dict[str, Any]:
    parse_month(key)
    today = today or date.today()
    tables = Tables(store)
    refresh(store)
    findings = list(store.findings())
    lists = all_lists(tables)
    sites = _sites(tables, key)
    out.mkdir(parents=True, exist_ok=True)

    def scope(unit: str | None) -> dict[str, Any]:
        fs = [r for r in findings if unit is None or r["organizer"] == unit]
        ls = [lst for lst in lists if unit is None or lst["organizer"] == unit]
        ss = [s for s in sites.values() if unit is None or s["organizer"] == unit]
        avail = availability(tables, key, {s["site_id"] for s in ss})
        if avail:
            names = {s["site_id"]: s["site_name"] for s in ss}
            for sid, v in avail["sites"].items():
                v["site_name"] = names.get(sid, sid)
        return figures(fs, ls, [s for s in ss if s["in_month"]], avail, key, trend_months, today)

    units = sorted({r["organizer"] for r in findings} | {s["organizer"] for s in sites.values() if s["organizer"]}
                   | {lst["organizer"] for lst in lists})
    if organizer is not None:
        units = [u for u in units if u == organizer]
    report: dict[str, Any] = {"month": key, "generated_at": now_iso(), "files": {}}
    if organizer is None:
        cluster = scope(None)
        cluster["units"] = units_table(findings, lists, key, today)
        report["cluster"] = cluster
        path = out / f"监测报告-{key}-全部.html"
        path.write_text(render_report(cluster, None, issuer), encoding="utf-8")
        report["files"]["cluster"] = path.name
    report["units"] = {}
    from govinspect.rectify.cli import file_stem

    for unit in units:
        data = scope(unit)
        report["units"][unit] = data
        path = out / f"监测报告-{key}-{file_stem(unit)}.html"
        path.write_text(render_report(data, unit, issuer), encoding="utf-8")
        report["files"][unit] = path.name
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return report
