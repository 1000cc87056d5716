"""Archives without their label: an old-site folder reached by a 旧版网站 link on 教育局, and an
unlabelled page inside the city's registered ``archive_paths`` section.

Labelled pages (the city's /lsgd/ section, one old-site page) are the decoys.
"""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder

OLD = "/old2015/"


def apply(b: ClusterBuilder) -> None:
    site = b.site("jyj")
    if site is not None and not site.down:
        crumb = f'<p class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="{OLD}index.html">旧版网站</a></p>'
        pages = [
            ("news/2015_01.html", "2015年全市教育工作要点", "", "finding", "no label"),
            ("news/2015_02.html", "2015年中考招生办法", "<p>本页面已归档。</p>", "finding", "label without a date"),
            ("news/2015_03.html", "2015年教师招聘公告", "<p>本页面已归档，归档时间：2016年1月1日。</p>",
             "no-finding", "labelled"),
        ]
        items = []
        for path, title, note_html, expect, note in pages:
            url = b.add_page(site, OLD + path, title, f"{crumb}{note_html}<h1>{title}</h1><p>{title}全文。</p>")
            items.append(f'<li><a href="{OLD}{path}">{title}</a></li>')
            b.expect("archive.unlabeled", site, page_url=url, expect=expect, note=note)
        listing = f'<h1>旧版网站</h1><ul class="list">{"".join(items)}</ul>'
        entry = b.add_page(site, OLD + "index.html", "旧版网站", listing)
        b.inject(site.url, f'<p class="old"><a href="{OLD}index.html">旧版网站</a></p>')
        b.expect("archive.unlabeled", site, page_url=entry, note="archive entry page without a label")
    city = b.site("city")
    if city is not None and not city.down and city.archive_paths:
        prefix = city.archive_paths[0]
        path = f"{prefix}201812/t20181201_9.html"
        url = b.add_page(city, path, "2018年第四季度工作动态", "<h1>2018年第四季度工作动态</h1><p>内容略。</p>")
        b.inject(city.abs(f"{prefix}index.html"), f'<ul class="list"><li><a href="{path}">2018年第四季度</a></li></ul>')
        b.expect("archive.unlabeled", city, page_url=url, note="under registry archive_paths, no label")
