"""interaction.unanswered and interaction.reply-fields-missing: message tables, item lists and message
pages, judged over a site's pages when its run ends; positives and decoys."""

from __future__ import annotations

from datetime import date

from inspectors.interaction import InteractionInspector
from inspectors.messages import load_words, parse_items, parse_tables

from .helpers import AS_OF, CITY, JYJ, build, conclude, page, rules

LIST_URL = "http://www.example-city.gov.cn/hdjl/lyb/index.html"


def doc(body: str, title: str = "留言选登") -> str:
    return (f"<html><head><title>{title}</title></head><body><div id='main'>{body}</div>"
            "<div id='footer'>主办单位：示例市人民政府办公室 咨询电话：0558-5123456</div></body></html>")


def table(*rows: tuple[str, ...], header=("留言标题", "留言时间", "回复时间", "办理状态")) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='lyb'><tr>{head}</tr>{body}</table>"


def link(path: str, title: str) -> str:
    return f'<a href="{path}" title="{title}">{title}</a>'


def run(tmp_path, *pages, site=CITY, **settings):
    return conclude(build(InteractionInspector, **settings), list(pages), [site], tmp_path)


def test_old_message_listed_as_unanswered_is_a_finding_keyed_by_its_page(tmp_path):
    html = doc(table((link("/hdjl/lyb/202605/t20260501_1.html", "小区路灯损坏何时维修"), "2026-05-01", "", "未回复"),
                     (link("/hdjl/lyb/202611/t20261101_2.html", "公交线路调整建议"), "2026-11-01", "", "办理中")))
    obs = run(tmp_path, page(html, LIST_URL))
    (old,) = [o for o in obs if o.rule == "interaction.unanswered"]
    assert old.page_url == "http://www.example-city.gov.cn/hdjl/lyb/202605/t20260501_1.html"
    assert old.evidence["age_days"] == (AS_OF - date(2026, 5, 1)).days == 203
    assert old.evidence["title"] == "小区路灯损坏何时维修"


def test_decoy_replied_with_a_date_is_not_unanswered(tmp_path):
    html = doc(table((link("/hdjl/lyb/202605/t20260501_1.html", "小区路灯损坏何时维修"), "2026-05-01", "2026-05-08",
                      "已回复")))
    assert "interaction.unanswered" not in rules(run(tmp_path, page(html, LIST_URL)))


def test_decoy_a_list_without_status_or_reply_column_says_nothing(tmp_path):
    html = doc(table((link("/hdjl/lyb/202605/t20260501_1.html", "小区路灯损坏何时维修"), "2026-05-01"),
                     header=("留言标题", "留言时间")))
    assert "interaction.unanswered" not in rules(run(tmp_path, page(html, LIST_URL)))


def test_message_without_a_page_of_its_own_is_keyed_by_list_and_title(tmp_path):
    items = ("<ul class='xjlist'><li><span class='t'>噪音扰民问题</span> 留言时间：2026-06-02 状态：待处理</li>"
             "<li><span class='t'>停车收费咨询</span> 留言时间：2026-06-03 回复时间：2026-06-05 状态：已办结</li></ul>")
    # item lists need a link for the title; here the title is the list row itself: a table row
    html = doc(table(("噪音扰民问题", "2026-06-02", "", "待处理"), ("停车收费咨询", "2026-06-03", "2026-06-05", "已办结"))
               + items)
    obs = [o for o in run(tmp_path, page(html, LIST_URL)) if o.rule == "interaction.unanswered"]
    assert [o.page_url for o in obs] == [LIST_URL + "#噪音扰民问题"]
    from govinspect.findings import finding_key

    assert finding_key("interaction.unanswered", CITY.url, obs[0].page_url, None).endswith("#噪音扰民问题")


def test_item_list_with_labels(tmp_path):
    items = ("<ul class='list'>"
             f"<li>{link('/hdjl/xx/1.html', '农村道路硬化申请')}<span>留言时间：2026-04-10</span><span>状态：未回复</span></li>"
             f"<li>{link('/hdjl/xx/2.html', '义务教育招生咨询')}<span>留言时间：2026-04-11</span>"
             "<span>回复时间：2026-04-12</span></li></ul>")
    obs = run(tmp_path, page(doc(items), LIST_URL))
    assert [o.page_url.rsplit("/", 1)[-1] for o in obs if o.rule == "interaction.unanswered"] == ["1.html"]


def test_message_page_without_reply_is_unanswered_and_with_reply_is_not(tmp_path):
    waiting = doc("<h1>河道垃圾清理</h1><div class='msg'><p>留言时间：2026-03-01</p><p>留言内容：河道垃圾多。</p>"
                  "<p>答复内容：暂无</p></div>")
    answered = doc("<h1>社保转移</h1><div class='msg'><p>留言时间：2026-03-02</p><p>答复部门：市人社局</p>"
                   "<p>答复时间：2026-03-05</p><p>答复内容：您好，已转办。</p></div>")
    obs = run(tmp_path, page(waiting, CITY.url + "hdjl/1.html"), page(answered, CITY.url + "hdjl/2.html"))
    assert [o.page_url for o in obs if o.rule == "interaction.unanswered"] == [CITY.url + "hdjl/1.html"]


def test_young_message_is_not_late(tmp_path):
    html = doc(table((link("/hdjl/3.html", "新留言"), "2026-09-10", "", "未回复")))  # 71 days before as-of
    assert "interaction.unanswered" not in rules(run(tmp_path, page(html, LIST_URL)))
    assert "interaction.unanswered" in rules(run(tmp_path, page(html, LIST_URL), INTERACTION_UNANSWERED_DAYS=60))


def test_reply_fields_missing_on_a_portal_over_list_and_page(tmp_path):
    listing = doc(table((link("/hdjl/1.html", "社保转移"), "2026-03-02", "2026-03-05", "已回复")))
    detail = doc("<h1>社保转移</h1><div class='msg'><p>留言时间：2026-03-02</p><p>答复时间：2026-03-05</p>"
                 "<p>答复内容：您好，已转办。</p></div>")  # no 答复部门 anywhere
    obs = run(tmp_path, page(listing, LIST_URL), page(detail, CITY.url + "hdjl/1.html"))
    (f,) = [o for o in obs if o.rule == "interaction.reply-fields-missing"]
    assert f.evidence["missing_counts"] == {"答复部门": 1} and f.evidence["messages_judged"] == 1


def test_decoy_complete_messages_and_unseen_message_pages(tmp_path):
    listing = doc(table((link("/hdjl/1.html", "社保转移"), "2026-03-02", "2026-03-05", "已回复"),
                        (link("/hdjl/2.html", "另一条"), "2026-03-03", "2026-03-06", "已回复")))
    detail = doc("<h1>社保转移</h1><table><tr><th>留言时间</th><td>2026-03-02</td><th>答复部门</th><td>市人社局</td></tr>"
                 "<tr><th>答复时间</th><td>2026-03-05</td><th>答复内容</th><td>您好，已转办。</td></tr></table>")
    # /hdjl/2.html was never inspected: its list row lacks 答复部门 but its page may show it
    obs = run(tmp_path, page(listing, LIST_URL), page(detail, CITY.url + "hdjl/1.html"))
    assert rules(obs) == []


def test_reply_fields_only_judged_on_portals(tmp_path):
    listing = doc(table((link("/hdjl/1.html", "社保转移"), "2026-03-02", "2026-03-05", "已回复")))
    detail = doc("<h1>社保转移</h1><div><p>留言时间：2026-03-02</p><p>答复时间：2026-03-05</p><p>答复内容：好。</p></div>")
    pages = [page(listing, JYJ.url + "hdjl/index.html", JYJ), page(detail, JYJ.url + "hdjl/1.html", JYJ)]
    assert rules(run(tmp_path, *pages, site=JYJ)) == []


def test_news_lists_are_not_messages():
    words = load_words()
    import lxml.html

    tree = lxml.html.fromstring(doc("<ul><li><a href='/a.html'>关于做好回复工作的通知</a><span>2026-03-01</span></li></ul>"))
    msgs, used = parse_tables(tree, LIST_URL, CITY.hosts, AS_OF, words)
    assert msgs == [] and parse_items(tree, LIST_URL, CITY.hosts, AS_OF, words, used) == []


def test_decoy_service_case_tables_and_service_guides_are_not_messages(tmp_path):
    cases = table((link("/bjgs/1.html", "建设工程规划许可"), "2026-03-01", "", "办理中"),
                  header=("事项名称", "受理时间", "办结时间", "状态"))
    guide = ("<h1>建设工程规划许可办事指南</h1><div><p>受理时间：2026-01-05起每个工作日</p><p>办理部门：市自然资源局</p>"
             "<p>办理结果：建设工程规划许可证</p></div>")
    pages = [page(doc(cases, title="办件公示"), CITY.url + "bjgs/index.html"),
             page(doc(guide, title="办事指南"), CITY.url + "bszn/1.html")]
    assert rules(run(tmp_path, *pages)) == []
    # the same table on a page about messages is read as messages
    assert rules(run(tmp_path, page(doc(cases, title="网民留言办理情况"), LIST_URL))) == ["interaction.unanswered"]


def test_item_list_with_a_bare_date_and_a_status_word(tmp_path):
    items = ("<ul class='list'>"
             f"<li>{link('/hdjl/xx/5.html', '路灯维修')}<span>2026-04-10</span><span class='zt'>待处理</span></li>"
             f"<li>{link('/hdjl/xx/6.html', '公园开放时间')}<span>2026-04-11</span><span class='zt'>已答复</span></li>"
             "</ul>")
    obs = run(tmp_path, page(doc(items, title="咨询投诉"), LIST_URL))
    assert [o.page_url.rsplit("/", 1)[-1] for o in obs if o.rule == "interaction.unanswered"] == ["5.html"]
