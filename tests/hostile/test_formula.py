"""Item 8 of issue 11: registry and ``--name`` values that are spreadsheet formulas stay text."""

from __future__ import annotations

import csv
import zipfile

import openpyxl

from govinspect.cells import neutralise, restore
from govinspect.findings import FINDING_FIELDS
from tests.support.cli import FAST, LINKS_ONLY, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

NAME = '=HYPERLINK("http://evil.example/","x")'
ORGANIZER = "-2+3+cmd|' /C calc'!A0"
ADHOC = "@SUM(1+1)*cmd|' /C calc'!A0"


def test_neutralise_rule():
    for evil in (NAME, ORGANIZER, ADHOC, "+1", "\t=1", "\r=1"):
        assert neutralise(evil) == "'" + evil and restore(neutralise(evil)) == evil
    for fine in ("示例市人民政府", "http://a/-x", "'quoted", "1-2", ""):  # decoys: left alone
        assert neutralise(fine) == fine and restore(fine) == fine
    assert neutralise(5) == 5


def test_exports_never_hold_formulas(tmp_path):
    with RouteServer({"/": Route(html('<a href="/gone.html">坏</a>'))}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": NAME, "organizer": ORGANIZER, "url": srv.url + "/"}])
        store = str(tmp_path / "s.sqlite3")
        assert govinspect("crawl", "--registry", str(registry), "--store", store, *FAST, *LINKS_ONLY).returncode == 0
        assert govinspect("inspect", srv.url + "/", "--name", ADHOC, "--store", store, *FAST,
                          *LINKS_ONLY).returncode == 0
    for fmt in ("csv", "xlsx"):
        assert govinspect("export", "--format", fmt, "--out", str(tmp_path / f"f.{fmt}"), "--store", store).returncode == 0
    with (tmp_path / "f.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    names = {(r["site_name"], r["organizer"]) for r in rows}
    assert names == {("'" + NAME, "'" + ORGANIZER), ("'" + ADHOC, "'" + ADHOC)}
    for row in rows:  # no cell of any row starts a formula
        assert not any(str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values()), row
    # xlsx: the text round-trips unchanged, as string cells, and the file holds no formula at all
    sheet = openpyxl.load_workbook(tmp_path / "f.xlsx").active
    data = [dict(zip(FINDING_FIELDS, r, strict=True)) for r in sheet.iter_rows(min_row=2)]  # one header row
    assert {(d["site_name"].value, d["organizer"].value) for d in data} == {(NAME, ORGANIZER), (ADHOC, ADHOC)}
    assert all(d["site_name"].data_type == "s" for d in data)
    with zipfile.ZipFile(tmp_path / "f.xlsx") as zf:
        sheet_xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "HYPERLINK" in sheet_xml
