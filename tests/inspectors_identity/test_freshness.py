"""freshness.*: homepage and column freshness per tier, empty columns, undated items, dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from inspectors.dates import date_in_text, date_in_url, dates_in_text
from inspectors.freshness import FreshnessInspector

from .helpers import AS_OF, CITY, build, page, rules

LIST_URL = "http://www.example-city.gov.cn/xxgk/tzgg/index.html"


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def rows(*ages: int | None, undated: int = 0) -> str:
    out = []
    for n, age in enumerate(ages):
        cell = f'<span class="date">{ago(age).isoformat()}</span>' if age is not None else ""
        out.append(f'<li><a href="/xxgk/a/item_{n}.html">信息标题{n}</a>{cell}</li>')
    out += [f'<li><a href="/xxgk/a/undated_{n}.html">无日期标题{n}</a></li>' for n in range(undated)]
    return '<ul class="list">' + "".join(out) + "</ul>"


def doc(body: str, *, title: str = "示例市人民政府", metas: dict[str, str] | None = None) -> str:
    meta = "".join(f'<meta name="{k}" content="{v}">' for k, v in (metas or {}).items())
    return (
        f"<html><head><title>{title}</title>{meta}</head><body>"
        '<div id="header"><h1>示例市人民政府</h1></div>'
        '<ul id="nav"><li><a href="/">首页</a></li><li><a href="/xxgk/tzgg/index.html">通知公告</a></li>'
        '<li><a href="/xxgk/rsxx/index.html">人事信息</a></li></ul>'
        f'<div id="main">{body}</div>'
        '<div id="footer"><a href="/xxgk/wzdt/index.html">网站地图</a> 2026-11-20 更新</div></body></html>'
    )


def column(body: str, *, name: str | None = "通知公告", link_text: str | None = None, url: str = LIST_URL,
           title: str | None = None, **settings) -> list:
    metas = {"ColumnName": name, "ColumnType": name} if name else {}
    html = doc(body, title=title or f"{name or '列表'}_示例市人民政府", metas=metas)
    return list(build(FreshnessInspector, **settings).inspect_page(page(html, url, link_text=link_text)))


def homepage(body: str, as_of: date = AS_OF) -> list:
    return list(build(FreshnessInspector).inspect_page(page(doc(body), homepage=True, as_of=as_of)))


# ---- homepage -------------------------------------------------------------------------------------

def test_fresh_homepage():
    assert homepage(rows(3, 30, 400)) == []


def test_stale_homepage_reports_the_newest_item():
    obs = homepage(rows(15, 30, 400))
    assert rules(obs) == ["freshness.homepage-stale"]
    assert obs[0].evidence["newest"] == ago(15).isoformat() and obs[0].evidence["age_days"] == 15


def test_fourteen_days_is_not_yet_stale():
    assert homepage(rows(14)) == []


@pytest.mark.parametrize("cell", ["2026年11月18日", "[11-18]", "（2026/11/18）", "２０２６－１１－１８"])
def test_homepage_date_formats(cell):
    body = f'<ul><li><a href="/a/1.html">标题</a><span>{cell}</span></li></ul>' + rows(100)
    assert homepage(body) == []


def test_year_less_dates_take_the_previous_year_after_new_year():
    body = '<ul><li><a href="/a/1.html">标题</a><em>[12-28]</em></li></ul>'
    assert homepage(body, as_of=date(2027, 1, 5)) == []
    assert rules(homepage(body, as_of=date(2027, 3, 5))) == ["freshness.homepage-stale"]


@pytest.mark.parametrize("path", ["/art/2026/11/18/art_12_345.html", "/xwzx/202611/t20261118_123.html"])
def test_homepage_dates_from_cms_urls(path):
    assert homepage(f'<div class="news"><a href="{path}">无日期的标题</a></div>' + rows(100)) == []


def test_homepage_whose_items_have_no_date_is_stale():
    obs = homepage(rows(undated=6))
    assert rules(obs) == ["freshness.homepage-stale"] and obs[0].evidence["newest"] is None


def test_navigation_only_homepage_is_left_to_its_columns():
    assert homepage('<ul><li><a href="/xxgk/">信息公开</a></li><li><a href="/hdjl/">互动交流</a></li></ul>') == []


def test_dates_in_chrome_or_titles_do_not_make_a_homepage_fresh():
    body = ('<div class="top">今天是2026年11月20日 <a href="/sc.html">加入收藏</a></div>'
            + rows(30).replace("信息标题0", "关于2026年11月19日停电的通知"))
    assert rules(homepage(body)) == ["freshness.homepage-stale"]


# ---- columns --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, fresh, stale", [
    ("要闻动态", 14, 15),
    ("通知公告", 183, 184),
    ("政策文件", 180, 200),
    ("人事信息", 365, 366),
    ("规划计划", 300, 400),
])
def test_column_tiers(name, fresh, stale):
    assert column(rows(fresh, fresh + 20), name=name) == []
    obs = column(rows(stale, stale + 20), name=name)
    assert rules(obs) == ["freshness.column-stale"]
    assert obs[0].evidence["newest"] == ago(stale).isoformat() and obs[0].page_url == LIST_URL


def test_thresholds_are_settings():
    assert rules(column(rows(10), name="要闻动态", FRESHNESS_NEWS_DAYS=7)) == ["freshness.column-stale"]


def test_other_columns_have_no_threshold():
    assert column(rows(2000), name="信息公开目录") == []


def test_kind_from_navigation_text_without_meta():
    obs = column(rows(200), name=None, link_text="通知公告", title="列表")
    assert rules(obs) == ["freshness.column-stale"] and obs[0].evidence["named_by"] == "link"


def test_kind_from_breadcrumb_without_meta():
    crumbs = '<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="/xxgk/rsxx/">人事信息</a></div>'
    obs = column(crumbs + rows(400), name=None, link_text="更多>>", title="列表")
    assert rules(obs) == ["freshness.column-stale"] and obs[0].evidence["kind"] == "personnel"


def test_long_link_text_is_an_article_title_not_a_column():
    assert column(rows(400), name=None, link_text="关于做好二〇一九年冬季救助工作的通知公告", title="x") == []


def test_undated_items_count_as_not_updated():
    obs = column(rows(undated=3), name="通知公告")
    assert rules(obs) == ["freshness.column-stale"] and obs[0].evidence["newest"] is None
    assert column(rows(3, undated=3), name="通知公告") == []


def test_empty_column_with_placeholder_is_empty_not_stale():
    body = '<div class="crumbs"><a href="/">首页</a></div><div class="list-box"><p class="empty">暂无信息</p></div>'
    obs = column(body, name="人事信息")
    assert rules(obs) == ["freshness.column-empty"] and obs[0].evidence["placeholder"] == "暂无信息"
    # without column meta, the placeholder identifies the empty column
    assert rules(column(body.replace("暂无信息", "暂无数据"), name=None, link_text="人事信息")) == [
        "freshness.column-empty"
    ]


def test_list_page_without_items_is_empty():
    assert rules(column('<div class="list-box"></div>', name="信息公开")) == ["freshness.column-empty"]


def test_page_without_column_signals_is_not_judged():
    assert column("<h1>互动交流</h1><p>市长信箱</p>", name=None, link_text="互动交流", title="互动交流") == []


def test_later_list_pages_are_not_judged():
    later = LIST_URL.replace("index.html", "index_1.html")
    assert column(rows(400), url=later) == []
    pager = '<div class="pager"><a href="/xxgk/tzgg/list.jsp?cur=2">上一页</a></div>'
    assert column(rows(400) + pager, url="http://www.example-city.gov.cn/xxgk/tzgg/list.jsp?cur=3") == []
    first_page_pager = '<div class="pager"><a href="/xxgk/tzgg/index.html">上一页</a></div>'  # links itself
    assert rules(column(rows(400) + first_page_pager)) == ["freshness.column-stale"]
    assert column(rows(400), url=LIST_URL + "?page=2") == []
    assert rules(column(rows(400), url=LIST_URL + "?page=1")) == ["freshness.column-stale"]


def test_article_pages_carry_column_meta_but_are_not_columns():
    html = doc("<h1>标题</h1><p>正文</p>", metas={"ColumnName": "通知公告", "ArticleTitle": "标题",
                                                  "PubDate": "2025-01-01 09:30"})
    for url in ("http://www.example-city.gov.cn/xxgk/tzgg/202501/t20250101_1.html",
                "http://www.example-city.gov.cn/xxgk/show.jsp?id=1"):
        assert list(build(FreshnessInspector).inspect_page(page(html, url))) == [], url
    # without article meta, a CMS article URL still says "article"
    html = doc("<h1>标题</h1><p>正文</p>", metas={"ColumnName": "通知公告"})
    url = "http://www.example-city.gov.cn/art/2025/1/1/art_12_345.html"
    assert list(build(FreshnessInspector).inspect_page(page(html, url))) == []


def test_homepage_meta_is_not_a_column():
    html = doc("", metas={"ColumnName": "首页", "ColumnType": "首页"})
    assert list(build(FreshnessInspector).inspect_page(page(html, CITY.url + "index.html"))) == []


# ---- dates ----------------------------------------------------------------------------------------

def test_date_text_forms():
    assert date_in_text("发布时间：2026年11月3日", AS_OF) == date(2026, 11, 3)
    assert date_in_text("２０２６－１１－０３", AS_OF) == date(2026, 11, 3)
    assert date_in_text("[11-03]", AS_OF) == date(2026, 11, 3)
    assert date_in_text("[12-03]", AS_OF) == date(2025, 12, 3)  # a year-less date is never in the future
    assert dates_in_text("电话0558-5123456 时间 09:30 1-10月 增长3.5% 10.1", AS_OF) == []
    assert date_in_text("2026-02-30", AS_OF) is None
    assert date_in_text("2027-01-01", AS_OF) is None  # after the inspection date: not a publish date


def test_date_url_forms():
    assert date_in_url("http://a.gov.cn/art/2026/11/3/art_12_345.html", AS_OF) == date(2026, 11, 3)
    assert date_in_url("http://a.gov.cn/xxgk/202611/t20261103_123.html", AS_OF) == date(2026, 11, 3)
    assert date_in_url("http://a.gov.cn/calendar?month=2026-11", AS_OF) is None
