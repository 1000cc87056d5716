"""Reposts of the city portal's key-policy items (通知公告, 政策文件) by its child sites (policy.repost-late).

Every reachable child site gets a 上级文件 column with a copy of each city item published in the
30 days before the inspection date, three hours after the portal (the decoys: on time). On 教育局 one
copy appears a day and a half late and one item is never reposted; 示北县 reposts one item with a
date-only ``PubDate`` the next day, which the day-after rule accepts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from html import escape

from govinspect.demo.builder import ClusterBuilder
from govinspect.demo.model import Article, SiteSpec

KEY_COLUMNS = ("tzgg", "zcwj")
WINDOW_DAYS = 30
LIST_PATH = "/sjwj/index.html"
PORTAL_TIME = dt.time(9, 30)  # the generator's PubDate time of day


def portal_items(b: ClusterBuilder, city: SiteSpec) -> list[Article]:
    """The city's key-policy items inside the judged window, newest first."""
    items = []
    for key in KEY_COLUMNS:
        col = city.column(key)
        for art in col.articles if col else []:
            age = (b.as_of - art.date).days
            if 1 <= age <= WINDOW_DAYS - 1:
                items.append(art)
    return sorted(items, key=lambda a: a.date, reverse=True)


def apply(b: ClusterBuilder) -> None:
    city = b.site("city")
    if city is None or city.down:
        return
    items = portal_items(b, city)
    counts = Counter(a.title for a in items)
    unique = [a for a in items if counts[a.title] == 1]
    late = missing = None
    if len(unique) >= 2:
        late, missing = unique[0], unique[1]
    for n, site in enumerate(s for s in b.up_sites() if s.parent == city.id):
        rows = []
        for k, art in enumerate(items):
            portal_at = dt.datetime.combine(art.date, PORTAL_TIME)
            pubdate = (portal_at + dt.timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
            expect, note = "no-finding", "copied three hours after the portal"
            if site.role == "jyj" and art is missing:
                b.expect("policy.repost-late", site, target_url=city.abs(art.path), page_url=site.url,
                         note="never reposted")
                continue
            if site.role == "jyj" and art is late:
                pubdate = (portal_at + dt.timedelta(hours=29, minutes=30)).strftime("%Y-%m-%d %H:%M")
                expect, note = "finding", "copied 29.5 hours after the portal"
            elif site.role == "county_b" and k == 0:
                pubdate = (art.date + dt.timedelta(days=1)).isoformat()
                note = "date-only copy the day after: on time"
            day = dt.date.fromisoformat(pubdate[:10])
            path = f"/sjwj/{day:%Y%m}/t{day:%Y%m%d}_{9000 + n * 100 + k}.html"
            metas = {"SiteName": site.shown_name, "SiteDomain": site.host, "SiteIDCode": site.id,
                     "ColumnName": "上级文件", "ColumnType": "政策文件", "ArticleTitle": art.title,
                     "PubDate": pubdate, "ContentSource": city.name}
            body = (f'<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="{LIST_PATH}">上级文件</a></div>'
                    f'<div class="article"><h1>{escape(art.title)}</h1><div class="info">发布时间：{pubdate}'
                    f'　来源：{escape(city.name)}</div><div class="content"><p>转载自{escape(city.name)}。</p>'
                    f'<p>原文链接：<a href="{city.abs(art.path)}">{escape(art.title)}</a></p></div></div>')
            url = b.add_page(site, path, f"{art.title}_{site.shown_name}", body, metas=metas)
            rows.append(f'<li><a href="{path}" title="{escape(art.title)}">{escape(art.title)}</a>'
                        f'<span class="date">{day.isoformat()}</span></li>')
            b.expect("policy.repost-late", site, target_url=city.abs(art.path), page_url=url, expect=expect,
                     note=note)
        listing = ('<div class="crumbs">当前位置：<a href="/">首页</a> &gt; 上级文件</div>'
                   f'<div class="list-box"><ul class="list">{"".join(rows)}</ul></div>')
        b.add_page(site, LIST_PATH, f"上级文件_{site.shown_name}", listing,
                   metas={"SiteName": site.shown_name, "SiteDomain": site.host, "SiteIDCode": site.id,
                          "ColumnName": "上级文件", "ColumnType": "政策文件"})
        b.inject(site.url, f'<div class="block"><h2>上级文件</h2><a href="{LIST_PATH}">上级文件</a></div>')
