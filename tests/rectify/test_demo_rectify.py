"""The demo's rectification half on the crawled demo cluster: lists, a fixed page, its re-check, the report."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date

import pytest
from openpyxl import load_workbook

from govinspect.config import build_settings
from govinspect.demo.run import DEMO_SETTINGS
from govinspect.rectify.cli import file_stem
from govinspect.rectify.demo import rectify_demo


@pytest.mark.slow
def test_demo_issues_rechecks_and_reports(demo_crawl, tmp_path):
    # a copy of the session's crawl: the demo rewrites pages and the store
    cluster = tmp_path / "cluster"
    shutil.copytree(demo_crawl.cluster.root, cluster)
    store = tmp_path / "store.sqlite3"
    demo_crawl.db.execute(f"VACUUM INTO '{store}'")  # a consistent copy of the SQLite store
    extra = {**DEMO_SETTINGS, "GOVINSPECT_STORE": str(store), "LOG_LEVEL": "ERROR"}
    settings = build_settings(None, [], extra)
    today = date.today()  # the crawl's findings carry today's times; the report is this month's
    code = rectify_demo(tmp_path / "out", cluster, cluster / "registry.csv", settings, (None, [], extra), today)
    assert code == 0
    lists = sorted((tmp_path / "out" / "rectification").glob("*.xlsx"))
    assert len(lists) >= 5  # one per unit with high/critical findings
    s = sqlite3.connect(store)
    s.row_factory = sqlite3.Row
    # the unit whose broken links were removed: its list re-checked, those entries (and findings) fixed
    rechecked = [dict(r) for r in s.execute(
        "SELECT e.number, f.status FROM rectify_entries e JOIN findings f ON f.fingerprint = e.fingerprint"
        " WHERE e.fixed_by = 'recheck'")]
    assert rechecked and {r["status"] for r in rechecked} == {"fixed"}
    number = rechecked[0]["number"]
    status = s.execute("SELECT status FROM rectify_lists WHERE number=?", (number,)).fetchone()[0]
    open_left = s.execute("SELECT COUNT(*) FROM rectify_entries WHERE number=? AND status='open'", (number,)).fetchone()[0]
    # every entry of the chosen list was fixed on disk, and the targeted re-check judges each: it closes (销号)
    assert (status, open_left) == ("closed", 0)
    s.close()
    wb = load_workbook(tmp_path / "out" / "rectification" / f"{file_stem(number)}.xlsx")
    assert any(str(c.value).startswith("已整改（复核通过") for c in wb.active["M"])
    report = json.loads((tmp_path / "out" / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["cluster"]["sites"] == len(demo_crawl.cluster.sites) and report["cluster"]["fixed"] >= len(rechecked)
    assert report["cluster"]["lists"]["closed"] == 1
