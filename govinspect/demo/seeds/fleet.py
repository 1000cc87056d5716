"""Cases whose findings need state the whole run shares, for small clusters (the fleet tests' city
and three counties), where a fleet of workers must find what one process finds:

* one mirrored flag, kept on the city's host, shown on the homepages of every site: contexts from
  several sites (and workers) wait for one download (``image.flag-misuse`` on each homepage);
* 示北县's header emblem is a greyscale emblem drawn square but shown at 60×64, on every page: the
  contexts of all its pages wait for one download (``image.emblem-misuse``);
* 示北县's server answers missing pages with 200 and its own error page: an article links a removed
  page (``link.soft-404``, learned from the site's error page by whichever worker fetched it), and a
  page titled 页面不存在 is linked from the homepage.

Not in ``SEEDS``: the default cluster has its own cases on its own sites (民政局's soft 404s, the
images seed's flags); small clusters load it by name (``seed_names=[..., "fleet"]``).
"""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder
from govinspect.demo.seeds.soft404 import ERROR_PAGE, GONE_PAGE
from inspectors.images.drawing import draw_emblem, draw_flag, encode

SHARED_FLAG = "/images/fleet/gq_shared.png"
REMOVED = "/art/2021/3/4/art_88_4321.html"
GONE = "/xxgk/jgsz/old.html"


def apply(b: ClusterBuilder) -> None:
    city = b.site("city")
    if city is not None and not city.down:
        flag = b.add_file(city.host, SHARED_FLAG, encode(draw_flag(300, 200, mirrored=True)))
        for site in b.up_sites():
            b.inject(site.url, f'<div class="block"><img src="{flag}" alt="国旗" width="150" height="100"></div>')
            b.expect("image.flag-misuse", site, target_url=flag, page_url=site.url,
                     note="one mirrored flag shown by every site")
    site = b.site("county_b")
    if site is None or site.down or not site.has_emblem:
        return
    emblem = b.add_file(site.host, "/images/guohui.png", encode(draw_emblem(240, grey=True)))
    b.expect("image.emblem-misuse", site, target_url=emblem, page_url=site.url,
             note="greyscale, square file shown at 60×64, in every page's header")
    b.not_found(site.host, 200, ERROR_PAGE.replace("示例市民政局", site.name))
    if found := b.article(site, "tzgg"):
        _, art = found
        b.inject(site.abs(art.path), f'<p>相关阅读：<a href="{REMOVED}">往年通知</a></p>')
        b.expect("link.soft-404", site, target_url=site.abs(REMOVED), page_url=site.abs(art.path),
                 note="missing page answered 200 with the site's error page")
    b.add_file(site.host, GONE, GONE_PAGE)
    b.inject(site.url, f'<div class="block"><a href="{GONE}">原机构设置</a></div>')
    b.expect("link.soft-404", site, target_url=site.abs(GONE), page_url=site.url, note="title 页面不存在, 200")
