"""Markup from real government homepages: SSI headers that end the document early, ICP numbers
without 号, year-less list dates on frozen homepages, `inspect` on an article URL."""

from __future__ import annotations

from datetime import date

from scrapy.http import HtmlResponse

from crawler.links import extract_links
from crawler.markup import needs_repair, page_tree
from govinspect.registry import Site
from inspectors.base import Page, RunContext
from inspectors.freshness import FreshnessInspector, looks_like_homepage
from inspectors.identity import IdentityInspector

from .helpers import AS_OF, CITY, REGISTRY, build, page, rules

FOOTER = ('<div class="footer">主办单位：示例市人民政府办公室 网站标识码：3416000001 '
          '<a href="https://beian.miit.gov.cn/">皖ICP备12345678号</a> 皖公网安备 34160202100123号 '
          '<a href="//bszs.conac.cn/sitename?id=1"><img src="//dcs.conac.cn/image/red.png"></a></div>')
# as seen on www.gov.cn: the header include closes its own document
SSI = ('<html><head><title>示例市人民政府</title></head><body><div class="header"><h1>示例市人民政府</h1>'
       '<!--<a href="/old/">旧版</a> --> </html> <!--end header--> <div class="content"><p>正文</p></div>'
       + FOOTER + "</body></html>")


def crawled(html: str, url: str = CITY.url) -> Page:
    response = HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8")
    tree = page_tree(response)
    return Page(url=url, site=CITY, status=200, headers={}, text=html, tree=tree, links=extract_links(tree, url),
                is_homepage=True, run=RunContext("r", AS_OF, REGISTRY))


def test_footer_after_an_early_html_end_tag_is_seen():
    assert needs_repair(SSI)
    assert rules(build(IdentityInspector).inspect_page(crawled(SSI))) == []
    # the same page parsed as lxml alone would: the footer is lost (what the repair is for)
    assert "identity.icp-missing" in rules(build(IdentityInspector).inspect_page(page(SSI, homepage=True)))


def test_pages_ending_normally_are_not_reparsed():
    normal = "<html><body><p>正文</p>" + FOOTER + "</body></html>\n<!-- generated 0.01s -->\n"
    assert not needs_repair(normal)
    response = HtmlResponse(CITY.url, body=normal.encode(), encoding="utf-8")
    assert page_tree(response) is response.selector.root


def test_icp_number_without_closing_hao():
    html = "<html><body>" + FOOTER.replace("皖ICP备12345678号", "蒙ICP备 05006530") + "</body></html>"
    assert "identity.icp-missing" not in rules(build(IdentityInspector).inspect_page(page(html, homepage=True)))
    # decoys: the word without a number, a number too short to be one
    for text in ("ICP备案查询", "蒙ICP备 0500"):
        html = "<html><body>" + FOOTER.replace("皖ICP备12345678号", text) + "</body></html>"
        assert "identity.icp-missing" in rules(build(IdentityInspector).inspect_page(page(html, homepage=True)))


def _frozen_home(footer_date: str) -> str:
    items = "".join(f'<li><a href="/art/2019/10/{d}/art_1_{d}.html">信息标题{d}</a><span>10-{d}</span></li>'
                    for d in (11, 9, 8))
    return (f'<html><head><title>示例市人民政府</title></head><body><ul class="list">{items}</ul>'
            f'<li><a href="/xxgk/a/x.html">工作报告</a><span>{footer_date}</span></li></body></html>')


def test_year_less_dates_on_a_page_of_another_year():
    as_of = date(2026, 10, 20)
    obs = list(build(FreshnessInspector).inspect_page(page(_frozen_home("2019-10-01"), homepage=True, as_of=as_of)))
    assert [o.rule for o in obs] == ["freshness.homepage-stale"]
    assert obs[0].evidence["newest"] == "2019-10-11"
    # decoy: year-less items with nothing saying another year are this year's (fresh)
    items = "".join(f'<li><a href="/xxgk/a/{d}.html">信息标题{d}</a><span>10-{d}</span></li>' for d in (11, 9, 8))
    html = (f'<html><head><title>示例市人民政府</title></head><body><ul class="list">{items}</ul>'
            '<p>更新时间：2026-10-11</p></body></html>')
    assert list(build(FreshnessInspector).inspect_page(page(html, homepage=True, as_of=as_of))) == []


def test_inspect_on_an_article_url_does_not_judge_homepage_freshness():
    article = "http://www.example-city.gov.cn/art/2019/10/11/art_1_11.html"
    one_off = Site(id="inspect", name="一次性检查", organizer="", level="department", url=article, registered=False)
    stale = _frozen_home("2019-10-01")
    assert list(build(FreshnessInspector).inspect_page(page(stale, article, one_off, homepage=True))) == []
    # decoy: the same one-off inspection on a site root is judged
    root = Site(id="inspect", name="一次性检查", organizer="", level="department", url=CITY.url, registered=False)
    assert rules(build(FreshnessInspector).inspect_page(page(stale, CITY.url, root, homepage=True))) == [
        "freshness.homepage-stale"]
    assert looks_like_homepage("http://a.gov.cn/index.shtml") and looks_like_homepage("http://a.gov.cn/portal/")
    assert not looks_like_homepage("http://a.gov.cn/xxgk/t20261103_123.html")


def test_every_option_of_every_select_counts_for_unregistered_sites():
    from inspectors.unregistered import UnregisteredSiteInspector

    html = ('<html><body><select onchange="window.open(this.value)"><option>市直部门</option>'
            '<option value="http://jyj.example-city.gov.cn/">教育局</option></select>'
            '<select onchange="window.open(\'http://\' + this.value)"><option value="">县区网站</option>'
            '<option value="www.xiaoxian.example-city.gov.cn">某县</option><option value="12">编号</option>'
            '<option value="index.html">首页</option></select></body></html>')
    found = list(build(UnregisteredSiteInspector).inspect_page(page(html)))
    assert [o.target_url for o in found] == ["http://www.xiaoxian.example-city.gov.cn"]
