"""Safe defaults: no remote-control server, no Public Suffix List download, loopback only, scope by port."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tests.support.cli import FAST, LINKS_ONLY, clean_env, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

NETGUARD = Path(__file__).parent / "support" / "netguard"


def guarded_env(log: Path, **extra: str) -> dict[str, str]:
    env = clean_env(GOVINSPECT_NETGUARD_LOG=str(log), **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(NETGUARD), str(Path(__file__).parent.parent)])
    return env


def test_netguard_itself_catches_outbound_attempts(tmp_path):
    """The guard must really catch attempts, or the test below proves nothing."""
    import subprocess
    import sys

    log = tmp_path / "net.log"
    code = "import socket\ntry:\n    socket.create_connection(('93.184.216.34', 80), timeout=1)\nexcept OSError:\n    pass\n"
    subprocess.run([sys.executable, "-c", code], env=guarded_env(log), check=True)
    assert "93.184.216.34" in log.read_text()


def test_crawl_with_cookies_stays_on_loopback(tmp_path):
    """Cookies make Scrapy ask tldextract for public suffixes; nothing may be downloaded for that."""
    log = tmp_path / "net.log"
    cookie = {"Content-Type": "text/html; charset=utf-8",
              "Set-Cookie": "JSESSIONID=abc; Domain=example-city.gov.cn; Path=/"}
    with RouteServer({"/": Route(html('<a href="/a.html">a</a>'), headers=cookie),
                      "/a.html": Route(html("a"), headers=cookie)}) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/"}])
        result = govinspect("crawl", "--registry", str(registry), "--store", str(tmp_path / "s.sqlite3"), *FAST,
                            env=guarded_env(log))
    assert result.returncode == 0, result.stderr[-2000:]
    assert not log.exists() or log.read_text() == "", log.read_text()
    assert "Remote control HTTP server" not in result.stderr
    assert "RemoteControl" not in result.stderr.split("Enabled extensions", 1)[-1].split("]", 1)[0]


def test_each_registered_site_is_its_own_scope_even_on_one_host(tmp_path):
    """Two sites on 127.0.0.1 differ only by port: one site's crawl must not take the other's pages."""
    with RouteServer() as b, RouteServer() as a:
        a.routes.update({"/": Route(html(f'<a href="{b.url}/b1.html">B1</a><a href="/a1.html">A1</a>')),
                         "/a1.html": Route(html("a1"))})
        b.routes.update({"/": Route(html('<a href="/b2.html">B2</a>')), "/b1.html": Route(html("b1")),
                         "/b2.html": Route(html("b2"))})
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "甲", "organizer": "甲", "url": a.url + "/"},
            {"id": "3416000002", "name": "乙", "organizer": "乙", "url": b.url + "/", "level": "department",
             "parent": "3416000001"}])
        store = tmp_path / "s.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST)
        b_hits = list(b.hits)
    assert result.returncode == 0, result.stderr[-2000:]
    # site A only checked B's page (HEAD); it was never crawled as a page of A
    assert ("HEAD", "/b1.html") in b_hits and ("GET", "/b1.html") not in b_hits
    db = sqlite3.connect(store)
    pages = dict(db.execute("SELECT site_id, pages FROM run_sites"))
    assert pages == {"3416000001": 2, "3416000002": 2}


def test_inspect_one_unregistered_site(tmp_path):
    with RouteServer({"/": Route(html('<a href="/nope.html">坏链</a>'))}) as srv:
        result = govinspect("inspect", srv.url + "/", "--name", "临时检查", "--store", str(tmp_path / "s.sqlite3"),
                            *FAST)
    assert result.returncode == 0, result.stderr[-2000:]
    import json

    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    broken = [r for r in lines if r["rule"] == "link.broken"]
    assert [(r["site_name"], r["target_url"].rsplit("/", 1)[-1]) for r in broken] == [("临时检查", "nope.html")]
    # the bare test page carries no footer marks: the identity inspector says so too
    assert "identity.icp-missing" in {r["rule"] for r in lines}


def test_homepage_redirect_to_another_host_is_crawled_only_when_registered(tmp_path):
    """A registered http://a/ that redirects to http://b/ (new domain) is crawled on b when the registry
    lists b (``extra_hosts``); otherwise the redirect never widens the scope (SSRF, issue 11) and the
    site is not complete."""
    results = {}
    for listed in (True, False):
        with RouteServer() as new, RouteServer() as old:
            old.routes["/"] = Route(b"", 301, location=new.url + "/index.html")
            new.routes.update({"/index.html": Route(html('<a href="/news.html">要闻</a>')),
                               "/news.html": Route(html('<a href="/gone.html">失效</a>'))})
            registry = write_registry(tmp_path / f"r{listed}.csv", [
                {"id": "3416000001", "name": "测试", "organizer": "测试", "url": old.url + "/",
                 "extra_hosts": new.url.split("//", 1)[1] if listed else ""}])
            store = tmp_path / f"s{listed}.sqlite3"
            result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST, *LINKS_ONLY)
            results[listed] = (result, list(new.hits), sqlite3.connect(store))
    result, new_hits, db = results[True]
    assert result.returncode == 0, result.stderr[-2000:]
    assert ("GET", "/news.html") in new_hits
    assert [r[0].rsplit("/", 1)[-1] for r in db.execute("SELECT target_url FROM findings")] == ["gone.html"]
    result, new_hits, db = results[False]
    assert ("GET", "/news.html") not in new_hits
    assert db.execute("SELECT completed, reason FROM run_sites").fetchone()[0] == 0
    assert "off the registered hosts" in db.execute("SELECT reason FROM run_sites").fetchone()[0]
