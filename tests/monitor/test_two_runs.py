"""Two crawls of one site: the second has an injected script from a new host (a finding), next to an
analytics script that was there last run (not a finding); soft-404 and hijacked links end to end."""

from __future__ import annotations

import json

from govinspect.store import FindingStore
from tests.support.cli import FAST, clean_env, govinspect, write_registry
from tests.support.server import Route, RouteServer

ONLY = ["-s", 'INSPECTORS={"inspectors.injected.InjectedContentInspector": 230, "inspectors.links.BrokenLinkInspector": 100, '
        '"inspectors.soft404.Soft404Inspector": 130, "inspectors.hijacked.HijackedExternalInspector": 140}']


def _html(body: str, title: str = "示例县人民政府") -> bytes:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


def test_second_run_with_an_injected_script(tmp_path, store_target):
    with RouteServer() as outside, RouteServer() as site:
        stats = f"{outside.url}/stats/tongji.js"
        evil = f"{outside.url.replace('127.0.0.1', 'localhost')}/js/jquery.min.js"  # another host on loopback
        outside.routes.update({
            "/stats/tongji.js": Route(b"/* stats */", headers={"Content-Type": "application/javascript"}),
            "/partner/": Route(_html("<h1>该域名出售</h1><p>联系我们购买此域名</p>", "domain for sale")),
            "/news/": Route(_html("<h1>新闻网</h1><p>体育彩票公益金助力全民健身。</p>" * 5, "新闻网")),
        })
        links = (f"<a href='/xxgk/old.html'>旧文件</a><a href='/xxgk/404.html'>404错误页面规范</a>"
                 f"<a href='{outside.url}/partner/'>合作单位</a><a href='{outside.url}/news/'>新闻网</a>")
        home = f"<h1>示例县</h1>{links}<script src='{stats}'></script>"
        site.routes.update({
            "/": Route(_html(home)),
            "/xxgk/old.html": Route(_html("<h1>404</h1><p>您访问的页面不存在</p>", "404 页面不存在")),
            "/xxgk/404.html": Route(_html("<h1>网站404错误页面设置规范</h1>" + "<p>" + "规范解读正文。" * 300 + "</p>"
                                          f"<a href='/xxgk/old.html'>旧文件</a><a href='{outside.url}/partner/'>合作</a>",
                                          "网站404错误页面设置规范解读")),
        })
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416990001", "name": "示例县人民政府", "organizer": "示例县", "url": site.url + "/"}])
        store = store_target  # a SQLite file or a PostgreSQL database
        env = clean_env(no_proxy="127.0.0.1,localhost")

        def crawl(run_id: str):
            result = govinspect("crawl", "--registry", str(registry), "--store", str(store), "--run-id", run_id,
                                *FAST, *ONLY, env=env)
            assert result.returncode == 0, result.stderr[-2000:]

        crawl("run-1")
        site.routes["/"] = Route(_html(home + f"<script src='{evil}'></script>"))
        crawl("run-2")
    db = FindingStore(store)
    rows = [(r["rule"], r["target_url"], r["page_url"], r["evidence"], r["run_id"])
            for r in db.query("SELECT rule, target_url, page_url, evidence, run_id FROM findings")]
    injected = [(r[1], json.loads(r[3])["kind"]) for r in rows if r[0] == "security.injected-content"]
    assert injected == [(evil, "new-host")]
    assert {r[1] for r in rows if r[0] == "link.soft-404"} == {site.url + "/xxgk/old.html"}
    assert {r[1] for r in rows if r[0] == "link.hijacked-external"} == {outside.url + "/partner/"}
    # every page linking the target is a referrer (the article too, not only the page the crawl came from)
    for rule in ("link.soft-404", "link.hijacked-external"):
        [f] = db.query("SELECT occurrences, referrers FROM findings WHERE rule=?", (rule,))
        assert f["occurrences"] == 2 and set(json.loads(f["referrers"])) == {site.url + "/", site.url + "/xxgk/404.html"}
    hosts = {r["run_id"]: r["n"] for r in db.query("SELECT run_id, COUNT(*) AS n FROM resource_hosts GROUP BY run_id")}
    assert hosts == {"run-1": 1, "run-2": 2}
    db.close()
