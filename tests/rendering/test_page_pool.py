"""The page pool: a rendered crawl reuses a few browser pages instead of one per render, and pages
render their own content (no state carried over from the page the tab showed before)."""

from __future__ import annotations

from crawler.rendering.pool import NON_LOOPBACK_IP_URL
from tests.rendering.conftest import crawl, needs_chromium, site
from tests.support.server import Route, RouteServer, html


def test_ip_literal_pattern_blocks_only_non_loopback():
    for url in ("http://10.1.2.3/", "https://203.0.113.7:8443/x", "http://[2001:db8::1]/", "http://u@192.168.1.1"):
        assert NON_LOOPBACK_IP_URL.search(url), url
    for url in ("http://127.0.0.1:8080/", "http://[::1]/", "http://www.example.gov.cn/", "data:,x",
                "http://localhost/", "http://[::ffff:127.0.0.1]/"):
        assert not NON_LOOPBACK_IP_URL.search(url), url


@needs_chromium
def test_renders_reuse_pages(tmp_path):
    pages = {f"/p{i}.html": Route(html(f"<h1>第{i}页</h1><a href='/p{i + 1}.html'>下一页</a>")) for i in range(12)}
    routes = {"/": Route(html("<a href='/p0.html'>开始</a>")), **pages}
    with RouteServer(routes) as srv:
        proc, _ = crawl(tmp_path, [site(srv.url + "/", render="always")], "-s", "LOG_LEVEL=INFO")
    opened = [line for line in proc.stderr.splitlines() if "govinspect/render_pages_opened" in line]
    assert opened, proc.stderr[-2000:]
    count = int(opened[-1].split(":")[-1].strip().rstrip(","))
    assert 1 <= count <= 4  # RENDER_MAX_PAGES pages at most for 13 renders
