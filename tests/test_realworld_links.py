"""Link checking edge cases from real sites and linkchecker's fixtures: GBK bytes in queries, 3xx
without Location, and which way each 403 goes (WAF → blocked, an ordinary refusal → broken)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from govinspect.urls import normalize_url
from tests.support.cli import FAST, LINKS_ONLY, govinspect, write_registry
from tests.support.server import Route, RouteServer, html


def test_normalisation_keeps_bytes_that_are_not_utf8():
    assert normalize_url("http://a.gov.cn/?quoted=%FF") == "http://a.gov.cn/?quoted=%FF"
    assert normalize_url("http://a.gov.cn/s?keyword=%d5%fe%b8%ae") == "http://a.gov.cn/s?keyword=%D5%FE%B8%AE"
    # decoys: UTF-8 escapes and raw characters still normalise to one spelling
    assert normalize_url("http://a.gov.cn/%e6%94%bf?q=政府") == normalize_url("http://a.gov.cn/政?q=%E6%94%BF%E5%BA%9C")
    assert normalize_url("http://a.gov.cn/a%41?b=2&a=1") == "http://a.gov.cn/aA?a=1&b=2"


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rw-links")
    with RouteServer() as lonely, RouteServer() as later, RouteServer() as site:
        lonely.routes["/only.html"] = Route(b"Forbidden", 403, headers={"Content-Type": "text/plain"})
        # the 403 arrives before the host's normal answer: provisional "blocked", then revised to broken
        later.routes["/denied.html"] = Route(b"Forbidden", 403, headers={"Content-Type": "text/plain"})
        later.routes["/ok.html"] = Route(html("正常"), delay=1.0)
        site.routes.update({
            "/": Route(html(
                '<a href="/search?keyword=%D5%FE%B8%AE">政府</a><a href="/q?quoted=%FF">quoted</a>'
                '<a href="/noloc">无Location</a><a href="/private.html">内部</a><a href="/waf403">防火墙</a>'
                '<a href="/blockpage">拦截页</a>'
                f'<a href="{lonely.url}/only.html">只有403的主机</a>'
                f'<a href="{later.url}/denied.html">先403</a><a href="{later.url}/ok.html">后正常</a>', charset="gbk")),
            # only the exact bytes the page links exist: a re-encoded request would get 404
            "/search?keyword=%D5%FE%B8%AE": Route(html("搜索结果")),
            "/q?quoted=%FF": Route(html("ok")),
            "/noloc": Route(html("请点击这里继续"), 302),
            "/private.html": Route(html("Forbidden"), 403),
            "/waf403": Route(html("Forbidden"), 403, headers={"Content-Type": "text/html", "Server": "wzws/1.1"}),
            "/blockpage": Route("<html><body>您的访问已被网站防火墙拦截</body></html>".encode("gbk"), 403,
                                headers={"Content-Type": "text/html; charset=gbk"}),
        })
        registry = write_registry(tmp / "sites.csv", [
            {"id": "3416000001", "name": "测试站", "organizer": "测试办", "url": site.url + "/"}])
        store = tmp / "store.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST, *LINKS_ONLY,
                            "-s", "RETRY_TIMES=0", "-s", "LOG_LEVEL=INFO")
        hits = list(site.hits)
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(store)
    db.row_factory = sqlite3.Row
    findings = {r["target_url"]: dict(r) for r in db.execute("SELECT * FROM findings WHERE rule='link.broken'")}
    checks = {r["target_url"]: dict(r) for r in db.execute("SELECT * FROM link_checks")}
    return {"site": site.url, "lonely": lonely.url, "later": later.url, "findings": findings, "checks": checks, "hits": hits,
            "log": result.stderr}


def test_gbk_and_raw_bytes_requested_as_linked(crawl):
    assert ("GET", "/search?keyword=%D5%FE%B8%AE") in crawl["hits"]
    assert ("GET", "/q?quoted=%FF") in crawl["hits"]
    for url in ("/search?keyword=%D5%FE%B8%AE", "/q?quoted=%FF"):
        assert crawl["site"] + url not in crawl["findings"]
        assert crawl["checks"][crawl["site"] + url]["ok"] == 1


def test_redirect_without_location_is_not_broken(crawl):
    url = crawl["site"] + "/noloc"
    assert url not in crawl["findings"]
    assert crawl["checks"][url]["status"] == 302 and crawl["checks"][url]["ok"] == 1


def test_each_403_goes_one_way_and_says_why(crawl):
    private = crawl["site"] + "/private.html"
    assert private in crawl["findings"], "a plain 403 on a host that serves other pages is a broken link"
    assert "no WAF signature" in json.loads(crawl["findings"][private]["evidence"])["error"]
    for path, why in (("/waf403", "WAF header Server"), ("/blockpage", "WAF block page")):
        url = crawl["site"] + path
        assert url not in crawl["findings"]
        assert crawl["checks"][url]["blocked"] == 1 and why in crawl["checks"][url]["error"]
    lonely = crawl["lonely"] + "/only.html"
    assert lonely not in crawl["findings"] and crawl["checks"][lonely]["blocked"] == 1
    assert "403 broken" in crawl["log"] and "403 blocked" in crawl["log"]


def test_a_403_before_the_hosts_normal_answer_is_revised_to_broken(crawl):
    denied = crawl["later"] + "/denied.html"
    assert f"{denied}: 403 blocked: host has answered nothing else" in crawl["log"]  # provisional first
    assert denied in crawl["findings"]
    assert crawl["checks"][denied]["blocked"] == 0 and "403 broken" in crawl["checks"][denied]["error"]
