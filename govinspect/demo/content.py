"""Base content every demo site has: dated articles in CMS-style URLs, static assets, attachments,
and the outside hosts (national portal, filing services) that footers link to.
"""

from __future__ import annotations

import datetime as dt

from govinspect.demo import text
from govinspect.demo.builder import ClusterBuilder
from govinspect.demo.files import make_png
from govinspect.demo.model import Article, Column, SiteSpec

PER_LIST_PAGE = 20
ATTACH_KINDS = ("pdf", "xlsx", "docx")

CSS = "body{font-family:'Microsoft YaHei',SimSun,sans-serif;margin:0}#nav li{display:inline;margin:0 12px}\n"
JS = "function addFavorite(){try{window.external.addFavorite(location.href,document.title)}catch(e){}}\n"

_PNG_CACHE: dict[str, bytes] = {}


def png(name: str) -> bytes:
    """Shared small images; the emblem is red and gold, the banner blue."""
    if name not in _PNG_CACHE:
        specs = {
            "guohui": (60, 64, (222, 41, 16), (255, 215, 0)),
            "logo": (120, 40, (200, 30, 30), None),
            "ga": (20, 20, (40, 80, 160), (255, 255, 255)),
            "jiucuo": (110, 55, (210, 20, 20), (255, 255, 255)),
            "banner": (300, 60, (30, 90, 170), None),
            "map": (200, 100, (120, 170, 120), (90, 140, 90)),
            "red": (106, 50, (230, 0, 18), (255, 255, 255)),
        }
        w, h, colour, dot = specs[name]
        _PNG_CACHE[name] = make_png(w, h, colour, dot)
    return _PNG_CACHE[name]


def _column_base(site: SiteSpec, col: Column) -> str:
    if site.cms == "jcms":
        return f"/col/col{col.col_id}/"
    return "/xwzx/ywdt/" if col.key == "ywdt" else f"/xxgk/{col.key}/"


def _article_path(site: SiteSpec, col: Column, art_id: int, day: dt.date) -> str:
    if site.cms == "jcms":
        return f"/art/{day.year}/{day.month}/{day.day}/art_{col.col_id}_{art_id}.html"
    return f"{_column_base(site, col)}{day:%Y%m}/t{day:%Y%m%d}_{art_id}.html"


def attachment_url(site: SiteSpec, kind: str) -> str:
    """Where a site keeps its attachments: its first extra host if it has one, else /attach/."""
    if site.extra_hosts:
        return f"http://{site.extra_hosts[0]}/{site.role}/files/{site.id}_{kind}.{kind}"
    return site.abs(f"/attach/{site.id}_{kind}.{kind}")


def materialize(b: ClusterBuilder, site: SiteSpec, index: int, budget: int) -> None:
    """Give every column its dated articles (``budget`` in all) and list page paths, after seeds' plans."""
    next_id = 100 + index * 7
    short = text.short_name(site.shown_name)
    attached = 0
    for col in site.columns:
        count = 0 if col.empty else max(1, round(budget * col.share))
        col.articles = []
        for k in range(count):
            day = b.as_of - dt.timedelta(days=col.newest_age + k * col.interval)
            next_id += 1
            art = Article(next_id, text.title(b.rng, col.kind, short), day, _article_path(site, col, next_id, day))
            if col.kind in ("notice", "policy") and k % 4 == 0:
                art.attachment = attachment_url(site, ATTACH_KINDS[attached % len(ATTACH_KINDS)])
                attached += 1
            col.articles.append(art)
        pages = max(1, -(-count // PER_LIST_PAGE))
        base = _column_base(site, col)
        col.list_paths = [f"{base}index.html"] + [f"{base}index_{n}.html" for n in range(1, pages)]


def add_statics(b: ClusterBuilder, site: SiteSpec) -> None:
    b.add_file(site.host, "/css/style.css", CSS)
    b.add_file(site.host, "/js/common.js", JS)
    b.add_file(site.host, "/robots.txt", "User-agent: *\nDisallow: /admin/\n")
    for name in ("logo", "ga", "jiucuo", "banner") + (("guohui",) if site.has_emblem else ()):
        b.add_file(site.host, f"/images/{name}.png", png(name))
    short = text.short_name(site.name)
    for kind in ATTACH_KINDS:
        url = attachment_url(site, kind)
        host, path = url[len("http://") :].split("/", 1)
        lines = [
            f"{short}2026年度重点工作任务分解表",
            "序号\t工作任务\t责任单位\t完成时限",
            f"1\t推进政务公开标准化规范化\t{short}办公室\t2026年12月",
            f"2\t优化政务服务流程\t{short}政务服务中心\t2026年11月",
        ]
        b.add_attachment(host, "/" + path, f"{short}年度重点工作任务", lines)


def add_external_hosts(b: ClusterBuilder) -> None:
    """Hosts outside the cluster that every footer links to; served so they are not broken."""
    simple = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{t}</title></head><body><h1>{t}</h1></body></html>'
    )
    b.add_file("www.gov.cn", "/index.html", simple.format(t="中国政府网"))
    b.add_file("www.example-province.gov.cn", "/index.html", simple.format(t="示例省人民政府"))
    b.add_file("beian.miit.gov.cn", "/index.html", simple.format(t="ICP/IP地址/域名信息备案管理系统"))
    b.add_file("www.beian.gov.cn", "/portal/registerSystemInfo", simple.format(t="全国互联网安全管理服务平台"))
    b.add_file("bszs.conac.cn", "/sitename", simple.format(t="党政机关网站标识"))
    b.add_file("dcs.conac.cn", "/image/red.png", png("red"))
    b.add_file("zfwzgl.www.gov.cn", "/exposure/jiucuo.html", simple.format(t="我为政府网站找错"))


def add_archive(b: ClusterBuilder, site: SiteSpec, prefix: str = "/lsgd/") -> None:
    """A labelled 历史归档 section (registry ``archive_paths``), linked from the footer as 网站归档."""
    site.archive_paths.append(prefix)
    rows = []
    for n in range(1, 4):
        day = dt.date(2019, n * 3, 10 + n)
        path = f"{prefix}{day:%Y%m}/t{day:%Y%m%d}_{n}.html"
        title = f"{text.short_name(site.name)}{day.year}年第{n}季度工作动态（归档）"
        body = (
            f'<div class="archive-note">本页面已归档，归档时间：2020年12月31日</div><h1>{title}</h1>'
            f"<p>发布日期：{day.isoformat()}</p><p>{text.paragraphs(b.rng, 1)[0]}</p>"
        )
        b.add_page(site, path, title, body)
        rows.append(f'<li><a href="{path}">{title}</a><span class="date">{day.isoformat()}</span></li>')
    b.add_page(
        site,
        f"{prefix}index.html",
        "历史归档",
        '<div class="archive-note">以下信息已归档，归档时间：2020年12月31日，仅供查阅。</div>'
        f'<h2>历史归档</h2><ul class="list">{"".join(rows)}</ul>',
    )
    b.add_footer_link(site, f' | <a href="{prefix}index.html">网站归档</a>')
