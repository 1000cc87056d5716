"""The monthly report: figures, self-contained HTML with charts, report.json, masking."""

from __future__ import annotations

import json
import re
from datetime import date

from govinspect.monthly.figures import figures, previous_months
from tests.rectify.helpers import ID_NUMBER, PHONE
from tests.support.cli import govinspect


def _rec(fp, first, last, status="open", fixed_at=None, severity="high", rule="link.broken", unit="甲局"):
    return {"fingerprint": fp, "rule": rule, "severity": severity, "site_id": "s1", "site_name": "甲局网站",
            "organizer": unit, "page_url": "http://a/", "message": "m", "first_seen": first, "last_seen": last,
            "status": status, "fixed_at": fixed_at}


def test_figures_new_fixed_open_and_trend():
    recs = [
        _rec("a", "2026-06-03T10:00:00+08:00", "2026-08-01T10:00:00+08:00", "fixed", "2026-08-20T10:00:00+08:00"),
        _rec("b", "2026-08-05T10:00:00+08:00", "2026-08-30T10:00:00+08:00", severity="critical"),
        _rec("c", "2026-07-01T10:00:00+08:00", "2026-07-02T10:00:00+08:00", "fixed", "2026-07-20T10:00:00+08:00"),
    ]
    lists = [{"organizer": "甲局", "issued": "2026-08-03", "deadline": "2026-08-06", "status": "open",
              "closed_at": None},
             {"organizer": "甲局", "issued": "2026-08-10", "deadline": "2026-08-13", "status": "closed",
              "closed_at": "2026-08-12T09:00:00+08:00"}]
    f = figures(recs, lists, [{"site_id": "s1"}], None, "2026-08", 6, date(2026, 9, 5))
    assert (f["new"], f["fixed"], f["open_at_end"], f["critical_open_at_end"]) == (1, 1, 1, 1)
    assert f["findings"] == 2 and f["by_severity"] == {"critical": 1, "high": 1, "medium": 0, "low": 0}
    assert f["lists"] == {"issued": 2, "closed": 1, "overdue": 1, "open": 1}
    assert [t["month"] for t in f["trend"]] == previous_months(2026, 8, 6) == [
        "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08"]
    # June: a new and open; July: a and c open... c fixed in July; August: a fixed, b new
    assert [t["open_at_end"] for t in f["trend"]] == [0, 0, 0, 1, 1, 1]
    assert [t["fixed"] for t in f["trend"]] == [0, 0, 0, 0, 1, 1]


def test_report_files(issued, tmp_path):
    out = tmp_path / "report"
    month = date.today().strftime("%Y-%m")  # the crawl's findings carry today's times
    result = govinspect("report", "--month", month, "--out", str(out), "--store", str(issued.store))
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    cluster = data["cluster"]
    assert cluster["sites"] == 2 and cluster["findings"] == 4 and cluster["new"] == 4
    # the lists were back-dated to 2026-09-30 (deadline Oct 10) and are still open: overdue now
    assert cluster["lists"]["issued"] == 0 and cluster["lists"]["overdue"] == 2
    assert set(data["units"]) == {"甲局", "乙局"} and data["units"]["乙局"]["findings"] == 1
    assert cluster["availability"] is None  # no probes table in this store
    page = (out / data["files"]["cluster"]).read_text(encoding="utf-8")
    assert "本月共发现问题4个，其中严重问题3个" in page  # homepage broken links are critical
    assert page.count("<svg") == 3  # rules, severities, trend
    assert not re.search(r'(src|href)="(https?:|//|file:)', page)  # self-contained
    for name in data["files"].values():
        text = (out / name).read_text(encoding="utf-8")
        assert ID_NUMBER not in text and PHONE not in text
    unit = (out / data["files"]["甲局"]).read_text(encoding="utf-8")
    assert "甲局所属网站" in unit and ID_NUMBER[:6] + "********" in unit  # the leak is listed, masked
    assert ID_NUMBER not in (out / "report.json").read_text(encoding="utf-8")


def test_report_bad_month(issued, tmp_path):
    result = govinspect("report", "--month", "2026-13", "--out", str(tmp_path), "--store", str(issued.store))
    assert result.returncode == 2 and "YYYY-MM" in result.stderr


def test_availability_from_probes_when_present(issued, tmp_path):
    """With probes (``govinspect/monitoring.py``'s table), the report shows homepage availability."""
    import shutil
    import sqlite3
    from datetime import UTC, datetime

    store = tmp_path / "s.sqlite3"
    shutil.copy(issued.store, store)
    db = sqlite3.connect(store)
    db.execute("CREATE TABLE IF NOT EXISTS probes (site_id TEXT NOT NULL, url TEXT NOT NULL, probed_at TEXT NOT NULL,"
               " ok INTEGER NOT NULL, outcome TEXT NOT NULL, status INTEGER, latency_ms INTEGER,"
               " source TEXT NOT NULL, run_id TEXT)")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    rows = [("3400000001", "http://a/", now, 1, "ok", 200, 20, "probe", None)] * 9
    rows += [("3400000001", "http://a/", now, 0, "timeout", None, None, "probe", None)]
    rows += [("3400000002", "http://b/", now, 1, "ok", 200, 20, "probe", None)] * 10
    db.executemany("INSERT INTO probes (site_id, url, probed_at, ok, outcome, status, latency_ms, source, run_id)"
                   " VALUES (?,?,?,?,?,?,?,?,?)", rows)
    db.commit()
    db.close()
    out = tmp_path / "report"
    month = date.today().strftime("%Y-%m")
    assert govinspect("report", "--month", month, "--out", str(out), "--store", str(store)).returncode == 0
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["cluster"]["availability"]["rate"] == 0.95
    assert data["units"]["甲局"]["availability"]["sites"]["3400000001"]["rate"] == 0.9
    page = (out / data["files"]["cluster"]).read_text(encoding="utf-8")
    assert "首页可用率95.0%" in page and page.count("<svg") == 4 and "网站可用性" in page
