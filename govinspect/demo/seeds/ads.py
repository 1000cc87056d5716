"""Ads and hidden spam links: ad-network scripts, an ad slot, hidden 暗链 blocks, and their decoys.

Findings: ``ad.network`` (Baidu Union scripts on 示北县's homepage), ``ad.commercial`` (an ad slot for
a private clinic on one of its articles), ``ad.hidden-link`` (an off-screen gambling block on 示东区's
homepage, a ``font-size:0`` class rule on 教育局's homepage). Non-findings: Baidu statistics
(hm.baidu.com), a 公益广告 block, news that mentions 广告, and a hover drop-down menu of links.
"""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder

PAGE = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{t}</title></head><body><h1>{t}</h1></body></html>'
AD_SCRIPTS = ("http://cpro.baidustatic.com/cpro/ui/c.js", "http://pos.baidu.com/s")
STATS = "http://hm.baidu.com/hm.js"
CLINIC = "http://www.meirong-example.com/"
WENMING = "http://www.wenming-example.cn/"
SPAM = ("http://www.bocai-example.com/", "http://www.sifu-example.net/")
INVOICE = "http://www.daikai-example.com/"
PEOPLE = "http://www.people-example.cn/"


def apply(b: ClusterBuilder) -> None:
    for url in AD_SCRIPTS + (STATS,):
        host, _, path = url[7:].partition("/")
        b.add_file(host, "/" + path, "/* demo */")
    for url, title in ((CLINIC, "示例整形美容医院"), (WENMING, "文明网"), (SPAM[0], "娱乐城"),
                       (SPAM[1], "私服发布"), (INVOICE, "代开发票"), (PEOPLE, "人民网")):
        b.add_file(url[7:].rstrip("/"), "/index.html", PAGE.format(t=title))
    _network_and_commercial(b)
    _hidden(b)


def _network_and_commercial(b: ClusterBuilder) -> None:
    site = b.site("county_b")
    if site is None or site.down:
        return
    home = site.url
    b.inject(home, (
        '<div class="block" id="tuiguang">'
        + "".join(f'<script type="text/javascript" src="{u}"></script>' for u in AD_SCRIPTS)
        + f'<script src="{STATS}"></script>'
        f'<div class="guanggao"><a href="{WENMING}">公益广告：文明城市 你我共建</a></div></div>'
    ))
    for url in AD_SCRIPTS:
        b.expect("ad.network", site, target_url=url, page_url=home, note="Baidu Union script")
    b.expect("ad.network", site, target_url=STATS, page_url=home, expect="no-finding", note="Baidu statistics")
    b.expect("ad.commercial", site, page_url=home, expect="no-finding", note="公益广告 block")
    if found := b.article(site, "ywdt"):
        _, art = found
        b.inject(site.abs(art.path), (
            f'<div class="ad-slot"><a href="{CLINIC}"><span>广告</span>示例整形美容医院 专家坐诊 优惠热线</a></div>'
        ))
        b.expect("ad.commercial", site, page_url=site.abs(art.path), note="ad slot for a private clinic")
    if found := b.article(site, "ywdt", 1):
        _, art = found
        b.inject(site.abs(art.path), (
            "<p>市市场监管局近日开展虚假违法广告专项整治行动，共检查户外广告设施120处，"
            f'相关报道见<a href="{PEOPLE}">人民网</a>。</p>'
        ))
        b.expect("ad.commercial", site, page_url=site.abs(art.path), expect="no-finding",
                 note="news that mentions 广告")


def _hidden(b: ClusterBuilder) -> None:
    site = b.site("county_c")
    if site is not None and not site.down:
        b.inject(site.url, (
            '<div style="position:absolute;left:-9999px;top:-9999px">'
            f'<a href="{SPAM[0]}">百家乐 真人娱乐</a><a href="{SPAM[1]}">传奇私服</a></div>'
            "<style>.yqlj .sub{display:none}.yqlj li:hover .sub{display:block}</style>"
            f'<ul class="yqlj"><li>友情链接<div class="sub"><a href="{PEOPLE}">人民网</a></div></li></ul>'
        ))
        for url in SPAM:
            b.expect("ad.hidden-link", site, target_url=url, page_url=site.url, note="off-screen block")
        b.expect("ad.hidden-link", site, target_url=PEOPLE, page_url=site.url, expect="no-finding",
                 note="hover drop-down menu")
    site = b.site("jyj")
    if site is not None and not site.down:
        b.inject(site.url, f'<style>.lk9{{font-size:0}}</style><p class="lk9"><a href="{INVOICE}">代开发票</a></p>')
        b.expect("ad.hidden-link", site, target_url=INVOICE, page_url=site.url, note="font-size:0 class rule")
