"""Defacement signs (``security.injected-content``) a first complete run can see: a script redirect
to a casino (示北县 article), a meta refresh to a non-government host (人社局 article), a visible
block of gambling keywords (民政局 article) and the off-screen block of ``seeds/ads.py`` (示东区).
Decoys: an analytics script from a host on no allow list (new hosts only count against a previous
complete run; the demo's store has none, and a second demo run sees it was there last run), and news
about a crackdown that names 六合彩 once."""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder

REDIRECT = "http://www.xpj-example.com/"
REFRESH = "http://www.amjs-example.com/"
STATS = "http://tongji.example-stats.cn/s.js"


def apply(b: ClusterBuilder) -> None:
    b.add_file(STATS[7:].split("/", 1)[0], "/s.js", "/* page statistics */")
    if (site := b.site("county_b")) and not site.down:
        if found := b.article(site, "ywdt", 2):
            _, art = found
            b.inject(site.abs(art.path), (
                "<script>var s=navigator.userAgent.toLowerCase();if(s.indexOf('spider')<0)"
                f"{{window.location.href='{REDIRECT}';}}</script>"))
            b.expect("security.injected-content", site, target_url=REDIRECT, page_url=site.abs(art.path),
                     note="script redirect to a casino")
        if found := b.article(site, "ywdt", 3):
            _, art = found
            b.inject(site.abs(art.path),
                     "<p>市公安局近日破获一起利用境外六合彩网站组织网络赌博的案件，提醒市民远离赌博。</p>")
            b.expect("security.injected-content", site, page_url=site.abs(art.path), expect="no-finding",
                     note="news about a crackdown naming 六合彩 once")
        b.inject(site.url, f'<script src="{STATS}"></script>')
        b.expect("security.injected-content", site, target_url=STATS, page_url=site.url, expect="no-finding",
                 note="analytics script from an unlisted host (no previous run to call it new)")
    if (site := b.site("rsj")) and not site.down and (found := b.article(site, "tzgg")):
        _, art = found
        b.inject(site.abs(art.path), f'<meta http-equiv="refresh" content="3;url={REFRESH}">')
        b.expect("security.injected-content", site, target_url=REFRESH, page_url=site.abs(art.path),
                 note="meta refresh to a non-government host")
    if (site := b.site("mzj")) and not site.down and (found := b.article(site, "ywdt", 1)):
        _, art = found
        b.inject(site.abs(art.path), '<div class="links">皇冠体育 真人百家乐 时时彩 开户送彩金</div>')
        b.expect("security.injected-content", site, page_url=site.abs(art.path), note="visible gambling block")
    if (site := b.site("county_c")) and not site.down:
        b.expect("security.injected-content", site, page_url=site.url, note="off-screen gambling block (seeds/ads.py)")
