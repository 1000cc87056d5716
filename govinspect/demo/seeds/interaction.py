"""Message platforms (留言选登) on the city portal and 示南县 (interaction.unanswered,
interaction.reply-fields-missing).

City: a message table (标题 | 留言时间 | 回复时间 | 状态) linking each message's own page. One message
is 200 days old and 未回复 (finding); one is listed as 已回复 with a reply date (decoy); one is 办理中
but only 30 days old (decoy); one answered message's page names no 答复部门, so the portal's platform
lacks a required field (reply-fields-missing). 示南县: an item list whose messages have no pages of
their own and show every field; one is 160 days old and 待处理 (a finding keyed by list URL + title),
the others are answered (no reply-fields finding for the county).
"""

from __future__ import annotations

import datetime as dt
from html import escape

from govinspect.demo.builder import ClusterBuilder
from govinspect.demo.model import SiteSpec

LIST_PATH = "/hdjl/lyxd/index.html"
# title, days before as-of, reply after days (None: no reply), status, department shown on its page
CITY_MESSAGES = [
    ("小区路灯损坏长期无人维修", 200, None, "未回复", True, "finding"),
    ("咨询新生儿医保参保办理流程", 150, 6, "已回复", True, "no-finding"),
    ("建议增开夜间公交线路", 30, None, "办理中", True, "no-finding"),
    ("老旧小区加装电梯补贴咨询", 120, 9, "已回复", False, "no-finding"),
]
COUNTY_MESSAGES = [
    ("农贸市场周边占道经营问题", 160, None, "待处理"),
    ("咨询农村宅基地审批流程", 100, 5, "已办结"),
    ("乡镇卫生院夜间值班咨询", 60, 3, "已办结"),
]


def _metas(site: SiteSpec, name: str) -> dict[str, str]:
    return {"SiteName": site.shown_name, "SiteDomain": site.host, "SiteIDCode": site.id,
            "ColumnName": name, "ColumnType": "咨询投诉"}


def _city(b: ClusterBuilder, site: SiteSpec) -> None:
    rows = []
    for n, (title, age, reply_after, status, dept, expect) in enumerate(CITY_MESSAGES):
        asked = b.as_of - dt.timedelta(days=age)
        replied = asked + dt.timedelta(days=reply_after) if reply_after is not None else None
        path = f"/hdjl/lyxd/detail_{1001 + n}.html"
        reply = ""
        if replied:
            reply = (f"<tr><th>答复时间</th><td>{replied.isoformat()}</td></tr>"
                     + (f"<tr><th>答复部门</th><td>{escape(site.organizer)}</td></tr>" if dept else "")
                     + "<tr><th>答复内容</th><td>您好，您反映的问题已转相关部门办理，感谢您的关注。</td></tr>")
        body = (f'<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="{LIST_PATH}">留言选登</a></div>'
                f'<div class="message"><h1>{escape(title)}</h1><table class="msg">'
                f"<tr><th>留言标题</th><td>{escape(title)}</td></tr><tr><th>留言时间</th><td>{asked.isoformat()}</td></tr>"
                f"<tr><th>办理状态</th><td>{status}</td></tr>{reply}</table></div>")
        metas = {**_metas(site, "留言选登"), "ArticleTitle": title, "PubDate": asked.isoformat(),
                 "ContentSource": "网民留言"}
        url = b.add_page(site, path, f"{title}_{site.shown_name}", body, metas=metas)
        shown_reply = replied.isoformat() if replied else ""
        rows.append(f'<tr><td><a href="{path}" title="{escape(title)}">{escape(title)}</a></td>'
                    f"<td>{asked.isoformat()}</td><td>{shown_reply}</td><td>{status}</td></tr>")
        note = {0: "200 days old, 未回复", 1: "已回复 with a reply date", 2: "办理中 but only 30 days old",
                3: "answered, its page names no 答复部门"}[n]
        b.expect("interaction.unanswered", site, page_url=url, expect=expect, note=note)
    table = ('<table class="lyxd"><tr><th>留言标题</th><th>留言时间</th><th>回复时间</th><th>状态</th></tr>'
             + "".join(rows) + "</table>")
    b.add_page(site, LIST_PATH, f"留言选登_{site.shown_name}", f"<h1>留言选登</h1>{table}",
               metas=_metas(site, "留言选登"))
    b.inject(site.url, f'<div class="block"><h2>互动交流</h2><a href="{LIST_PATH}">留言选登</a></div>')
    b.expect("interaction.reply-fields-missing", site, page_url=site.url,
             note="an answered message's page names no 答复部门")


def _county(b: ClusterBuilder, site: SiteSpec) -> None:
    items = []
    url = site.abs(LIST_PATH)
    for title, age, reply_after, status in COUNTY_MESSAGES:
        asked = b.as_of - dt.timedelta(days=age)
        parts = [f'<span class="t">{escape(title)}</span>', f"<span>留言时间：{asked.isoformat()}</span>",
                 f"<span>状态：{status}</span>"]
        if reply_after is not None:
            parts += [f"<span>答复时间：{(asked + dt.timedelta(days=reply_after)).isoformat()}</span>",
                      f"<span>答复部门：{escape(site.organizer)}</span>",
                      "<p>答复内容：您好，已按规定办理，感谢您的来信。</p>"]
        items.append(f"<li>{''.join(parts)}</li>")
        b.expect("interaction.unanswered", site, page_url=f"{url}#{title}",
                 expect="finding" if reply_after is None else "no-finding",
                 note="160 days old, 待处理, no page of its own" if reply_after is None else "已办结 with a reply")
    # site metas only: a list without links is no column list page (freshness would call it empty)
    listing = f'<h1>领导信箱</h1><ul class="xxlist">{"".join(items)}</ul>'
    b.add_page(site, LIST_PATH, f"领导信箱_{site.shown_name}", listing,
               metas={"SiteName": site.shown_name, "SiteDomain": site.host, "SiteIDCode": site.id})
    b.inject(site.url, f'<div class="block"><h2>互动交流</h2><a href="{LIST_PATH}">领导信箱</a></div>')
    b.expect("interaction.reply-fields-missing", site, page_url=site.url, expect="no-finding",
             note="every message shows its dates, department and reply")


def apply(b: ClusterBuilder) -> None:
    if (city := b.site("city")) and not city.down:
        _city(b, city)
    if (county := b.site("county_a")) and not county.down:
        _county(b, county)
