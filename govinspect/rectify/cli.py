"""``govinspect rectify issue|check|list`` (``shared/spec/cli.md``); ``govinspect/cli.py`` only wires them."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from govinspect.rules import SEVERITIES


def _date(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--date takes YYYY-MM-DD, not {value!r}") from None


def add_cli_arguments(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    rect = sub.add_parser("rectify", help="rectification lists (整改清单): issue, check, list")
    rsub = rect.add_subparsers(dest="rectify_verb", required=True, metavar="ACTION")

    p = rsub.add_parser("issue", help="issue one numbered list per responsible unit; xlsx + HTML into --out")
    p.add_argument("--organizer", help="only this unit (主办单位)")
    p.add_argument("--min-severity", choices=SEVERITIES, help="lowest severity listed (default RECTIFY_MIN_SEVERITY)")
    p.add_argument("--date", help="issue date YYYY-MM-DD (default today)")
    p.add_argument("--out", required=True, help="folder for the documents")
    p.add_argument("--by", help="who issues (default user@host)")
    p.add_argument("--registry", help="registry file: remembered so re-checks crawl with the site's scope/policy")
    p.add_argument("--holiday-file", help="holiday file for years chinese-calendar does not know")
    common(p)
    p.set_defaults(rectify_cmd=cmd_issue)

    p = rsub.add_parser("check", help="re-check one list's entries now; close it when all are fixed (销号)")
    p.add_argument("number", help="the list's registration number")
    p.add_argument("--date", help="today YYYY-MM-DD, for the overdue flag (default today)")
    p.add_argument("--registry", help="registry file (default: the rows remembered when the list was issued)")
    common(p)
    p.set_defaults(rectify_cmd=cmd_check)

    p = rsub.add_parser("list", help="lists with unit, dates, status, entries fixed/total, overdue")
    p.add_argument("--json", action="store_true", help="one JSON object per list")
    p.add_argument("--date", help="today YYYY-MM-DD, for the overdue flag (default today)")
    common(p)
    p.set_defaults(rectify_cmd=cmd_list)


def _store(settings: Any):
    from govinspect.store import FindingStore

    return FindingStore.from_settings(settings)


def file_stem(number: str) -> str:
    """A file name for a list number: its own characters, minus those file systems refuse."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", number).strip("_") or "list"


def write_documents(lst: dict[str, Any], out: Path, issuer: str, store: Any = None) -> list[Path]:
    """The list's xlsx and HTML; ``store``: where evidence screenshots not on this machine are read."""
    from govinspect.rectify.html import write_list_html
    from govinspect.rectify.thumbs import local_screenshots
    from govinspect.rectify.xlsx import write_list_xlsx

    if store is not None:
        lst = local_screenshots(lst, store, out / "evidence")
    stem = file_stem(lst["number"])
    return [write_list_xlsx(lst, out / f"{stem}.xlsx", issuer), write_list_html(lst, out / f"{stem}.html", issuer)]


def cmd_issue(args: argparse.Namespace, settings: Any) -> int:
    from govinspect.rectify.calendar import WorkCalendar
    from govinspect.rectify.lists import IssueOptions, issue_lists
    from govinspect.rectify.recheck import registry_from, remember_sites
    from govinspect.rectify.tables import Tables

    calendar = WorkCalendar(args.holiday_file or settings.get("RECTIFY_HOLIDAY_FILE") or None)
    opts = IssueOptions(
        as_of=_date(args.date), organizer=args.organizer,
        min_severity=args.min_severity or settings.get("RECTIFY_MIN_SEVERITY"),
        working_days=settings.getint("RECTIFY_WORKING_DAYS"), number_format=settings.get("RECTIFY_NUMBER_FORMAT"),
        issued_by=args.by or "", calendar=calendar,
    )
    registry = registry_from(args.registry)
    store = _store(settings)
    try:
        if registry is not None:
            remember_sites(Tables(store), registry)
        lists = issue_lists(store, opts)
        out = Path(args.out)
        for lst in lists:
            paths = write_documents(lst, out, settings.get("RECTIFY_ISSUER"), store)
            print(f"{lst['number']}: {len(lst['entries'])} entries → {', '.join(map(str, paths))}", file=sys.stderr)
            from govinspect.rectify.lists import issue_json

            print(json.dumps(issue_json(lst), ensure_ascii=False))
        for warning in calendar.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if not lists:
            print("no open findings to list (all listed already, or none at that severity)", file=sys.stderr)
        _index(settings, store, opts.as_of)
    finally:
        store.close()
    return 0


def cmd_check(args: argparse.Namespace, settings: Any) -> int:
    from govinspect.rectify.recheck import check_list, registry_from

    today = _date(args.date)
    settings_args = (args.settings_file, args.set, {"GOVINSPECT_STORE": settings.get("GOVINSPECT_STORE")})
    try:
        lst, code, warnings = check_list(settings, settings_args, args.number, today, registry_from(args.registry))
    except LookupError as exc:
        print(f"govinspect rectify check: {exc}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if code:
        print(f"govinspect rectify check: the re-check crawl ended with code {code}", file=sys.stderr)
    print(json.dumps(check_json(lst, today), ensure_ascii=False))
    store = _store(settings)
    try:
        _index(settings, store, today)
    finally:
        store.close()
    return 1 if code else 0


def check_json(lst: dict[str, Any], today: date) -> dict[str, Any]:
    from govinspect.rectify.lists import is_overdue
    from govinspect.rectify.recheck import FULL_RUN_NOTE

    # an open entry a targeted re-check cannot judge says so: "awaiting_full_run": true
    return {"number": lst["number"], "status": lst["status"], "overdue": is_overdue(lst, today),
            "entries": [{"fingerprint": e["fingerprint"], "status": "fixed" if e["status"] == "fixed" else "open",
                         **({"awaiting_full_run": True} if e["status"] != "fixed"
                            and e.get("check_note") == FULL_RUN_NOTE else {})}
                        for e in lst["entries"]]}


def cmd_list(args: argparse.Namespace, settings: Any) -> int:
    from govinspect.rectify.lists import all_lists, is_overdue, refresh
    from govinspect.rectify.tables import Tables

    today = _date(args.date)
    store = _store(settings)
    try:
        refresh(store)
        lists = all_lists(Tables(store))
        _index(settings, store, today)
    finally:
        store.close()
    rows = [{"number": lst["number"], "organizer": lst["organizer"], "issued": lst["issued"],
             "deadline": lst["deadline"], "status": lst["status"], "fixed": lst["fixed"], "total": lst["total"],
             "overdue": is_overdue(lst, today)} for lst in lists]
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    from govinspect.report import _pad, _width

    header = ["number", "unit", "issued", "deadline", "status", "fixed/total", "overdue"]
    table = [[r["number"], r["organizer"], r["issued"], r["deadline"], r["status"], f"{r['fixed']}/{r['total']}",
              "OVERDUE" if r["overdue"] else ""] for r in rows]
    widths = [max(_width(r[i]) for r in [header, *table]) for i in range(len(header))]
    for r in [header, *table]:
        print("  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip())
    if not rows:
        print("no rectification lists yet", file=sys.stderr)
    return 0


def _index(settings: Any, store: Any, today: date) -> None:
    """Mirror lists and entries into the search engine when one is configured (best effort)."""
    from govinspect.rectify.search import index_lists

    index_lists(settings, store, today)
