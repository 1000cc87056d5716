"""Link resolution is cached per site origin (crawler/links.py): the cache must never change a URL.

Absolute-path and absolute references share one cache entry across a site's pages; relative ones
depend on the page. Each value is resolved on several pages, in an order that warms the cache with
one base before asking with another, and compared with ``urljoin`` on the page's own URL.
"""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from parsel import Selector

from crawler.links import MALFORMED, extract_links

BASES = [
    "http://www.example-city.gov.cn/xxgk/tzgg/t1.html?page=2",
    "http://www.example-city.gov.cn/a/b/c/",
    "http://www.example-city.gov.cn",
    "https://www.example-city.gov.cn/x;p?q=1",
    "http://user:pw@www.example-city.gov.cn:8080/deep/er/index.html",
]
VALUES = [
    "/", "/a/../b.html", "/./x?y=1", "//", "//?x", "//#frag", "//files.example-city.gov.cn/1.pdf",
    "http://www.gov.cn/", "HTTPS://www.gov.cn/x", "?page=3", "#top", "index_1.html", "../up.html", "./",
    "..", "//[::1]/x", "/%E4%B8%AD.html", "/中文.html", "downfile.jsp?filename=1.xls", ".", ";p",
]


def _page(values: list[str]) -> Selector:
    return Selector(text="<html><body>" + "".join(f'<a href="{v}">x</a>' for v in values) + "</body></html>").root


@pytest.mark.parametrize("order", [BASES, list(reversed(BASES))])
def test_cached_resolution_matches_urljoin_on_every_page(order):
    tree = _page(VALUES)
    for base in order:
        got = {link.element.get("href"): link for link in extract_links(tree, base)}
        for value in VALUES:
            expected = urljoin(base, value).split("#", 1)[0]
            link = got.get(value)
            if link is None:  # not an http(s) link once resolved
                assert not expected.startswith(("http://", "https://")) or value.startswith("#")
                continue
            assert link.url == expected or link.kind == MALFORMED, (base, value, link.url, expected)


def test_relative_links_differ_by_page_absolute_paths_do_not():
    tree = _page(["list.html", "/list.html"])
    one = [link.url for link in extract_links(tree, "http://www.example-city.gov.cn/a/index.html")]
    two = [link.url for link in extract_links(tree, "http://www.example-city.gov.cn/b/index.html")]
    assert one == ["http://www.example-city.gov.cn/a/list.html", "http://www.example-city.gov.cn/list.html"]
    assert two == ["http://www.example-city.gov.cn/b/list.html", "http://www.example-city.gov.cn/list.html"]


def test_base_element_moves_relative_and_keeps_host_of_absolute_paths():
    tree = Selector(text='<html><head><base href="http://files.example-city.gov.cn/d/"></head><body>'
                         '<a href="x.pdf">x</a><a href="/y.html">y</a></body></html>').root
    urls = [link.url for link in extract_links(tree, "http://www.example-city.gov.cn/p.html")]
    assert urls == ["http://files.example-city.gov.cn/d/x.pdf", "http://files.example-city.gov.cn/y.html"]
