"""Link problems and link kinds.

Broken targets (404, 500, unknown host, redirect loop, a hanging URL, a missing attachment on an
extra host, one per link kind on a 网站检查 page), answers that are not broken (HEAD 405 with GET
200, 429 then 200, a redirect chain that ends well), a WAF host answering 403 with a JavaScript
challenge (blocked), a host inside the city's domain that is not registered, and every link kind
(``a``, ``area``, ``iframe``, ``frame``, ``img``, ``script``, ``link``, ``option``, ``onclick``) used
for real navigation on the city portal.
"""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder
from govinspect.demo.content import png
from govinspect.demo.model import SiteSpec
from govinspect.demo.sites import CITY_DOMAIN

PROVINCE = "www.example-province.gov.cn"
WAF_HOST = "zwfw.example-province.gov.cn"
DEAD_URL = "http://old.example-province.gov.cn/index.html"
UNREGISTERED = f"bbs.{CITY_DOMAIN}"
HEAD405_URL = f"http://{PROVINCE}/zwgk/zfxxgk/index.html"
HANG_URL = f"http://{PROVINCE}/hdjl/zxft/live.html"

WAF_BODY = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>安全验证</title>'
    "<script>var _0x3f=['cookie','wzws_cid'];function _wzwsChallenge(){document.cookie="
    "'wzws_cid='+(new Date().getTime()).toString(16)+';path=/';location.reload();}"
    "setTimeout(_wzwsChallenge,1000);</script></head><body><noscript>请开启JavaScript并刷新该页。"
    "</noscript><div>正在进行安全检测，请稍候……</div></body></html>"
)

LINK_KINDS_PATH = "/ztzl/wzjc/index.html"
FRAMES_PATH = "/ztzl/wzjc/frames.html"


def _simple(b: ClusterBuilder, site: SiteSpec, path: str, title: str, text: str = "") -> str:
    return b.add_page(site, path, title, f"<h1>{title}</h1><p>{text or title}</p>")


def apply(b: ClusterBuilder) -> None:
    _outside_hosts(b)
    city = b.site("city")
    if city and not city.down:
        _city(b, city)
        _link_kinds_page(b, city)
    _other_sites(b)


def _outside_hosts(b: ClusterBuilder) -> None:
    page = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{t}</title></head><body><h1>{t}</h1></body></html>'
    b.add_file(PROVINCE, "/zwgk/zfxxgk/index.html", page.format(t="政府信息公开"))
    b.behave(PROVINCE, "/zwgk/zfxxgk/index.html", head_status=405)
    b.add_file(PROVINCE, "/hdjl/zxft/live.html", page.format(t="在线访谈直播"))
    b.behave(PROVINCE, "/hdjl/zxft/live.html", delay=float(b.options.get("hang_seconds", 20.0)))
    b.behave(
        WAF_HOST,
        None,
        status=403,
        body=WAF_BODY,
        content_type="text/html; charset=utf-8",
        headers={"Server": "WAF/2.0", "Set-Cookie": "wzws_sid=demo; path=/"},
    )
    b.add_file(UNREGISTERED, "/index.html", page.format(t="示例市民论坛（旧版）"))


def _city(b: ClusterBuilder, city: SiteSpec) -> None:
    home = city.url
    ywdt = city.column("ywdt")
    chain_end = city.abs(ywdt.list_paths[0]) if ywdt and ywdt.list_paths else city.abs("/index.html")
    county_links = "".join(
        f'<area shape="rect" coords="{i * 50},0,{i * 50 + 50},100" href="{s.url}" alt="{s.name}">'
        for i, s in enumerate(x for x in b.sites if x.level == "county")
    )
    b.inject(
        home,
        (
            '<div class="block" id="bmfw"><h2>便民服务</h2>'
            '<img src="/images/map.png" usemap="#qhmap" alt="行政区划" width="200" height="100">'
            f'<map name="qhmap">{county_links}</map>'
            '<iframe src="/zt/weather.html" width="300" height="60" frameborder="0" scrolling="no"></iframe>'
            "<ul>"
            '<li><a href="javascript:void(0)" onclick="window.open(\'/hdjl/index.html\')">互动交流</a></li>'
            '<li><button type="button" onclick="location.href=\'/bmfw/index.html\'">办事服务</button></li>'
            '<li><a href="/xxgk/frame/index.html">信息公开目录（旧版）</a></li>'
            f'<li><a href="http://{WAF_HOST}/" target="_blank">示例省政务服务网</a></li>'
            f'<li><a href="{HEAD405_URL}" target="_blank">省政府信息公开</a></li>'
            '<li><a href="/zmhd/index.html">政民互动</a></li>'
            '<li><a href="/old/index.html">旧版要闻</a></li>'
            '<li><a href="/jsearchfront/search.do">站内搜索</a></li>'
            f'<li><a href="http://{UNREGISTERED}/" target="_blank">市民论坛</a></li>'
            f'<li><a href="{LINK_KINDS_PATH}">网站检查专题</a></li>'
            "</ul></div>"
        ),
    )
    b.add_file(city.host, "/images/map.png", png("map"))
    _simple(b, city, "/zt/weather.html", "天气预报", "今日晴，12℃～21℃")
    _simple(b, city, "/hdjl/index.html", "互动交流", "市长信箱 在线咨询 征集调查")
    _simple(b, city, "/bmfw/index.html", "办事服务", "个人办事 法人办事 部门服务")
    _simple(b, city, "/zmhd/index.html", "政民互动", "12345热线 网上信访")
    b.behave(
        city.host,
        "/zmhd/index.html",
        status=429,
        headers={"Retry-After": "1"},
        times=1,
        window=30.0,
        body="<html><body><h1>429 Too Many Requests</h1></body></html>",
        content_type="text/html",
    )
    b.behave(city.host, "/old/index.html", status=301, location="/redirect/step2.html")
    b.behave(city.host, "/redirect/step2.html", status=302, location=chain_end)
    b.behave(
        city.host,
        "/jsearchfront/search.do",
        status=500,
        body="<html><body><h1>500 Internal Server Error</h1></body></html>",
        content_type="text/html",
    )
    frames = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>信息公开目录</title></head>'
        '<frameset cols="220,*"><frame src="left.html" name="left"><frame src="main.html" name="main">'
        "</frameset></html>"
    )
    b.add_page(city, "/xxgk/frame/index.html", "信息公开目录", frames, chrome=False)
    _simple(b, city, "/xxgk/frame/left.html", "目录导航", "机构职能 政策文件 规划计划")
    _simple(b, city, "/xxgk/frame/main.html", "信息公开目录", "请在左侧选择目录")

    for kind, target, page in (
        ("area[href]", b.site("county_a"), home),
        ("iframe[src]", "/zt/weather.html", home),
        ("frame[src]", "/xxgk/frame/left.html", city.abs("/xxgk/frame/index.html")),
        ("onclick:window.open", "/hdjl/index.html", home),
        ("onclick:location.href", "/bmfw/index.html", home),
        ("option[value]", "http://www.gov.cn/", home),
        ("img[src]", "/images/logo.png", home),
        ("script[src]", "/js/common.js", home),
        ("link[href]", "/css/style.css", home),
        ("a[href]", LINK_KINDS_PATH, home),
    ):
        if target is None:
            continue
        url = target.url if isinstance(target, SiteSpec) else (target if "://" in target else city.abs(target))
        b.expect(None, city, target_url=url, page_url=page, expect="link", link_kind=kind)

    b.expect("link.broken", city, target_url=city.abs("/jsearchfront/search.do"), page_url=home, note="500")
    b.expect(
        None,
        city,
        target_url=f"http://{WAF_HOST}/",
        page_url=home,
        expect="blocked",
        note="WAF answers 403 with a JavaScript challenge",
    )
    b.expect(None, city, target_url=HEAD405_URL, page_url=home, expect="not-broken", note="HEAD 405, GET 200")
    b.expect(
        None,
        city,
        target_url=city.abs("/zmhd/index.html"),
        page_url=home,
        expect="not-broken",
        note="first request 429 with Retry-After: 1, then 200",
    )
    b.expect(
        None,
        city,
        target_url=city.abs("/old/index.html"),
        page_url=home,
        expect="not-broken",
        note="301 then 302 to a list page",
        final_url=chain_end,
    )
    b.expect("registry.unregistered-site", city, target_url=f"http://{UNREGISTERED}", page_url=home)

    if found := b.article(city, "tzgg"):
        _, art = found
        missing = "/xxgk/tzgg/201901/t20190101_404.html"
        b.inject(city.abs(art.path), f'<p>相关链接：<a href="{missing}">原通知全文</a></p>')
        b.expect("link.broken", city, target_url=city.abs(missing), page_url=city.abs(art.path), note="404")


def _link_kinds_page(b: ClusterBuilder, city: SiteSpec) -> None:
    """One broken target per link kind, and the non-links that must be ignored."""

    def miss(name: str) -> str:
        return f"/wzjc/missing-{name}"

    body = (
        '<h1>网站检查专题</h1><div class="kinds">'
        f'<p><a href="{miss("a.html")}">失效链接</a></p>'
        f'<img src="/images/map.png" usemap="#wzjcmap" alt="示意图" width="200" height="100">'
        f'<map name="wzjcmap"><area shape="rect" coords="0,0,100,100" href="{miss("area.html")}" alt="区域"></map>'
        f'<iframe src="{miss("iframe.html")}" width="300" height="80"></iframe>'
        f'<p><img src="{miss("img.png")}" alt="图片"></p>'
        f'<script type="text/javascript" src="{miss("script.js")}"></script>'
        f'<link rel="stylesheet" type="text/css" href="{miss("link.css")}">'
        f'<select name="qt" onchange="window.open(this.value)"><option value="">相关网站</option>'
        f'<option value="{city.abs(miss("option.html"))}">失效选项</option></select>'
        f'<p><a href="javascript:void(0)" onclick="window.open(\'{miss("open.html")}\')">弹出窗口</a></p>'
        f'<p><button type="button" onclick="location.href=\'{miss("location.html")}\'">跳转</button></p>'
        f'<p><a href="{FRAMES_PATH}">框架页</a></p>'
        '<p class="nonlinks"><a href="javascript:void(0)">无链接</a> <a href="mailto:wzjc@example-city.gov.cn">'
        '邮件</a> <a href="tel:0558-12345">热线</a> <a href="#top">顶部</a></p></div>'
    )
    page = b.add_page(city, LINK_KINDS_PATH, "网站检查专题", body)
    frames = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>框架页</title></head>'
        f'<frameset rows="50%,50%"><frame src="{miss("frame.html")}"><frame src="/zt/weather.html"></frameset></html>'
    )
    frames_url = b.add_page(city, FRAMES_PATH, "框架页", frames, chrome=False)
    for kind, name in (
        ("a[href]", "a.html"),
        ("area[href]", "area.html"),
        ("iframe[src]", "iframe.html"),
        ("img[src]", "img.png"),
        ("script[src]", "script.js"),
        ("link[href]", "link.css"),
        ("option[value]", "option.html"),
        ("onclick:window.open", "open.html"),
        ("onclick:location.href", "location.html"),
        ("frame[src]", "frame.html"),
    ):
        b.expect(
            "link.broken",
            city,
            target_url=city.abs(miss(name)),
            page_url=frames_url if kind == "frame[src]" else page,
            note="404",
            link_kind=kind,
        )
    for href in ("javascript:void(0)", "mailto:wzjc@example-city.gov.cn", "tel:0558-12345", "#top"):
        b.expect(None, city, target_url=href, page_url=page, expect="not-link")


def _other_sites(b: ClusterBuilder) -> None:
    if (site := b.site("county_a")) and not site.down:
        b.inject(site.url, f'<div class="block"><h2>友情链接</h2><a href="{DEAD_URL}">原示例省投资促进网</a></div>')
        b.expect("link.broken", site, target_url=DEAD_URL, page_url=site.url, note="host not in the cluster (502)")
        if found := b.article(site, "ywdt"):
            _, art = found
            missing = "/art/2019/1/1/art_0_1.html"
            b.inject(site.abs(art.path), f'<p>延伸阅读：<a href="{missing}">往期报道</a></p>')
            b.expect("link.broken", site, target_url=site.abs(missing), page_url=site.abs(art.path), note="404")
    if (site := b.site("county_b")) and not site.down and (found := b.article(site, "tzgg")):
        _, art = found
        b.inject(site.abs(art.path), f'<p>直播地址：<a href="{HANG_URL}">在线访谈</a></p>')
        b.expect(
            "link.broken",
            site,
            target_url=HANG_URL,
            page_url=site.abs(art.path),
            note="timeout",
            delay_seconds=float(b.options.get("hang_seconds", 20.0)),
        )
    if (site := b.site("jyj")) and not site.down:
        b.inject(site.url, '<div class="block"><h2>专题</h2><a href="/loop/a">招生考试专题</a></div>')
        b.behave(site.host, "/loop/a", status=302, location="/loop/b")
        b.behave(site.host, "/loop/b", status=302, location="/loop/a")
        b.expect("link.broken", site, target_url=site.abs("/loop/a"), page_url=site.url, note="redirect loop")
        if site.extra_hosts:
            missing = f"http://{site.extra_hosts[0]}/{site.role}/files/2019_zsjh.xlsx"
            b.inject(site.url, f'<p>附件：<a href="{missing}">2019年招生计划.xlsx</a></p>')
            b.expect(
                "link.broken", site, target_url=missing, page_url=site.url, note="404 on the site's attachment host"
            )
    if (site := b.site("rsj")) and not site.down:
        b.inject(site.url, '<div class="block"><a href="/zwgk/rsks/index.html">人事考试</a></div>')
        b.expect(
            "link.broken",
            site,
            target_url=site.abs("/zwgk/rsks/index.html"),
            page_url=site.url,
            note="404 on a host with a port",
        )
