"""Soft 404s (``link.soft-404``) on 民政局, whose server answers missing pages with 200 and its own
error page: an article links a removed page (matches the site's error page, learned by asking for a
URL that cannot exist), and a 信息公开 link leads to a page titled 页面不存在. Decoy: an article about
404 error pages, linked from the homepage."""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder

ERROR_PAGE = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>温馨提示 - 示例市民政局</title></head>'
              '<body><div class="top">示例市民政局</div><div class="tip"><p>抱歉，您要查看的信息已调整或删除。</p>'
              '<p><a href="/">返回首页</a></p></div></body></html>')
REMOVED = "/art/2020/5/6/art_99_1234.html"
GONE = "/xxgk/ygwj/index.html"
GONE_PAGE = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>页面不存在</title></head>'
             "<body><h1>404</h1><p>您访问的页面不存在或已被删除。</p></body></html>")
ARTICLE = "/art/2026/11/2/art_404_1.html"
ARTICLE_TEXT = ("依据《政府网站发展指引》，各级政府网站应设置统一规范的404错误页面，在用户访问的页面不存在时，"
                "给出友好提示，并提供返回首页、站内搜索等引导，避免出现空白页面或服务器默认报错页面。") * 12


def apply(b: ClusterBuilder) -> None:
    site = b.site("mzj")
    if site is None or site.down:
        return
    b.not_found(site.host, 200, ERROR_PAGE)
    if found := b.article(site, "tzgg"):
        _, art = found
        b.inject(site.abs(art.path), f'<p>相关阅读：<a href="{REMOVED}">2020年低保标准调整通知</a></p>')
        b.expect("link.soft-404", site, target_url=site.abs(REMOVED), page_url=site.abs(art.path),
                 note="missing page answered 200 with the site's error page")
    b.add_file(site.host, GONE, GONE_PAGE)
    b.inject(site.url, f'<div class="block"><a href="{GONE}">原公开文件目录</a>'
                       f'<a href="{ARTICLE}">网站404错误页面设置规范解读</a></div>')
    b.expect("link.soft-404", site, target_url=site.abs(GONE), page_url=site.url, note="title 页面不存在, 200")
    title = "网站404错误页面设置规范解读"
    b.add_page(site, ARTICLE, title, f"<h1>{title}</h1><p>{ARTICLE_TEXT}</p>")
    b.expect("link.soft-404", site, target_url=site.abs(ARTICLE), page_url=site.url, expect="no-finding",
             note="an article about 404 error pages")
