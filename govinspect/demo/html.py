"""HTML templates of the demo sites: page chrome (header, navigation, footer) and page bodies.

Plain f-strings on purpose: the benchmark cluster renders 10,000+ pages and must build in seconds.
"""

from __future__ import annotations

import hashlib
from html import escape
from urllib.parse import quote

from govinspect.demo.model import Article, Column, SiteSpec

PROVINCE_PORTAL = "http://www.example-province.gov.cn/"
NATIONAL_PORTAL = "http://www.gov.cn/"


def conac_id(site: SiteSpec) -> str:
    return hashlib.md5(f"conac:{site.id}".encode()).hexdigest().upper()


def psb_code(site: SiteSpec) -> str:
    return "".join(ch for ch in site.psb if ch.isdigit())


def site_group_select(sites: list[SiteSpec]) -> str:
    """站群导航 dropdown: every registered site plus the national and provincial portals."""
    options = [
        f'<option value="{NATIONAL_PORTAL}">中国政府网</option>',
        f'<option value="{PROVINCE_PORTAL}">示例省人民政府</option>',
    ]
    options += [f'<option value="{s.url}">{escape(s.name)}</option>' for s in sites]
    return (
        '<select id="zqdh" name="zqdh" onchange="if(this.value){window.open(this.value)}">'
        '<option value="">—— 站群导航 ——</option>' + "".join(options) + "</select>"
    )


def header(site: SiteSpec) -> str:
    emblem = (
        '<img class="emblem" src="/images/guohui.png" alt="国徽" width="60" height="64">' if site.has_emblem else ""
    )
    return (
        f'<div id="top"><a name="top"></a><span class="welcome">欢迎访问{escape(site.shown_name)}</span>'
        '<a href="javascript:void(0)" onclick="addFavorite()">加入收藏</a></div>'
        f'<div id="header">{emblem}<img class="logo" src="/images/logo.png" alt="logo">'
        f'<h1 class="site-name">{escape(site.shown_name)}</h1></div>'
    )


def nav(site: SiteSpec) -> str:
    items = ['<li><a href="/">首页</a></li>']
    items += [f'<li><a href="{c.list_paths[0]}">{c.name}</a></li>' for c in site.columns if c.list_paths]
    return '<ul id="nav">' + "".join(items) + "</ul>"


def footer(site: SiteSpec, group_select: str, extra_links: str = "") -> str:
    marks = []
    if "site_code" not in site.missing_marks:
        marks.append(f"网站标识码：{site.display_code or site.id}")
    if "icp" not in site.missing_marks:
        marks.append(f'<a href="http://beian.miit.gov.cn/" target="_blank">{site.icp}</a>')
    if "psb" not in site.missing_marks:
        marks.append(
            f'<a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode={psb_code(site)}" '
            f'target="_blank"><img src="/images/ga.png" alt="公安备案" width="20" height="20">'
            f"{site.psb}</a>"
        )
    conac = ""
    if "conac" not in site.missing_marks:
        conac = (
            f'<span id="_ideConac"><a href="//bszs.conac.cn/sitename?method=show&amp;id={conac_id(site)}" '
            'target="_blank"><img id="imgConac" src="//dcs.conac.cn/image/red.png" alt="党政机关"></a></span>'
        )
    jiucuo = (
        f'<a href="http://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code={site.id}&amp;'
        f'url={quote(site.url, safe="")}" target="_blank"><img src="/images/jiucuo.png" '
        'alt="我为政府网站找错" width="110" height="55"></a>'
    )
    host = site.host.split(":", 1)[0]
    return (
        '<div id="footer">'
        f'<p class="links"><a href="/">网站首页</a> | <a href="mailto:webmaster@{host}">联系我们</a> | '
        f'<a href="tel:0558-5123456">0558-5123456</a> | <a href="#top">返回顶部</a>{extra_links}</p>'
        f'<p class="group">{group_select}</p>'
        f"<p>主办单位：{escape(site.organizer)}　{'　'.join(marks)}</p>"
        f'<p class="badges">{conac}{jiucuo}</p></div>'
    )


def document(
    site: SiteSpec, *, title: str, body: str, metas: dict[str, str], charset_label: str | None, chrome_footer: str
) -> str:
    """A full page with head, header, navigation, ``body`` and footer."""
    charset = f'<meta http-equiv="Content-Type" content="text/html; charset={charset_label}">' if charset_label else ""
    meta_tags = "".join(f'<meta name="{k}" content="{escape(v)}">' for k, v in metas.items())
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head>'
        + charset
        + f"<title>{escape(title)}</title>"
        + meta_tags
        + '<link rel="stylesheet" type="text/css" href="/css/style.css">'
        + '<script type="text/javascript" src="/js/common.js"></script></head>\n<body>'
        + header(site)
        + nav(site)
        + f'<div id="main">{body}</div>'
        + chrome_footer
        + "</body></html>\n"
    )


def item_list(articles: list[Article], limit: int | None = None) -> str:
    """Dated list items as CMS list pages and homepage blocks show them."""
    rows = articles if limit is None else articles[:limit]
    return (
        '<ul class="list">'
        + "".join(
            f'<li><a href="{a.path}" target="_blank" title="{escape(a.title)}">{escape(a.title)}</a>'
            f'<span class="date">{a.date.isoformat()}</span></li>'
            for a in rows
        )
        + "</ul>"
    )


def home_body(site: SiteSpec) -> str:
    blocks = ['<div class="banner"><img src="/images/banner.png" alt="banner" width="300" height="60"></div>']
    for col in site.columns:
        more = f'<a class="more" href="{col.list_paths[0]}">更多&gt;&gt;</a>' if col.list_paths else ""
        content = item_list(col.articles, 6) if col.articles else '<p class="empty">暂无信息</p>'
        blocks.append(f'<div class="block" id="{col.key}"><h2>{col.name}</h2>{more}{content}</div>')
    return "".join(blocks)


def list_body(col: Column, page: int, pages: int, rows: list[Article]) -> str:
    crumbs = (
        f'<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="{col.list_paths[0]}">{col.name}</a></div>'
    )
    if not rows:
        return crumbs + '<div class="list-box"><p class="empty">暂无信息</p></div>'
    pager = [f"<span>共{pages}页</span>"]
    if page > 0:
        pager.append(f'<a href="{col.list_paths[0]}">首页</a><a href="{col.list_paths[page - 1]}">上一页</a>')
    if page < pages - 1:
        pager.append(f'<a href="{col.list_paths[page + 1]}">下一页</a><a href="{col.list_paths[-1]}">尾页</a>')
    return crumbs + '<div class="list-box">' + item_list(rows) + '<div class="pager">' + "".join(pager) + "</div></div>"


def article_body(site: SiteSpec, col: Column, art: Article, paras: list[str]) -> str:
    attach = ""
    if art.attachment:
        fname = art.attachment.rsplit("/", 1)[-1]
        attach = f'<div class="attach">附件：<a href="{art.attachment}">{escape(art.title)}（{fname}）</a></div>'
    text = "".join(f"<p>{escape(p)}</p>" for p in paras)
    return (
        f'<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="{col.list_paths[0]}">{col.name}</a></div>'
        f'<div class="article"><h1>{escape(art.title)}</h1>'
        f'<div class="info">发布日期：{art.date.isoformat()}　来源：{escape(site.shown_name)}</div>'
        f'<div class="content">{text}</div>{attach}'
        '<div class="tools"><a href="javascript:window.print()">打印本页</a> '
        '<a href="javascript:window.close()">关闭窗口</a></div></div>'
    )
