"""Per-host concurrency in a single-process crawl with no download delay, counted at the server.

Scrapy 2.19 on the asyncio reactor starts a host's whole queue at once when the delay is 0
(crawler/hostlimit.py explains why); govinspect's crawl must still hold ``CONCURRENT_REQUESTS_PER_DOMAIN``.
"""

from __future__ import annotations

import pytest

from tests.support.cli import FAST, LINKS_ONLY, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

PAGES = 16


def _crawl_peak(tmp_path, *settings: str) -> int:
    """Peak requests at once at a one-host site whose homepage links 16 slow pages."""
    with RouteServer() as site:
        site.routes["/"] = Route(html("".join(f'<a href="/p{i}.html">第{i}页</a>' for i in range(PAGES))))
        for i in range(PAGES):
            site.routes[f"/p{i}.html"] = Route(html(f"第{i}页"), delay=0.25)
        registry = write_registry(tmp_path / "sites.csv", [{"id": "3400000001", "name": "测试站", "organizer": "测试",
                                                              "url": site.url + "/"}])
        result = govinspect("crawl", "--registry", str(registry), "--store", str(tmp_path / "f.sqlite3"),
                            *FAST, *LINKS_ONLY, "-s", "DOWNLOAD_DELAY=0", "-s", "RENDER_ENABLED=false",
                            "-s", "CONCURRENT_REQUESTS=32", *settings)
        assert result.returncode == 0, result.stderr[-2000:]
        assert sum(1 for _, path in site.hits if path.startswith("/p")) >= PAGES  # every page was asked for
        return site.peak


@pytest.mark.parametrize("limit", [1, 2])
def test_a_host_never_gets_more_than_its_limit_without_a_delay(tmp_path, limit):
    assert _crawl_peak(tmp_path, "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={limit}") == limit


def test_decoy_a_limit_of_four_lets_more_than_two_through(tmp_path):
    assert _crawl_peak(tmp_path, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4") > 2


def test_the_limit_replaced_dict_still_holds(tmp_path):
    """A settings override that replaces DOWNLOADER_MIDDLEWARES does not drop the limit (the run API adds it)."""
    assert _crawl_peak(tmp_path, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "DOWNLOADER_MIDDLEWARES={}") == 2


def test_scrapy_alone_breaks_the_limit(tmp_path):
    """Why the middleware exists: switched off, Scrapy's slot lets the queue through at once. When this
    fails, Scrapy holds the limit itself again and crawler/hostlimit.py can go."""
    peak = _crawl_peak(tmp_path, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "HOST_LIMIT_ENABLED=false")
    assert peak > 2
