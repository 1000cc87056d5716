"""Bad input gets a clear log line or finding, never a crashed run, and never a false broken link."""

from __future__ import annotations

import sqlite3

from tests.support.cli import FAST, LINKS_ONLY, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _crawl(tmp_path, routes, *extra):
    with RouteServer(routes) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/"}])
        store = tmp_path / "s.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST, *LINKS_ONLY, *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(store)
    return result, db, srv.url


def test_too_large_targets_are_not_broken(tmp_path):
    routes = {
        "/": Route(html('<a href="/big.xlsx">附件</a><a href="/big.html">大页面</a><a href="/gone.html">坏</a>')),
        "/big.xlsx": Route(b"PK" + b"0" * 2_000_000, headers={"Content-Type": XLSX}),
        "/big.html": Route(b"<html>" + b"x" * 3_000_000 + b"</html>"),
    }
    # the leak inspector downloads the xlsx (bounded by ATTACHMENT_MAXSIZE)
    result, db, url = _crawl(tmp_path, routes, "-s", "ATTACHMENT_MAXSIZE=100000", "-s", "DOWNLOAD_MAXSIZE=1000000",
                             "-s", 'INSPECTORS={"inspectors.links.BrokenLinkInspector": 100, '
                                   '"inspectors.leaks.LeakInspector": 300}')
    broken = [r[0] for r in db.execute("SELECT target_url FROM findings WHERE rule='link.broken'")]
    assert broken == [url + "/gone.html"]
    checks = dict(db.execute("SELECT target_url, error FROM link_checks"))
    assert checks[url + "/big.html"] == "too-large" and checks[url + "/big.xlsx"] == "too-large"
    assert "not inspected, larger than the download limit" in result.stderr


def test_broken_markup_and_binary_pages_do_not_stop_the_run(tmp_path):
    routes = {
        "/": Route(html('<a href="/broken.html">破</a><a href="/binary.html">二进制</a><a href="/empty.html">空</a>')),
        # unclosed tags, stray bytes, a link inside a broken table: lxml recovers the link
        "/broken.html": Route(b"<html><body><table><tr><td><a href='/gone-1.html'>x<div></td>\xff\xfe<p><a href=/gone-2.html>y"),
        "/binary.html": Route(bytes(range(256)) * 40),
        "/empty.html": Route(b""),
    }
    result, db, url = _crawl(tmp_path, routes)
    broken = sorted(r[0].rsplit("/", 1)[-1] for r in db.execute("SELECT target_url FROM findings WHERE rule='link.broken'"))
    assert broken == ["gone-1.html", "gone-2.html"]
    assert db.execute("SELECT completed FROM run_sites").fetchone()[0] == 1
