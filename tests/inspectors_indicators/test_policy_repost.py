"""policy.repost-late: a child site reposts its parent portal's key-policy items within 12 hours."""

from __future__ import annotations

from datetime import date, datetime

from inspectors.policy_repost import PolicyRepostInspector, title_key

from .helpers import CITY, JYJ, build, conclude, page

CITY_LIST = CITY.url + "xxgk/tzgg/index.html"


def listing(items: list[tuple[str, str, str]], column: str = "通知公告") -> str:
    rows = "".join(f'<li><a href="{u}" title="{t}">{t}</a><span class="date">{d}</span></li>' for u, t, d in items)
    return (f'<html><head><title>{column}</title><meta name="ColumnName" content="{column}">'
            f'<meta name="ColumnType" content="{column}"></head><body><ul class="list">{rows}</ul></body></html>')


def article(title: str, pubdate: str, column: str = "通知公告") -> str:
    return (f'<html><head><title>{title}</title><meta name="ArticleTitle" content="{title}">'
            f'<meta name="PubDate" content="{pubdate}"><meta name="ColumnName" content="{column}"></head>'
            f"<body><h1>{title}</h1><p>正文</p></body></html>")


HOME = "<html><body><p>首页</p></body></html>"
T1, T2, T3 = "关于做好冬季安全生产工作的通知", "示例市促进消费若干政策措施", "关于调整最低工资标准的通知"
U1, U2, U3 = (CITY.url + f"xxgk/tzgg/202611/t2026111{n}_{n}.html" for n in (5, 6, 7))


def portal_pages() -> list:
    return [
        page(HOME, CITY.url, homepage=True),
        page(listing([(U1, T1, "2026-11-15"), (U2, T2, "2026-11-16"), (U3, T3, "2026-11-17")]), CITY_LIST),
        page(article(T1, "2026-11-15 10:00"), U1),
        page(article(T2, "2026-11-16 09:00"), U2),
        page(article(T3, "2026-11-17 08:00"), U3),
    ]


def child_copy(n: int, title: str, pubdate: str) -> object:
    return page(article(title, pubdate, "上级文件"), JYJ.url + f"sjwj/202611/t2026111{n}_{n}.html", JYJ)


def judge(tmp_path, child_pages, **settings) -> list:
    inspector = build(PolicyRepostInspector, **settings)
    pages = portal_pages() + [page(HOME, JYJ.url, JYJ, homepage=True), *child_pages]
    return [o for o in conclude(inspector, pages, [CITY, JYJ], tmp_path) if o.rule == "policy.repost-late"]


def test_copies_three_hours_later_are_on_time(tmp_path):
    copies = [child_copy(5, T1, "2026-11-15 13:00"), child_copy(6, T2, "2026-11-16 12:00"),
              child_copy(7, T3, "2026-11-17 11:00")]
    assert judge(tmp_path, copies) == []


def test_missing_and_late_copies(tmp_path):
    copies = [child_copy(5, T1, "2026-11-15 13:00"), child_copy(6, "  " + T2 + "！", "2026-11-17 15:00")]
    obs = {o.target_url: o for o in judge(tmp_path, copies)}
    assert set(obs) == {U2, U3}
    late, missing = obs[U2], obs[U3]
    assert late.evidence["delay_hours"] == 30.0 and late.page_url.endswith("t20261116_6.html")
    assert missing.evidence["copy_url"] is None and missing.site_id == JYJ.id


def test_date_only_copy_is_on_time_until_the_end_of_the_next_day(tmp_path):
    on_time = [child_copy(5, T1, "2026-11-16"), child_copy(6, T2, "2026-11-17"), child_copy(7, T3, "2026-11-18")]
    assert judge(tmp_path, on_time) == []
    late = [child_copy(5, T1, "2026-11-17"), child_copy(6, T2, "2026-11-17"), child_copy(7, T3, "2026-11-18")]
    assert [o.target_url for o in judge(tmp_path, late)] == [U1]


def test_copy_seen_only_in_a_child_list_counts(tmp_path):
    lst = page(listing([(JYJ.url + "a/1.html", T1, "2026-11-15"), (JYJ.url + "a/2.html", T2, "2026-11-16"),
                        (JYJ.url + "a/3.html", T3 + "...", "2026-11-17")], "上级文件"), JYJ.url + "sjwj/index.html", JYJ)
    assert judge(tmp_path, [lst]) == []  # list dates have no time: the day-after rule; a truncated title matches


def test_window_items_too_old_or_too_recent_are_not_judged(tmp_path):
    assert judge(tmp_path, [], POLICY_REPOST_WINDOW_DAYS=3) == []  # 15th..17th are more than 3 days before the 20th
    assert len(judge(tmp_path, [])) == 3


def test_other_portal_columns_are_not_key_policy(tmp_path):
    inspector = build(PolicyRepostInspector)
    news = page(listing([(CITY.url + "ywdt/1.html", "市长调研", "2026-11-15")], "要闻动态"), CITY.url + "ywdt/index.html")
    pages = [page(HOME, CITY.url, homepage=True), news, page(HOME, JYJ.url, JYJ, homepage=True)]
    assert conclude(inspector, pages, [CITY, JYJ], tmp_path) == []


def test_child_not_crawled_is_not_judged(tmp_path):
    inspector = build(PolicyRepostInspector)
    assert conclude(inspector, portal_pages(), [CITY, JYJ], tmp_path) == []


def test_inspection_moment_and_title_key():
    inspector = build(PolicyRepostInspector)
    assert inspector.inspection_moment(date(2026, 11, 20)) == datetime(2026, 11, 20, 23, 59, 59)
    assert title_key("关于做好 冬季安全生产工作的通知！") == title_key("关于做好冬季安全生产工作的通知")


def test_time_from_the_page_text_when_there_is_no_pubdate(tmp_path):
    def copy(n: int, title: str, when: str):
        html = (f"<html><head><title>{title}_示例市教育局</title></head><body><h1>{title}</h1>"
                f"<div class='info'>发布时间：{when}　来源：示例市人民政府</div></body></html>")
        return page(html, JYJ.url + f"sjwj/202611/t2026111{n}_{n}.html", JYJ)

    copies = [copy(5, T1, "2026年11月15日 13:00"), copy(6, T2, "2026-11-16 09:30"), copy(7, T3, "2026-11-18 08:01")]
    assert [o.target_url for o in judge(tmp_path, copies)] == [U3]  # 24 h 1 min after the portal
