"""archive.unlabeled: registry prefixes, archive entry pages and their folders, label and date."""

from __future__ import annotations

import pytest
from scrapy.exceptions import NotConfigured

from inspectors.archives import ArchiveInspector, folder
from tests.inspectors.helpers import make_inspector, make_page

NAV = '<div class="nav"><a href="/">首页</a><a href="/old/index.html">网站归档</a></div>'
LABELLED = "<p>本栏目已归档，归档时间：2023年6月30日</p>"


def check(body: str, url: str, link_text: str | None = None, **settings):
    page = make_page(body, url=url, link_text=link_text)
    return list(make_inspector(ArchiveInspector, **settings).inspect_page(page))


def test_folder():
    assert folder("/old/index.html") == "/old/"
    assert folder("/old/") == "/old/"
    assert folder("/archive.html") == "/"


@pytest.mark.parametrize("url,link_text", [
    ("http://www.example-city.gov.cn/lsgd/2019/a.html", None),  # registry archive_paths
    ("http://www.example-city.gov.cn/old/index.html", "网站归档"),  # the entry page itself
    ("http://www.example-city.gov.cn/v2015/", "旧版网站"),
    ("http://www.example-city.gov.cn/old/2018/t1.html", "2018年工作动态"),  # under the entry's folder (nav)
])
def test_unlabelled_archived_pages(url, link_text):
    found = check(NAV + "<p>2018年工作动态</p>", url, link_text)
    assert len(found) == 1
    assert found[0].rule == "archive.unlabeled" and found[0].page_url == url
    assert found[0].evidence["has_label"] is False


@pytest.mark.parametrize("body", [
    "<p>已归档</p>",  # label without a date
    "<p>归档时间：2023-06-30</p>",  # date without the label
    "<p>已归档</p><p>发布时间：2023-06-30</p>",  # a date, but not an archive date
])
def test_label_and_date_both_needed(body):
    found = check(body, "http://www.example-city.gov.cn/lsgd/a.html")
    assert len(found) == 1


@pytest.mark.parametrize("body", [
    LABELLED,
    "<p>已归档</p><p>归档日期: 2023-06-30</p>",
    "<div>本网站已于2022年12月1日归档，内容不再更新（已归档）</div>",
])
def test_labelled_archives_pass(body):
    assert check(body, "http://www.example-city.gov.cn/lsgd/a.html") == []


@pytest.mark.parametrize("url,link_text,body", [
    ("http://www.example-city.gov.cn/xxgk/a.html", None, NAV),  # an ordinary page with the nav link
    ("http://www.example-city.gov.cn/", None, NAV),  # the homepage
    ("http://www.example-city.gov.cn/zcwj/1.html", "关于印发档案归档管理办法的通知", ""),  # a title about 归档
    ("http://www.example-city.gov.cn/x/1.html", None, '<a href="/archive.html">网站归档</a>'),  # root folder
    ("http://www.example-city.gov.cn/old/1.html", None, '<a href="http://other.gov.cn/old/">历史网站</a>'),
])
def test_not_archived(url, link_text, body):
    assert check(body, url, link_text) == []


def test_words_and_switch_are_settings():
    url = "http://www.example-city.gov.cn/hist/"
    assert check("", url, "往期回顾") == []
    assert len(check("", url, "往期回顾", ARCHIVE_LINK_WORDS=["往期回顾"])) == 1
    with pytest.raises(NotConfigured):
        make_inspector(ArchiveInspector, INSPECT_ARCHIVES_ENABLED=False)
