"""External links whose landing page changed hands (``link.hijacked-external``): 示南县's 友情链接 to
a former partner whose domain is now for sale and to a site that is now a casino; decoy: a link to a
healthy news site that mentions 体育彩票 once. The off-screen gambling block of ``seeds/ads.py`` links
a casino too, found here as well."""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder
from govinspect.demo.seeds.ads import SPAM

PARKED = "http://www.old-partner-example.com/"
CASINO = "http://www.xpj-example.com/"
HEALTHY = "http://www.jiankang-news-example.cn/"
_PAGE = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{t}</title></head><body>{b}</body></html>'


def apply(b: ClusterBuilder) -> None:
    b.add_file(PARKED[7:-1], "/index.html", _PAGE.format(
        t="old-partner-example.com",
        b="<h1>该域名出售</h1><p>This domain is for sale. 联系邮箱 domain@example.com</p>"))
    b.add_file(CASINO[7:-1], "/index.html", _PAGE.format(
        t="澳门新葡京娱乐城-真人百家乐官网", b="<p>注册即送88元 体育投注 真人视讯</p>"))
    b.add_file(HEALTHY[7:-1], "/index.html", _PAGE.format(
        t="示例健康新闻网",
        b="<h1>全民健身步道建成</h1><p>市体育局利用体育彩票公益金新建健身步道20公里，市民可免费使用。</p>"))
    site = b.site("county_a")
    if site is not None and not site.down:
        b.inject(site.url, '<div class="block"><h2>合作网站</h2>'
                           f'<a href="{PARKED}">原县域经济合作网</a><a href="{CASINO}">县旅游推介网</a>'
                           f'<a href="{HEALTHY}">健康新闻网</a></div>')
        for url, note in ((PARKED, "landing page: 该域名出售"), (CASINO, "landing page: casino")):
            b.expect("link.hijacked-external", site, target_url=url, page_url=site.url, note=note)
        b.expect("link.hijacked-external", site, target_url=HEALTHY, page_url=site.url, expect="no-finding",
                 note="healthy news site mentioning 体育彩票 once")
    site = b.site("county_c")
    if site is not None and not site.down:
        b.expect("link.hijacked-external", site, target_url=SPAM[0], page_url=site.url,
                 note="hidden link (seeds/ads.py) to a casino landing page")
