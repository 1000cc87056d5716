"""GBK sites: one declared by the HTTP header only, one (gb2312) by ``<meta>`` only, and one GBK page
with no declaration at all on a UTF-8 site, so decoders must sniff rather than trust the site."""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder

UNDECLARED_PATH = "/lsxx/2019/jzgg.html"
UNDECLARED_TITLE = "关于做好二〇一九年冬季救助工作的通知"


def plan(b: ClusterBuilder) -> None:
    if site := b.site("county_a"):
        site.encoding, site.charset_header, site.charset_meta = "gbk", True, False
    if site := b.site("county_b"):
        site.encoding, site.charset_header, site.charset_meta = "gbk", False, True
        site.charset_label = "gb2312"  # old sites say gb2312; decode as its superset
    if site := b.site("mzj"):
        site.charset_header = False  # UTF-8 declared by <meta> only


def apply(b: ClusterBuilder) -> None:
    for role, declared in (("county_a", "header"), ("county_b", "meta")):
        site = b.site(role)
        if site and not site.down:
            b.expect(
                None, site, page_url=site.url, expect="decoded", encoding="gbk", declared=declared, text=site.shown_name
            )
    site = b.site("mzj")
    if not site or site.down:
        return
    body = (
        f"<h1>{UNDECLARED_TITLE}</h1><p>各县区民政局：为切实保障困难群众温暖过冬，现就有关事项通知如下。</p>"
        "<p>请各地认真排查，确保应保尽保。</p>"
    )
    url = b.add_page(
        site, UNDECLARED_PATH, UNDECLARED_TITLE, body, encoding="gbk", charset_header=False, charset_meta=False
    )
    b.inject(site.url, f'<div class="block"><h2>历史信息</h2><a href="{UNDECLARED_PATH}">{UNDECLARED_TITLE}</a></div>')
    b.expect(None, site, page_url=url, expect="decoded", encoding="gbk", declared="none", text=UNDECLARED_TITLE)
