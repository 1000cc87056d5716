"""A real crawl over leaking pages and attachments: nothing unmasked in the store, exports or log."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.inspectors import files
from tests.inspectors.helpers import CARD_A, ID_A, ID_B, ID_C
from tests.support.server import Route, RouteServer, html

XLSX = {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
RAW = [ID_A, ID_B, ID_C, CARD_A, " ".join(CARD_A[i:i + 4] for i in range(0, len(CARD_A), 4))]


def routes() -> dict[str, Route]:
    roster = "".join(f"<tr><td>{n}</td><td>{i}</td><td>{p}</td><td>{CARD_A if n == '王芳' else ''}</td></tr>"
                     for n, i, p in zip(["王芳", "李强", "张伟"], [ID_A, ID_B, ID_C],
                                        ["13812345678", "13923456789", "15034567890"], strict=True))
    return {
        "/": Route(html('<a href="/tzgg/1.html">低保公示</a> <a href="/tzgg/2.html">名单下载</a>')),
        "/tzgg/1.html": Route(html(f"<h1>低保公示</h1><table>{roster}</table><p>内部资料 注意保存</p>")),
        "/tzgg/2.html": Route(html(f'<a href="/files/dibao.xlsx">名单.xlsx</a>'
                                   f'<a href="/files/broken.xlsx">{ID_B}.xlsx</a>')),
        "/files/dibao.xlsx": Route(files.xlsx(), headers=XLSX),
        # A broken file whose link text carries an ID number (DEBUG logs print it: they must mask it).
        "/files/broken.xlsx": Route(b"PK\x03\x04 broken", headers=XLSX),
    }


def scan_text(text: str, where: str) -> None:
    for raw in RAW:
        assert raw not in text, f"unmasked {raw[:6]}… in {where}"


@pytest.mark.timeout(180)
def test_crawl_store_exports_and_log_are_masked(tmp_path: Path):
    with RouteServer(routes()) as server:
        registry = tmp_path / "registry.csv"
        registry.write_text(f"id,name,organizer,level,url\n3416000009,测试局,测试局,department,{server.url}/\n",
                            encoding="utf-8")
        store = tmp_path / "store.sqlite3"
        base = [sys.executable, "-m", "govinspect.cli"]
        proc = subprocess.run(
            base + ["crawl", "--registry", str(registry), "--store", str(store), "--as-of", "2026-11-01",
                    "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "LOG_LEVEL=DEBUG"],
            capture_output=True, text=True, timeout=150, cwd=Path(__file__).parents[2],
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    scan_text(proc.stderr, "crawl log")
    scan_text(proc.stdout, "crawl output")
    assert "not readable" in proc.stderr  # the broken attachment was logged, not fatal

    # The store: every text value of every table.
    con = sqlite3.connect(store)
    rules = set()
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        for row in con.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - table names from sqlite_master
            scan_text(" ".join(str(v) for v in row), f"store table {table}")
    con.close()

    # Every export format.
    for fmt in ("jsonl", "csv", "xlsx"):
        out = tmp_path / f"findings.{fmt}"
        exp = subprocess.run(base + ["export", "--format", fmt, "--out", str(out), "--store", str(store)],
                             capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[2])
        assert exp.returncode == 0, exp.stderr
        scan_text(exp.stderr, f"export {fmt} log")
        if fmt == "xlsx":
            with zipfile.ZipFile(out) as zf:
                text = "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
        else:
            text = out.read_text(encoding="utf-8-sig")
        scan_text(text, f"export {fmt}")
        if fmt == "jsonl":
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
            rules = {(r["rule"], (r.get("target_url") or "").rsplit("/", 1)[-1]) for r in records}
            masked = [s["value"] for r in records if r["rule"] == "leak.id-number" for s in r["evidence"]["samples"]]
            assert ID_A[:6] + "********" + ID_A[-4:] in masked
            assert all(re.fullmatch(r"\d{6}\*{8}[\dX]{4}", v) for v in masked)

    # The crawl really found the leaks (so a silent inspector cannot pass this test).
    assert {("leak.id-number", ""), ("leak.phone", ""), ("leak.bank-card", ""), ("leak.classified-marking", ""),
            ("leak.id-number", "dibao.xlsx"), ("leak.phone", "dibao.xlsx"), ("leak.bank-card", "dibao.xlsx")} <= rules
