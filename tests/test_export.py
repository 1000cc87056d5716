"""Exports read back: jsonl validated field by field against findings.md, csv, xlsx (openpyxl)."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime

import openpyxl
import pytest

from govinspect.findings import FINDING_FIELDS
from govinspect.rules import RULES, SEVERITIES
from tests.support.cli import FAST, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

REQUIRED = {"fingerprint": str, "rule": str, "severity": str, "site_id": str, "site_name": str,
            "organizer": str, "page_url": str, "message": str, "evidence": dict, "occurrences": int,
            "status": str, "first_seen": str, "last_seen": str, "run_id": str}
OPTIONAL = {"target_url": str, "referrers": list, "screenshot": str}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    """One crawl into a store of each backend; the exports must read the same from both."""
    tmp = tmp_path_factory.mktemp("export")
    if request.param == "postgresql":
        from tests.support.pg import create_database, drop_database, server_url

        path = create_database(server_url())
        request.addfinalizer(lambda: drop_database(path))
    else:
        path = tmp / "s.sqlite3"
    with RouteServer({"/": Route(html('<a href="/gone.html">失效</a>'))}) as ok, \
            RouteServer({"/": Route(b"down", 503)}) as down:
        registry = write_registry(tmp / "r.csv", [
            {"id": "3416000001", "name": "示例市人民政府", "organizer": "示例市政府办", "url": ok.url + "/"},
            {"id": "3416000002", "name": "示例县人民政府", "organizer": "示例县政府办", "level": "county",
             "url": down.url + "/"},
        ])
        result = govinspect("crawl", "--registry", str(registry), "--store", str(path), "--run-id", "run-1",
                            "-s", f"STORE_SPOOL_DIR={tmp / 'spool'}",
                            *FAST, "-s", "RETRY_TIMES=0")
    assert result.returncode == 0, result.stderr[-2000:]
    return tmp, path


def _export(store, fmt: str, *filters: str):
    tmp, path = store
    out = tmp / f"out-{fmt}-{len(filters)}.{fmt}"
    result = govinspect("export", "--format", fmt, "--out", str(out), "--store", str(path), *filters)
    assert result.returncode == 0, result.stderr
    return out


def _iso(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"{value} has no zone"
    return parsed


def test_jsonl_matches_findings_md(store):
    lines = _export(store, "jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert {"link.broken", "site.unreachable"} <= {r["rule"] for r in records}
    for r in records:
        for name, kind in REQUIRED.items():
            assert isinstance(r.get(name), kind), (name, r)
        for name, kind in OPTIONAL.items():
            if name in r:
                assert isinstance(r[name], kind), (name, r)
        assert set(r) <= set(REQUIRED) | set(OPTIONAL), set(r) - set(REQUIRED) - set(OPTIONAL)
        assert re.fullmatch(r"[0-9a-f]{32}", r["fingerprint"])
        assert r["rule"] in RULES and r["severity"] in SEVERITIES
        assert r["status"] in ("open", "fixed", "reopened")
        assert _iso(r["first_seen"]) <= _iso(r["last_seen"])
        assert r["run_id"] == "run-1" and r["occurrences"] >= 1
        assert len(r.get("referrers", [])) <= 20
        assert re.search(r"[\u4e00-\u9fff]", r["message"]), "message is a Chinese sentence"
        assert r["page_url"].startswith("http")
    unreachable = next(r for r in records if r["rule"] == "site.unreachable")
    assert unreachable["site_id"] == "3416000002" and unreachable["organizer"] == "示例县政府办"
    assert unreachable["evidence"]["status"] == 503 and "target_url" not in unreachable
    broken = next(r for r in records if r["rule"] == "link.broken")
    assert broken["target_url"].endswith("/gone.html") and broken["referrers"] == [broken["page_url"]]


def _jsonl_count(store) -> int:
    return len(_export(store, "jsonl").read_text(encoding="utf-8").splitlines())


def test_csv_reads_back(store):
    with _export(store, "csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == _jsonl_count(store) and list(rows[0]) == list(FINDING_FIELDS)
    row = next(r for r in rows if r["rule"] == "link.broken")
    assert json.loads(row["evidence"])["status"] == 404 and row["site_name"] == "示例市人民政府"


def test_xlsx_reads_back(store):
    book = openpyxl.load_workbook(_export(store, "xlsx"))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    # one header row, in Chinese; the 字段 sheet maps each column to its findings.md name
    assert rows[0][FINDING_FIELDS.index("message")] == "问题描述"
    assert [r[1] for r in book["字段"].iter_rows(min_row=2, values_only=True)] == list(FINDING_FIELDS)
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["I"].width == 50 and sheet.column_dimensions["C"].width < 13
    assert sheet.page_setup.orientation == "landscape"
    data = [dict(zip(FINDING_FIELDS, r, strict=True)) for r in rows[1:]]
    assert len(data) == _jsonl_count(store)
    assert {"link.broken", "site.unreachable"} <= {d["rule"] for d in data}
    assert all(isinstance(d["occurrences"], int) and d["occurrences"] >= 1 for d in data)
    broken = next(d for d in data if d["rule"] == "link.broken")
    assert json.loads(broken["evidence"])["status"] == 404 and broken["site_name"] == "示例市人民政府"


def test_filters(store):
    out = _export(store, "jsonl", "--organizer", "示例县政府办", "--status", "open")
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert {r["site_id"] for r in records} == {"3416000002"} and "site.unreachable" in {r["rule"] for r in records}
    out = _export(store, "jsonl", "--site", "3416000001", "--run", "run-1")
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert {r["site_id"] for r in records} == {"3416000001"} and "link.broken" in {r["rule"] for r in records}
    out = _export(store, "jsonl", "--status", "fixed")
    assert out.read_text(encoding="utf-8") == ""
