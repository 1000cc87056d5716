"""End to end: a real crawl of a loopback site with every link kind and every failure kind.

One crawl (module fixture) feeds all assertions: which targets were judged broken, which were not,
and how findings were aggregated per target.
"""

from __future__ import annotations

import json
import socket
import sqlite3

import pytest

from tests.support.cli import FAST, govinspect, write_registry
from tests.support.server import Route, RouteServer, html


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("links")
    dead = f"http://127.0.0.1:{_closed_port()}"
    with RouteServer() as other:
        other.routes.update({
            "/fine.html": Route(html("外部页面")),
            "/gone.html": Route(html("gone"), 410),
            # a WAF's 403 (网站卫士 header): blocked, whatever else the host serves
            "/forbidden": Route(b"denied", 403, headers={"Content-Type": "text/plain", "Server": "wzws"}),
            "/busy": Route(b"slow down", 429, headers={"Retry-After": "1", "Content-Type": "text/plain"}),
        })
        with RouteServer() as site:
            o = other.url
            home = html(
                f'<a href="/page1.html">第一页</a>'
                f'<a href="/missing.html">不存在</a>'
                f'<map name="m"><area href="/area-missing.html" alt="区域"></map>'
                f'<iframe src="/iframe-missing.html"></iframe>'
                f'<img src="/img-missing.png" alt="图片">'
                f'<script src="/js-missing.js"></script>'
                f'<link rel="stylesheet" href="/css-missing.css">'
                f'<select onchange="window.open(this.value)"><option value="">站群</option>'
                f'<option value="{o}/option-missing.html">部门</option><option value="123">编号</option></select>'
                f'<button onclick="window.open(\'/onclick-missing.html\')">打开</button>'
                f'<span onclick="location.href=\'/href-missing.html\'">跳转</span>'
                f'<a href="javascript:void(0)">js</a><a href="mailto:x@example-city.gov.cn">信箱</a>'
                f'<a href="tel:0558-1234567">电话</a><a href="#top">顶部</a>'
                f'<a href="/err500">服务器错误</a>'
                f'<a href="{dead}/x.html">死链主机</a>'
                f'<a href="/slow">超时</a>'
                f'<a href="/loop-a">循环</a>'
                f'<a href="{o}/head405">HEAD不允许</a>'
                f'<a href="{o}/fine.html">外部正常</a>'
                f'<a href="{o}/gone.html">外部失效</a>'
                f'<a href="/waf">防火墙</a><a href="{o}/forbidden">禁止</a><a href="{o}/busy">限流</a>'
                f'<frameset><frame src="/frame-missing.html"></frameset>'
            )
            site.routes.update({
                "/": Route(home),
                "/page1.html": Route(html('<a href="/missing.html">又一个</a><a href="/">首页</a>')),
                "/err500": Route(b"boom", 500),
                # a JavaScript challenge page (WAF) answered with 200 to a crawled page
                "/waf": Route("<html><script>var __jsl_clearance=1;</script>安全验证</html>".encode()),
                "/slow": Route(html("slow"), delay=4),
                "/loop-a": Route(b"", 302, location="/loop-b"),
                "/loop-b": Route(b"", 302, location="/loop-a"),
            })
            other.routes["/head405"] = Route(html("GET works"), head_status=405)
            registry = write_registry(tmp / "sites.csv", [
                {"id": "3416000001", "name": "测试站", "organizer": "测试办", "url": site.url + "/"},
            ])
            store = tmp / "store.sqlite3"
            result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST,
                                "-s", "DOWNLOAD_TIMEOUT=1.5", "-s", "RETRY_TIMES=1")
            hits = list(other.hits)
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(store)
    db.row_factory = sqlite3.Row
    findings = {r["target_url"]: dict(r) for r in db.execute("SELECT * FROM findings WHERE rule='link.broken'")}
    checks = {r["target_url"]: dict(r) for r in db.execute("SELECT * FROM link_checks")}
    return {"site": site.url, "other": o, "dead": dead, "findings": findings, "checks": checks,
            "result": result, "hits": hits, "store": store}


def _broken(crawl, url: str) -> dict:
    assert url in crawl["findings"], f"{url} not reported; findings: {sorted(crawl['findings'])}"
    return crawl["findings"][url]


@pytest.mark.parametrize("path", [
    "/missing.html", "/area-missing.html", "/iframe-missing.html", "/img-missing.png", "/js-missing.js",
    "/css-missing.css", "/onclick-missing.html", "/href-missing.html", "/frame-missing.html",
])
def test_every_link_kind_is_checked(crawl, path):
    finding = _broken(crawl, crawl["site"] + path)
    assert finding["status"] == "open"
    assert json.loads(finding["evidence"])["status"] == 404


def test_option_value_of_site_group_dropdown(crawl):
    _broken(crawl, crawl["other"] + "/option-missing.html")
    assert not any(url.endswith("/123") for url in crawl["checks"]), "non-URL option values are not links"


def test_non_links_are_ignored(crawl):
    for url in crawl["checks"]:
        assert not url.startswith(("javascript:", "mailto:", "tel:")) and "#" not in url


def test_failure_kinds(crawl):
    assert json.loads(_broken(crawl, crawl["site"] + "/err500")["evidence"])["status"] == 500
    assert json.loads(_broken(crawl, crawl["dead"] + "/x.html")["evidence"])["error"] == "refused"
    assert json.loads(_broken(crawl, crawl["site"] + "/slow")["evidence"])["error"] == "timeout"
    assert json.loads(_broken(crawl, crawl["site"] + "/loop-a")["evidence"])["error"] == "redirect-loop"
    assert json.loads(_broken(crawl, crawl["other"] + "/gone.html")["evidence"])["status"] == 410


def test_head_405_then_get_200_is_not_broken(crawl):
    url = crawl["other"] + "/head405"
    assert url not in crawl["findings"]
    assert crawl["checks"][url]["ok"] == 1 and crawl["checks"][url]["method"] == "GET"
    assert ("HEAD", "/head405") in crawl["hits"] and ("GET", "/head405") in crawl["hits"]


def test_waf_answers_are_blocked_not_broken(crawl):
    for url in (crawl["site"] + "/waf", crawl["other"] + "/forbidden", crawl["other"] + "/busy"):
        assert url not in crawl["findings"], url
        assert crawl["checks"][url]["blocked"] == 1, url
    # 429 was retried after its Retry-After before being given up as blocked
    assert sum(1 for hit in crawl["hits"] if hit[1] == "/busy") >= 2
    db = sqlite3.connect(crawl["store"])
    assert db.execute("SELECT blocked FROM run_sites").fetchone()[0] >= 3
    assert "Blocked" in crawl["result"].stdout


def test_aggregated_per_target_with_referrers(crawl):
    finding = _broken(crawl, crawl["site"] + "/missing.html")
    assert finding["occurrences"] == 2
    assert sorted(json.loads(finding["referrers"])) == [crawl["site"] + "/", crawl["site"] + "/page1.html"]
    # on the homepage, so critical (rules.md)
    assert finding["severity"] == "critical"


def test_each_target_checked_once(crawl):
    gets = [hit for hit in crawl["hits"] if hit == ("HEAD", "/fine.html")]
    assert len(gets) == 1


def test_summary_printed(crawl):
    out = crawl["result"].stdout
    assert "3416000001" in out and "link.broken=" in out


def test_fingerprints_stable_and_keyed_by_target(crawl):
    from govinspect.findings import fingerprint
    from govinspect.urls import normalize_url

    url = crawl["site"] + "/missing.html"
    assert crawl["findings"][url]["fingerprint"] == fingerprint("3416000001", "link.broken", normalize_url(url))
