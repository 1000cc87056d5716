"""link.soft-404: error pages served with 200, by their title/heading or by the site's own error page."""

from __future__ import annotations

import pytest

from govinspect.vocabulary import Fetched
from inspectors.soft404 import PURPOSE, Soft404Inspector
from tests.inspectors.helpers import CITY, make_inspector, make_page, run_context

CHROME = "<div class='nav'><a href='/'>首页</a><a href='/xxgk/'>信息公开</a><a href='/hdjl/'>互动交流</a></div>"
ARTICLE_404 = ("<html><head><title>网站404错误页面设置规范解读 - 示例市人民政府</title></head><body>" + CHROME
               + "<h1>网站404错误页面设置规范解读</h1>"
               + "<p>" + "根据政府网站发展指引，网站应设置友好的404错误页面，引导用户返回首页或使用站内搜索。" * 30
               + "</p></body></html>")
ERROR_PAGE = ("<html><head><title>提示信息 - 示例市人民政府</title></head><body>" + CHROME
              + "<div class='tip'>对不起，您要找的信息可能已调整，请返回首页继续浏览。</div></body></html>")


@pytest.fixture
def inspector():
    return make_inspector(Soft404Inspector)


def _page(html, url="http://www.example-city.gov.cn/xxgk/t1.html"):
    return make_page(html, url=url, referer="http://www.example-city.gov.cn/xxgk/index.html", link_text="旧通知")


@pytest.mark.parametrize("title", ["404 页面不存在", "页面不存在 - 示例市人民政府", "404 Not Found"])
def test_error_title_is_a_soft_404(inspector, title):
    html = f"<html><head><title>{title}</title></head><body>{CHROME}<p>请返回首页。</p></body></html>"
    [obs] = inspector.inspect_page(_page(html))
    assert obs.rule == "link.soft-404" and obs.target_url.endswith("/xxgk/t1.html")
    assert obs.page_url.endswith("/xxgk/index.html") and obs.evidence["matched"] == "phrase"


def test_error_heading_is_a_soft_404(inspector):
    html = f"<html><head><title>示例市人民政府</title></head><body>{CHROME}<h1>您访问的页面不存在！</h1></body></html>"
    assert [o.rule for o in inspector.inspect_page(_page(html))] == ["link.soft-404"]


def test_article_about_404_errors_is_not(inspector):
    assert list(inspector.inspect_page(_page(ARTICLE_404))) == []


def _learn(inspector, status=200, text=ERROR_PAGE):
    fetched = Fetched(url="http://www.example-city.gov.cn/govinspect-abc/page-that-does-not-exist-abc.html",
                      final_url="http://www.example-city.gov.cn/govinspect-abc/page-that-does-not-exist-abc.html",
                      site=CITY, purpose=PURPOSE, referer=CITY.url, status=status, headers={}, text=text,
                      run=run_context())
    return list(inspector.inspect_fetched(fetched))


def test_homepage_asks_for_a_url_that_cannot_exist(inspector):
    [wish] = inspector.wanted_fetches(make_page("<p>home</p>", url=CITY.url))
    assert wish.purpose == PURPOSE and "does-not-exist" in wish.url and wish.url.startswith(CITY.url)
    assert list(inspector.wanted_fetches(_page("<p>x</p>"))) == []


def test_page_like_the_site_error_page(inspector):
    assert _learn(inspector) == []
    [obs] = inspector.inspect_page(_page(ERROR_PAGE))
    assert obs.evidence["matched"] == "site-error-page" and obs.evidence["similarity"] >= 0.9


def test_pages_met_before_the_error_page_are_judged_when_it_arrives(inspector):
    assert list(inspector.inspect_page(_page(ERROR_PAGE))) == []
    other = ("<html><head><title>通知公告 - 示例市人民政府</title></head><body>" + CHROME
             + "<ul><li><a href='/a.html'>关于开展安全检查的通知</a></li></ul></body></html>")
    assert list(inspector.inspect_page(_page(other, url="http://www.example-city.gov.cn/tzgg/"))) == []
    found = _learn(inspector, status=404)
    assert [o.target_url for o in found] == ["http://www.example-city.gov.cn/xxgk/t1.html"]
    assert found[0].evidence["error_page_status"] == 404


def test_a_different_short_page_is_not(inspector):
    _learn(inspector)
    other = ("<html><head><title>联系我们 - 示例市人民政府</title></head><body>" + CHROME
             + "<p>地址：示例市政务服务中心 电话：0558-1234567</p></body></html>")
    assert list(inspector.inspect_page(_page(other))) == []


def test_site_whose_every_url_answers_the_homepage_learns_nothing(inspector):
    """A script-built site answers every URL with its shell: that shell is no error page."""
    shell = "<html><head><title>示例市人民政府</title></head><body><div id='app'></div><p>加载中</p></body></html>"
    assert list(inspector.inspect_page(make_page(shell, url=CITY.url))) == []
    assert _learn(inspector, text=shell) == []
    assert list(inspector.inspect_page(_page(shell))) == []
