"""Links to the visitor's own disk (``file:`` URLs, pasted Windows paths) are broken links (issue 12).

An editor who links ``file:///C:/Users/…/通知.doc`` points every visitor at a file on *their own*
machine: the link opens nothing. It is reported as ``link.broken`` (error ``unsupported-scheme``)
without any request; ``mailto:``, ``tel:``, ``javascript:`` and ``#`` links are not links at all.
"""

from __future__ import annotations

import json
import sqlite3

from lxml import html as lhtml

from crawler.links import LOCAL_FILE, extract_links
from tests.support.cli import FAST, LINKS_ONLY, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

LOCAL = [
    "file:///C:/Users/张三/Desktop/关于开展检查的通知.doc",
    "file://server/share/附件1.xls",
    "FILE:///D:/资料/报表.pdf",
    "C:\\Documents and Settings\\Administrator\\桌面\\名单.xls",
]
DECOYS = ["mailto:zwgk@example-city.gov.cn", "tel:0558-1234567", "javascript:void(0)", "#top",
          "ftp://ftp.example-city.gov.cn/pub/"]


def _page() -> str:
    return "".join(f'<a href="{h}">链接{i}</a>' for i, h in enumerate(LOCAL + DECOYS)) + '<a href="/ok.html">正常</a>'


def test_local_file_links_are_a_kind_of_their_own_and_decoys_are_not_links():
    links = extract_links(lhtml.fromstring(f"<div>{_page()}</div>"), "http://www.example-city.gov.cn/a/b.html")
    assert [link.kind for link in links] == [LOCAL_FILE] * 4 + ["page"]
    assert [link.url for link in links[:4]] == LOCAL  # as written
    assert links[-1].url == "http://www.example-city.gov.cn/ok.html"


def test_local_file_links_are_broken_without_a_request(tmp_path):
    with RouteServer({"/": Route(html(_page())), "/ok.html": Route(html("正常页面"))}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/"}])
        store = tmp_path / "s.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), "--as-of", "2026-11-20",
                            *FAST, *LINKS_ONLY, "-s", "RENDER_ENABLED=false")
        hits = list(srv.hits)
    assert result.returncode == 0, result.stderr[-2000:]
    db = sqlite3.connect(store)
    rows = db.execute("SELECT target_url, severity, evidence FROM findings WHERE rule='link.broken'").fetchall()
    broken = {target: (severity, json.loads(evidence)) for target, severity, evidence in rows}
    assert len(broken) == 4, sorted(broken)
    assert all(ev["error"] == "unsupported-scheme" and ev["status"] is None for _, ev in broken.values())
    assert all(severity == "critical" for severity, _ in broken.values())  # linked from the homepage
    assert "file:///C:/Users/%E5%BC%A0%E4%B8%89/Desktop/%E5%85%B3%E4%BA%8E%E5%BC%80%E5%B1%95%E6%A3%80%E6%9F%A5" \
           "%E7%9A%84%E9%80%9A%E7%9F%A5.doc" in broken
    assert "file://server/share/%E9%99%84%E4%BB%B61.xls" in broken
    assert LOCAL[3] in broken  # a pasted Windows path is kept as written
    # nothing was requested for them (nor for the decoys): the server saw the two pages only
    assert sorted(path for _, path in hits) == ["/", "/ok.html"], hits
