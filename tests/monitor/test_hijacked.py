"""link.hijacked-external: landing pages of external links classified; healthy sites left alone."""

from __future__ import annotations

import pytest

from govinspect.vocabulary import Fetched
from inspectors.hijacked import PURPOSE, HijackedExternalInspector
from tests.inspectors.helpers import CITY, make_inspector, make_page, run_context

LINKS = ("<ul><li><a href='http://www.old-partner.com/'>合作单位</a></li>"
         "<li><a href='http://www.news-example.cn/'>新闻网</a></li>"
         "<li><a href='http://www.gov.cn/'>中国政府网</a></li>"
         "<li><a href='http://jyj.example-city.com/'>教育局</a></li>"  # a registered site (non-gov domain)
         "<li><a href='/xxgk/'>信息公开</a></li></ul><script src='http://cdn.example.com/x.js'></script>")

PARKED = "<html><head><title>old-partner.com</title></head><body><h1>该域名出售</h1><p>联系QQ</p></body></html>"
CASINO = "<html><head><title>澳门娱乐城-真人百家乐</title></head><body><p>注册即送</p></body></html>"
HEALTHY = ("<html><head><title>示例新闻网 - 权威新闻</title></head><body><h1>体育彩票公益金助力全民健身</h1>"
           "<p>本市利用体育彩票公益金新建健身步道20公里。</p></body></html>")


@pytest.fixture
def inspector():
    return make_inspector(HijackedExternalInspector)


def _fetched(url, html, status=200):
    return Fetched(url=url, final_url=url, site=CITY, purpose=PURPOSE, referer=CITY.url, status=status,
                   headers={}, text=html, run=run_context())


def test_only_external_non_government_pages_are_fetched(inspector):
    page = make_page(LINKS, url=CITY.url)
    wishes = [w.url for w in inspector.wanted_fetches(page)]
    assert wishes == ["http://www.old-partner.com/", "http://www.news-example.cn/"]
    # another page linking them waits for the same landing pages: it asks too (the crawl fetches each
    # once per run: its claim "F <url>"), so its site does not end before the verdicts are in
    again = [w.url for w in inspector.wanted_fetches(make_page(LINKS, url="http://www.example-city.gov.cn/b.html"))]
    assert again == wishes


def test_landing_pages_per_site_are_limited():
    inspector = make_inspector(HijackedExternalInspector, HIJACK_MAX_PER_SITE=1)
    assert [w.url for w in inspector.wanted_fetches(make_page(LINKS, url=CITY.url))] == ["http://www.old-partner.com/"]
    assert [w.url for w in inspector.wanted_fetches(make_page(LINKS, url=CITY.url + "b.html"))] == [
        "http://www.old-partner.com/"]  # asked for before: no cost to the budget


@pytest.mark.parametrize(("html", "category"), [(PARKED, "parked"), (CASINO, "gambling")])
def test_hijacked_landing_page(inspector, html, category):
    page = make_page(LINKS, url=CITY.url)
    list(inspector.wanted_fetches(page))
    later = make_page(LINKS, url="http://www.example-city.gov.cn/b.html")
    list(inspector.wanted_fetches(later))  # a second referrer while the fetch is on its way
    found = list(inspector.inspect_fetched(_fetched("http://www.old-partner.com/", html)))
    assert {o.page_url for o in found} == {CITY.url, later.url}
    assert {(o.rule, o.target_url, o.evidence["category"]) for o in found} == {
        ("link.hijacked-external", "http://www.old-partner.com/", category)}
    # pages met after the verdict are reported at once
    third = make_page(LINKS, url="http://www.example-city.gov.cn/c.html")
    assert [o.page_url for o in inspector.inspect_page(third)] == [third.url]


@pytest.mark.parametrize("html", [HEALTHY, "<html><body>x</body></html>"])
def test_healthy_site_is_not(inspector, html):
    list(inspector.wanted_fetches(make_page(LINKS, url=CITY.url)))
    assert list(inspector.inspect_fetched(_fetched("http://www.news-example.cn/", html))) == []
    assert list(inspector.inspect_page(make_page(LINKS, url="http://www.example-city.gov.cn/c.html"))) == []


def test_failed_fetch_is_left_to_link_broken(inspector):
    list(inspector.wanted_fetches(make_page(LINKS, url=CITY.url)))
    assert list(inspector.inspect_fetched(_fetched("http://www.old-partner.com/", CASINO, status=404))) == []


def test_news_about_a_domain_transfer_is_not_parked(inspector):
    news = ("<html><head><title>示例日报</title></head><body><p>" + "本市数字经济发展迅速。" * 400
            + "某公司发布关于域名转让的公告。</p></body></html>")
    list(inspector.wanted_fetches(make_page(LINKS, url=CITY.url)))
    assert list(inspector.inspect_fetched(_fetched("http://www.news-example.cn/", news))) == []
