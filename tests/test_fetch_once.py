"""Each page of a run is fetched once, counted at the loopback server (issue 8 item 3).

Causes of the double fetches found: a redirect to a page of the site that a link also names
(``/r`` → ``/a.html``; the homepage's ``/`` → ``/index.html``) fetched it twice; ``render=auto``
downloaded the homepage (and script-built pages) again in the browser; and the browser loaded the
documents of iframes (``/include/tq.html``) that the crawl fetches as pages of their own. ``render=always``
now fetches statically first too, so it fetches each page once as well.
"""

from __future__ import annotations

import sqlite3
from collections import Counter

import pytest
from scrapy import Request
from scrapy.exceptions import StopDownload
from twisted.web.iweb import UNKNOWN_LENGTH

from crawler.spiders.cluster import READ_WHOLE_BELOW, ClusterSpider
from tests.rendering.conftest import RENDER_TEST, needs_chromium
from tests.support.cli import FAST, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

HOME = html('<a href="/a.html">A</a><a href="/index.html">首页</a><a href="/r">跳转</a>'
            '<iframe src="/include/tq.html" width="200" height="40"></iframe>')
SCRIPTED = html('<ul id="newsList"></ul><script>document.getElementById("newsList").innerHTML = '
                "'<li><a href=\"/js-only.html\">脚本</a></li>'</script>")


def _routes() -> dict[str, Route]:
    return {
        "/": Route(b"", 302, location="/index.html"),  # homepage redirects, and its page links itself
        "/index.html": Route(HOME),
        "/a.html": Route(html('<a href="/index.html">首页</a><a href="/list.html">列表</a>'
                              '<iframe src="/include/tq.html"></iframe>')),
        "/r": Route(b"", 302, location="/a.html"),
        "/include/tq.html": Route(html("晴 12℃")),
        "/list.html": Route(SCRIPTED),
        "/js-only.html": Route(html("脚本链接的目标")),
    }


def _crawl(tmp_path, render: str, *extra: str) -> tuple[Counter, sqlite3.Connection]:
    with RouteServer(_routes()) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试办", "url": srv.url + "/", "render": render}])
        result = govinspect("crawl", "--registry", str(registry), "--store", str(tmp_path / "s.sqlite3"),
                            *FAST, *extra)
        hits = Counter(srv.hits)
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(tmp_path / "s.sqlite3")
    return hits, db


def test_static_crawl_fetches_each_page_once(tmp_path):
    hits, db = _crawl(tmp_path, "never")
    for path in ("/", "/index.html", "/a.html", "/r", "/include/tq.html", "/list.html"):
        assert hits[("GET", path)] == 1, (path, hits)
    assert not any(method == "HEAD" for method, _ in hits)  # pages are judged by their own fetch
    checks = dict(db.execute("SELECT target_url, ok FROM link_checks"))
    assert all(checks[url] == 1 for url in checks if url.endswith(("/r", "/a.html", "/index.html")))
    site = db.execute("SELECT completed, reason FROM run_sites").fetchone()
    assert site == (1, "completed")


@needs_chromium
@pytest.mark.parametrize("render", ["auto", "always"])
def test_rendered_crawl_fetches_each_page_once(tmp_path, render):
    hits, db = _crawl(tmp_path, render, *RENDER_TEST)
    for path in ("/", "/index.html", "/list.html"):
        assert hits[("GET", path)] == 1, (path, hits)
    assert hits[("GET", "/include/tq.html")] == 1, hits
    assert hits[("GET", "/a.html")] == 1, hits
    # the script-built list was rendered (its script's link was found) from the body fetched once
    assert hits[("GET", "/js-only.html")] == 1
    completed, pages = db.execute("SELECT completed, pages FROM run_sites").fetchone()
    assert completed == 1 and pages == 5  # each inspected once: the homepage, a, tq, list, js-only


def test_a_link_check_stops_only_a_body_still_coming():
    """Scrapy stops a download by closing its connection. An answer that came whole with its headers
    (HEAD, an empty or small body: a 403 page) is complete, its connection back in the pool and maybe
    carrying the next request already: closing it made Twisted send that request again on a new
    connection (seen at the server as a page fetched twice by a fleet, and a host over its limit)."""
    check = {"headers_only": True}
    for method, length in (("HEAD", 0), ("GET", 0), ("GET", 2000), ("GET", READ_WHOLE_BELOW)):
        ClusterSpider._headers_received({}, length, Request("http://a.test/x", method=method, meta=dict(check)), None)
    for length in (READ_WHOLE_BELOW + 1, UNKNOWN_LENGTH):  # a large body still coming: stopped
        with pytest.raises(StopDownload):
            ClusterSpider._headers_received({}, length, Request("http://a.test/x", meta=dict(check)), None)
    ClusterSpider._headers_received({}, 10**7, Request("http://a.test/x"), None)  # decoy: a page is read whole
