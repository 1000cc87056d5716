"""Issuing rectification lists and keeping them in step with the findings.

One list per responsible unit (the registry ``organizer``) from its open findings at or above a
severity, skipping findings already on an open list. A list's entries follow their findings while
the list is open: a finding ``fixed`` by a re-check or by a later complete run makes its entry
fixed; a finding seen again makes it open again. A list whose entries are all fixed is closed (销号)
and stays closed; a problem that comes back later goes onto a new list.
"""

from __future__ import annotations

import getpass
import json
import socket
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from govinspect.findings import now_iso
from govinspect.masking import mask_text, mask_url, mask_value
from govinspect.rectify.calendar import WorkCalendar
from govinspect.rectify.tables import Tables
from govinspect.rules import SEVERITIES

DEFAULT_NUMBER_FORMAT = "整改〔{year}〕第{seq:04d}号"
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass
class IssueOptions:
    as_of: date
    organizer: str | None = None
    min_severity: str = "high"
    working_days: int = 3
    number_format: str = DEFAULT_NUMBER_FORMAT
    issued_by: str = ""
    calendar: WorkCalendar = field(default_factory=WorkCalendar)


def default_issuer() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no login name (containers): the host still says who
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def format_number(fmt: str, year: int, seq: int) -> str:
    try:
        return fmt.format(year=year, seq=seq)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"RECTIFY_NUMBER_FORMAT {fmt!r} must use only {{year}} and {{seq}}: {exc}") from None


def severities_at_or_above(level: str) -> list[str]:
    if level not in _RANK:
        raise ValueError(f"--min-severity takes one of {', '.join(SEVERITIES)}, not {level!r}")
    return [s for s in SEVERITIES if _RANK[s] <= _RANK[level]]


def on_open_lists(tables: Tables) -> set[str]:
    rows = tables.query(
        "SELECT e.fingerprint FROM rectify_entries e JOIN rectify_lists l ON l.number = e.number"
        " WHERE l.status = 'open'"
    )
    return {r["fingerprint"] for r in rows}


def _site_urls(tables: Tables) -> dict[str, str]:
    rows = tables.query("SELECT site_id, site_url FROM run_sites WHERE site_url IS NOT NULL ORDER BY run_id")
    return {r["site_id"]: r["site_url"] for r in rows}


def issue_lists(store: Any, opts: IssueOptions) -> list[dict[str, Any]]:
    """Issue the lists due today; returns them as stored (see :func:`load_list`)."""
    tables = Tables(store)
    wanted = set(severities_at_or_above(opts.min_severity))
    refresh(store)  # lists whose entries a full run fixed are closed first: their findings are free again
    taken = on_open_lists(tables)
    groups: dict[str, list[dict[str, Any]]] = {}
    for status in ("open", "reopened"):
        for rec in store.findings(status=status, organizer=opts.organizer):
            if rec["severity"] in wanted and rec["fingerprint"] not in taken:
                groups.setdefault(rec["organizer"], []).append(rec)
    deadline = opts.calendar.add_working_days(opts.as_of, opts.working_days)
    source = opts.calendar.source(deadline.year)
    note = "".join(opts.calendar.notes_zh) or None
    site_urls = _site_urls(tables)
    issued_by = opts.issued_by or default_issuer()
    numbers = []
    for organizer in sorted(groups):
        records = sorted(groups[organizer], key=lambda r: (_RANK.get(r["severity"], 9), r["site_id"], r["rule"],
                                                          r["page_url"], r["fingerprint"]))
        now = now_iso()
        with tables.transaction():
            number = _new_number(tables, opts.number_format, opts.as_of.year)
            tables.execute(
                "INSERT INTO rectify_lists (number, year, seq, organizer, issued, deadline, working_days,"
                " min_severity, status, calendar, calendar_note, issued_by, issued_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (number[0], opts.as_of.year, number[1], organizer, opts.as_of.isoformat(), deadline.isoformat(),
                 opts.working_days, opts.min_severity, "open", source, note, issued_by, now, now),
            )
            for pos, rec in enumerate(records, start=1):
                tables.execute(
                    "INSERT INTO rectify_entries (number, position, fingerprint, rule, severity, site_id,"
                    " site_name, site_url, page_url, target_url, message, evidence, referrers, first_seen,"
                    " screenshot, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (number[0], pos, rec["fingerprint"], rec["rule"], rec["severity"], rec["site_id"],
                     rec["site_name"], site_urls.get(rec["site_id"]), mask_url(rec["page_url"]),
                     mask_url(rec.get("target_url")), mask_text(rec["message"]),
                     json.dumps(mask_value(rec["evidence"]), ensure_ascii=False, sort_keys=True),
                     json.dumps([mask_url(u) for u in rec.get("referrers") or []], ensure_ascii=False),
                     rec["first_seen"], rec.get("screenshot"), "open"),
                )
        numbers.append(number[0])
    return [load_list(tables, n) for n in numbers]


def _new_number(tables: Tables, fmt: str, year: int) -> tuple[str, int]:
    """The next unused number of ``year``: the counter only grows, so a number is never reused."""
    while True:
        seq = tables.next_value(f"list-{year}")
        number = format_number(fmt, year, seq)
        if not tables.query("SELECT 1 AS x FROM rectify_lists WHERE number=?", (number,)):
            return number, seq


def refresh(store: Any, numbers: list[str] | None = None) -> None:
    """Bring the entries of open lists in step with their findings; close lists whose entries are all fixed."""
    tables = Tables(store)
    lists = tables.query("SELECT number FROM rectify_lists WHERE status='open' ORDER BY number")
    for row in lists:
        number = row["number"]
        if numbers is not None and number not in numbers:
            continue
        entries = tables.query("SELECT * FROM rectify_entries WHERE number=?", (number,))
        fps = [e["fingerprint"] for e in entries]
        marks = ",".join("?" * len(fps)) or "''"
        findings = {f["fingerprint"]: f for f in tables.query(
            f"SELECT fingerprint, status, fixed_at FROM findings WHERE fingerprint IN ({marks})", fps)}
        now = now_iso()
        with tables.transaction():
            for e in entries:
                f = findings.get(e["fingerprint"])
                if f is None:
                    continue
                if f["status"] == "fixed" and e["status"] != "fixed":
                    tables.execute(
                        "UPDATE rectify_entries SET status='fixed', fixed_at=?, fixed_by=? WHERE number=? AND"
                        " fingerprint=?", (f["fixed_at"] or now, e["fixed_by"] or "run", number, e["fingerprint"]))
                    e["status"] = "fixed"
                elif f["status"] != "fixed" and e["status"] == "fixed":
                    tables.execute(
                        "UPDATE rectify_entries SET status='open', fixed_at=NULL, fixed_by=NULL WHERE number=? AND"
                        " fingerprint=?", (number, e["fingerprint"]))
                    e["status"] = "open"
            if entries and all(e["status"] == "fixed" for e in entries):
                tables.execute("UPDATE rectify_lists SET status='closed', closed_at=?, updated_at=? WHERE number=?",
                               (now, now, number))


def is_overdue(lst: dict[str, Any], today: date) -> bool:
    """Past its deadline and not closed (the deadline day itself still counts as in time)."""
    return lst["status"] != "closed" and today > date.fromisoformat(lst["deadline"])


def load_list(tables: Tables, number: str) -> dict[str, Any]:
    rows = tables.query("SELECT * FROM rectify_lists WHERE number=?", (number,))
    if not rows:
        raise LookupError(f"no rectification list numbered {number!r}")
    lst = rows[0]
    entries = tables.query("SELECT * FROM rectify_entries WHERE number=? ORDER BY position", (number,))
    for e in entries:
        e["evidence"] = json.loads(e["evidence"])
        e["referrers"] = json.loads(e["referrers"])
    lst["entries"] = entries
    return lst


def all_lists(tables: Tables) -> list[dict[str, Any]]:
    lists = tables.query("SELECT * FROM rectify_lists ORDER BY year, seq, number")
    counts = {r["number"]: r for r in tables.query(
        "SELECT number, COUNT(*) AS total, SUM(CASE WHEN status='fixed' THEN 1 ELSE 0 END) AS fixed"
        " FROM rectify_entries GROUP BY number")}
    for lst in lists:
        c = counts.get(lst["number"], {})
        lst["total"] = int(c.get("total") or 0)
        lst["fixed"] = int(c.get("fixed") or 0)
    return lists


def issue_json(lst: dict[str, Any]) -> dict[str, Any]:
    """The line ``rectify issue`` prints for one list (``cli.md``)."""
    return {"number": lst["number"], "organizer": lst["organizer"], "issued": lst["issued"],
            "deadline": lst["deadline"], "entries": [e["fingerprint"] for e in lst["entries"]]}
