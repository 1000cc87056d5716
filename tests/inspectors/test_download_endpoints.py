"""Attachments behind CMS download endpoints are scanned: the type from the query, the headers or the bytes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.inspectors import files
from tests.support.server import Route, RouteServer, html

OCTET = {"Content-Type": "application/octet-stream"}


def _gbk_disposition(name: str) -> str:
    # raw GBK bytes in the header, as many Chinese servers send them (http.server writes latin-1)
    return "attachment; filename=" + name.encode("gbk").decode("latin-1")


def routes(other: str) -> dict[str, Route]:
    return {
        "/": Route(html(
            '<a href="/module/download/downfile.jsp?classid=0&amp;filename=202611150013.xls">低保名单</a>'
            '<a href="/attachment.do?id=123">附件1</a>'
            '<a href="/DFS//file/2026/11/03/20261103093512.dat">附件2</a>'
            f'<a href="{other}/getFile?fileId=9">附件3</a>'
            # decoys: an endpoint that answers with a page, one that answers with an image
            '<a href="/download.do?id=7">下载中心</a><a href="/attachment.do?id=8">图片</a>')),
        "/module/download/downfile.jsp?classid=0&filename=202611150013.xls": Route(files.xls(), headers=OCTET),
        "/attachment.do?id=123": Route(files.xlsx(), headers={**OCTET, "Content-Disposition":
                                                               _gbk_disposition("低保名单.xlsx")}),
        "/DFS//file/2026/11/03/20261103093512.dat": Route(
            files.csv_gbk(), headers={"Content-Type": "text/csv; charset=gbk"}),
        "/download.do?id=7": Route(html("<p>下载中心</p>")),
        "/attachment.do?id=8": Route(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, headers={"Content-Type": "image/png"}),
    }


def other_routes() -> dict[str, Route]:
    # another registered site's file server answers HEAD with the RFC 5987 name, not the type
    return {
        "/": Route(html("<p>部门网站</p>")),
        "/getFile?fileId=9": Route(files.xlsx(), headers={
            **OCTET, "Content-Disposition": "attachment; filename*=UTF-8''%E5%90%8D%E5%8D%95.xlsx"}),
    }


@pytest.mark.timeout(180)
def test_download_endpoints_are_scanned(tmp_path: Path):
    with RouteServer(other_routes()) as other, RouteServer() as server:
        server.routes = routes(other.url)
        registry = tmp_path / "registry.csv"
        registry.write_text("id,name,organizer,level,url\n"
                            f"3416000009,测试局,测试局,department,{server.url}/\n"
                            f"3416000010,测试办,测试办,department,{other.url}/\n", encoding="utf-8")
        store = tmp_path / "store.sqlite3"
        base = [sys.executable, "-m", "govinspect.cli"]
        cwd = Path(__file__).parents[2]
        proc = subprocess.run(
            base + ["crawl", "--registry", str(registry), "--store", str(store), "--as-of", "2026-11-01",
                    "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "RENDER_ENABLED=false"],
            capture_output=True, text=True, timeout=150, cwd=cwd)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = tmp_path / "f.jsonl"
        subprocess.run(base + ["export", "--format", "jsonl", "--out", str(out), "--store", str(store)],
                       check=True, capture_output=True, timeout=60, cwd=cwd)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    leaks = {r["target_url"].split("/", 3)[-1] for r in records
             if r["rule"] == "leak.id-number" and r.get("target_url")}
    assert "module/download/downfile.jsp?classid=0&filename=202611150013.xls" in leaks  # filename= argument
    assert "attachment.do?id=123" in leaks  # octet-stream + GBK Content-Disposition + zip bytes
    assert "DFS//file/2026/11/03/20261103093512.dat" in leaks or "DFS/file/2026/11/03/20261103093512.dat" in leaks
    assert "getFile?fileId=9" in leaks  # found by the link check's headers (RFC 5987 name)
    assert not {"download.do?id=7", "attachment.do?id=8"} & leaks
    named = [r for r in records if (r.get("target_url") or "").endswith("attachment.do?id=123")]
    assert "低保名单" in named[0]["message"] or "附件1" in named[0]["message"]
