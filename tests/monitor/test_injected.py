"""security.injected-content: keyword blocks and redirects on any run, new script hosts against the
previous complete run (the store's per-run hosts)."""

from __future__ import annotations

import pytest

from govinspect.monitoring import add_resource_use
from govinspect.store import FindingStore
from inspectors.injected import InjectedContentInspector
from tests.inspectors.helpers import CITY, make_inspector, make_page


@pytest.fixture(scope="module")
def inspector():
    return make_inspector(InjectedContentInspector)


def _rules(found):
    return [(o.rule, o.target_url, o.evidence.get("kind")) for o in found if hasattr(o, "rule")]


def test_hidden_keyword_block(inspector):
    page = make_page("<p>市政府召开常务会议。</p><div style='display:none'><a href='http://x.com/'>百家乐</a>"
                     "<a href='http://y.com/'>真人娱乐 开户送彩金</a></div>")
    [(rule, target, kind)] = _rules(inspector.inspect_page(page))
    assert (rule, target, kind) == ("security.injected-content", None, "keyword-block")


def test_spam_title(inspector):
    page = make_page("<html><head><title>皇冠体育-示例市人民政府</title></head><body><p>正文</p></body></html>")
    assert _rules(inspector.inspect_page(page)) == [("security.injected-content", None, "keyword-block")]


def test_news_about_a_crackdown_is_not(inspector):
    page = make_page("<p>市公安局破获一起利用六合彩进行网络赌博的案件，提醒市民远离赌博。</p>")
    assert _rules(inspector.inspect_page(page)) == []


@pytest.mark.parametrize("html", [
    "<html><head><meta http-equiv='refresh' content='0;url=http://www.xpj-example.com/'></head><body>x</body></html>",
    "<p>x</p><script>if(document.referrer.indexOf('baidu')>0){window.location.href='http://www.xpj-example.com/';}</script>",
])
def test_redirect_to_a_non_government_host(inspector, html):
    assert _rules(inspector.inspect_page(make_page(html))) == [
        ("security.injected-content", "http://www.xpj-example.com/",
         "meta-refresh" if "refresh" in html else "script-redirect")]


def test_redirect_to_government_or_own_site_is_not(inspector):
    page = make_page("<script>location.replace('http://www.gov.cn/');location.href='/new/index.html';</script>"
                     "<meta http-equiv='refresh' content='300'>")
    assert _rules(inspector.inspect_page(page)) == []


def test_outside_script_hosts_are_recorded(inspector):
    html = ("<script src='http://hm.baidu.com/hm.js'></script><script src='http://js.evil-example.top/a.js'></script>"
            "<script src='/js/common.js'></script><iframe src='http://www.gov.cn/'></iframe>")
    uses = [o for o in inspector.inspect_page(make_page(html, url=CITY.url)) if not hasattr(o, "rule")]
    assert [u.hosts for u in uses] == [{"js.evil-example.top": ("http://js.evil-example.top/a.js", "script")}]
    # a homepage records (even an empty set); other pages only when they have outside hosts
    assert len([o for o in inspector.inspect_page(make_page("<p>x</p>", url=CITY.url)) if not hasattr(o, "rule")]) == 1
    assert [o for o in inspector.inspect_page(make_page("<p>x</p>")) if not hasattr(o, "rule")] == []


def _run(store, run_id, started, hosts, completed=True):
    from govinspect.monitoring import ResourceUse

    store.start_run(run_id, "2026-11-01", {}, [CITY])
    store.execute("UPDATE runs SET started_at=? WHERE run_id=?", (started, run_id))
    add_resource_use(store, run_id, ResourceUse(CITY.id, CITY.url, hosts), homepage=True)
    store.finalize_site(run_id, CITY, completed)


def test_new_host_since_previous_complete_run(inspector, store_target):
    store = FindingStore(store_target)
    stats = {"stat.tongji-example.cn": ("http://stat.tongji-example.cn/s.js", "script")}
    _run(store, "r1", "2026-11-01T00:00:00+00:00", stats)
    assert list(inspector.site_finished(CITY, store.view("r1"))) == []  # first complete run: no baseline
    injected = {**stats, "js.evil-example.top": ("http://js.evil-example.top/a.js", "script")}
    _run(store, "r2", "2026-11-02T00:00:00+00:00", injected, completed=False)
    _run(store, "r3", "2026-11-03T00:00:00+00:00", injected)
    found = list(inspector.site_finished(CITY, store.view("r3")))
    # r2 did not complete the site: the baseline is r1, the analytics script there last run is not new
    assert [(o.target_url, o.evidence["previous_run"]) for o in found] == [("http://js.evil-example.top/a.js", "r1")]
    store.close()


@pytest.mark.parametrize(("target", "followed"), [
    ("http://www.xpj-example.com/", False), ("/new/index.html", True), ("http://www.gov.cn/", True)])
def test_meta_refresh_off_government_hosts_is_not_followed(target, followed):
    from scrapy import Request, Spider
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from crawler.metarefresh import OfficialMetaRefreshMiddleware

    mw = OfficialMetaRefreshMiddleware.from_crawler(get_crawler(Spider))
    url = "http://www.example-city.gov.cn/a.html"
    body = f"<html><head><meta http-equiv='refresh' content='0;url={target}'></head><body>x</body></html>".encode()
    out = mw.process_response(Request(url), HtmlResponse(url, body=body, encoding="utf-8"))
    assert isinstance(out, Request) is followed


@pytest.mark.parametrize(("html", "found"), [
    # news about a gambling case names the brands: reporting, not spam
    ("<p>警方破获以“皇冠体育”“百家乐”为名的网络赌博案件，涉案金额巨大。</p>", False),
    # the same words in a hidden block are spam whatever they say
    ("<div style='position:absolute;left:-9999px'>警方破获 皇冠体育 百家乐</div><p>正文</p>", True),
    ("<html><head><title>警方破获“皇冠体育”网络赌博案</title></head><body><p>正文</p></body></html>", False),
])
def test_news_context_and_hidden_blocks(inspector, html, found):
    assert bool(_rules(inspector.inspect_page(make_page(html)))) is found


@pytest.mark.parametrize(("script", "found"), [
    ("function goSearch(){ var q=document.getElementById('q').value; location.href='http://search.example.com/?q='+q; }", False),
    ("setTimeout(function(){ location.href='http://www.xpj-example.com/'; }, 1000);", True),
    ("function x(){ return 1; } top.location.href='http://www.xpj-example.com/';", True),
])
def test_redirects_in_click_handlers_are_not_automatic(inspector, script, found):
    assert bool(_rules(inspector.inspect_page(make_page(f"<p>x</p><script>{script}</script>")))) is found
