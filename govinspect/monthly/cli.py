"""``govinspect report --month YYYY-MM [--organizer NAME] --out DIR`` (``shared/spec/cli.md``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_cli_arguments(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("report", help="the monthly monitoring report (监测报告): HTML per unit and cluster + JSON")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--organizer", help="only this unit's report")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--date", help="today YYYY-MM-DD, for overdue lists (default today)")
    common(p)
    p.set_defaults(rectify_cmd=cmd_report)


def cmd_report(args: argparse.Namespace, settings: Any) -> int:
    from govinspect.monthly.build import build_reports
    from govinspect.rectify.cli import _date, _index, _store

    store = _store(settings)
    try:
        report = build_reports(store, args.month, Path(args.out), args.organizer,
                               settings.getint("REPORT_TREND_MONTHS"), _date(args.date),
                               settings.get("RECTIFY_ISSUER"))
        _index(settings, store, _date(args.date))  # the report refreshed the lists: so does the index
    finally:
        store.close()
    if args.organizer and not report["units"]:
        print(f"govinspect report: no findings, sites or lists of {args.organizer!r}", file=sys.stderr)
        return 2
    for name in report["files"].values():
        print(Path(args.out) / name)
    print(Path(args.out) / "report.json")
    return 0
