"""The figures of a monthly monitoring report (监测报告), for one unit or the whole cluster.

Months are calendar months of the recorded local dates (the ``YYYY-MM`` of each ISO time). A finding
counts in a month when it was seen during it; *new* when first seen in it; *fixed* when it is fixed
and was fixed in it; *open at month end* when first seen by then and not fixed by then. Lists count
as issued/closed in the month of those dates, and as overdue when their deadline passed before the
month's end (or today, for the current month) without a close-out.
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date
from typing import Any

from govinspect.masking import mask_text, mask_url
from govinspect.rules import SEVERITIES

TOP_PROBLEMS = 20


def parse_month(value: str) -> tuple[int, int]:
    try:
        year, month = (int(x) for x in value.split("-"))
        date(year, month, 1)
    except ValueError:
        raise ValueError(f"--month takes YYYY-MM, not {value!r}") from None
    return year, month


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def previous_months(year: int, month: int, count: int) -> list[str]:
    """The ``count`` months ending with this one, oldest first."""
    out = []
    for _ in range(count):
        out.append(month_key(year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def month_end(key: str) -> date:
    year, month = parse_month(key)
    return date(year, month, calendar.monthrange(year, month)[1])


def _open_at_end(rec: dict[str, Any], key: str) -> bool:
    if rec["first_seen"][:7] > key:
        return False
    return not (rec["status"] == "fixed" and (rec.get("fixed_at") or "")[:7] <= key)


def month_counts(findings: list[dict[str, Any]], key: str) -> dict[str, int]:
    return {
        "month": key,
        "new": sum(1 for r in findings if r["first_seen"][:7] == key),
        "fixed": sum(1 for r in findings if r["status"] == "fixed" and (r.get("fixed_at") or "")[:7] == key),
        "open_at_end": sum(1 for r in findings if _open_at_end(r, key)),
        "critical_open_at_end": sum(1 for r in findings if r["severity"] == "critical" and _open_at_end(r, key)),
    }


def list_counts(lists: list[dict[str, Any]], key: str, today: date) -> dict[str, int]:
    until = min(month_end(key), today)
    overdue = 0
    for lst in lists:
        if lst["issued"][:7] > key:
            continue
        closed = (lst.get("closed_at") or "")[:10]
        still_open = not closed or closed > until.isoformat()
        if still_open and date.fromisoformat(lst["deadline"]) < until:
            overdue += 1
    return {
        "issued": sum(1 for lst in lists if lst["issued"][:7] == key),
        "closed": sum(1 for lst in lists if (lst.get("closed_at") or "")[:7] == key),
        "overdue": overdue,
        "open": sum(1 for lst in lists if lst["issued"][:7] <= key and lst["status"] == "open"),
    }


def figures(findings: list[dict[str, Any]], lists: list[dict[str, Any]], sites: list[dict[str, Any]],
            availability: dict[str, Any] | None, key: str, trend_months: int, today: date) -> dict[str, Any]:
    """Everything one report shows, as plain data (what ``report.json`` holds)."""
    year, month = parse_month(key)
    seen = [r for r in findings if r["first_seen"][:7] <= key <= r["last_seen"][:7] or _open_at_end(r, key)]
    by_rule = Counter(r["rule"] for r in seen)
    by_severity = Counter(r["severity"] for r in seen)
    counts = month_counts(findings, key)
    severe = sorted((r for r in findings if _open_at_end(r, key) and r["severity"] == "critical"),
                    key=lambda r: (r["site_id"], r["rule"], r["first_seen"]))
    return {
        "month": key,
        "sites": len(sites),
        "findings": len(seen),
        "by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
        **{k: v for k, v in counts.items() if k != "month"},
        "lists": list_counts(lists, key, today),
        "availability": availability,
        "trend": [month_counts(findings, m) for m in previous_months(year, month, trend_months)],
        "critical_open": [
            {"site_name": r["site_name"], "rule": r["rule"], "page_url": mask_url(r["page_url"]),
             "message": mask_text(r["message"]), "first_seen": r["first_seen"][:10]}
            for r in severe[:TOP_PROBLEMS]
        ],
        "critical_open_total": len(severe),
    }


def units_table(findings: list[dict[str, Any]], lists: list[dict[str, Any]], key: str,
                today: date) -> list[dict[str, Any]]:
    """One row per unit for the cluster report."""
    units = sorted({r["organizer"] for r in findings} | {lst["organizer"] for lst in lists})
    rows = []
    for unit in units:
        fs = [r for r in findings if r["organizer"] == unit]
        ls = [lst for lst in lists if lst["organizer"] == unit]
        c = month_counts(fs, key)
        rows.append({"organizer": unit, "new": c["new"], "fixed": c["fixed"], "open_at_end": c["open_at_end"],
                     "critical_open_at_end": c["critical_open_at_end"], **{f"lists_{k}": v for k, v in
                                                                             list_counts(ls, key, today).items()}})
    return rows
