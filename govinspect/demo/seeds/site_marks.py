"""Page meta tags, domains, the superior-portal link and the annual website report
(identity.meta-missing, identity.domain-nonstandard, identity.superior-link-missing,
identity.annual-report-missing).

* 示东区 pages carry no ``ContentSource`` (article:ContentSource) and 人社局 pages no ``SiteDomain``
  (homepage:SiteDomain); an extra 教育局 article with a date-only ``PubDate`` is the decoy.
  Seeded pages of other seeds that sit at CMS article URLs without meta tags are findings too
  (article:ArticleTitle, PubDate, ContentSource), recorded here from the pages as built.
* 大数据中心, a department added to the default cluster here (sized clusters keep their exact count),
  is registered at ``www.example-dsj.cn``: neither
  ``.gov.cn`` nor under the city's domain.
* Every child site's footer links the city portal except 民政局's (its site-group dropdown lists the
  city, which does not count); 教育局 links it as ``/index.html`` (decoy).
* Every homepage links the previous year's 政府网站工作年度报表 except 示北县's, which links only
  the year before; the city's link names it in its ``title`` with another wording (decoy).
"""

from __future__ import annotations

import re

from govinspect.demo.builder import ClusterBuilder
from govinspect.demo.model import SiteSpec
from govinspect.demo.sites import _columns as site_columns

ARTICLE_URL = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_|/t\d{8}_\d+\.\w+$|/content_\d+\.\w+$|/art_\d+_\d+\.\w+$")
ARTICLE_TAGS = ("ArticleTitle", "PubDate", "ContentSource")
NONSTANDARD_HOST = "www.example-dsj.cn"
NONSTANDARD_ID = "3416000099"


def plan(b: ClusterBuilder) -> None:
    if site := b.site("county_c"):
        site.omit_metas.add("ContentSource")
    if site := b.site("rsj"):
        site.omit_metas.add("SiteDomain")
    city = b.site("city")
    if city is not None and b.site("dsj") is None and not b.options.get("fixed_site_count"):
        # a department registered on a commercial domain, outside the city's .gov.cn domain
        site = SiteSpec(role="dsj", id=NONSTANDARD_ID, name="示例市大数据中心", organizer="示例市大数据中心",
                        level="department", host=NONSTANDARD_HOST, parent=city.id, columns=site_columns(len(b.sites)))
        site.icp = "皖ICP备20260099号-2"
        site.psb = "皖公网安备 34160202109999号"
        b.sites.append(site)


def apply(b: ClusterBuilder) -> None:
    city = b.site("city")
    year = b.as_of.year - 1
    for site in b.up_sites():
        if city and site.parent == city.id and site.role != "mzj":
            target = city.abs("/index.html") if site.role == "jyj" else city.url
            b.add_footer_link(site, f' | <a href="{target}" target="_blank">{city.name}</a>')
        report_year = year - 1 if site.role == "county_b" else year
        title = f' title="{site.name}{report_year}年政府网站年度工作报表"' if site.role == "city" else ""
        b.add_footer_link(site, f' | <a href="/bbxx/{report_year}/ndbb.html"{title}>{report_year}年度工作报表</a>'
                          if site.role == "city" else
                          f' | <a href="/bbxx/{report_year}/ndbb.html">{report_year}年度政府网站工作年度报表</a>')
        b.add_page(site, f"/bbxx/{report_year}/ndbb.html", f"{report_year}年度政府网站工作年度报表",
                   f"<h1>{site.name}{report_year}年度政府网站工作年度报表</h1><p>报表内容略。</p>")
    _expect(b, year)


def _expect(b: ClusterBuilder, year: int) -> None:
    sites = {s.role: s for s in b.up_sites()}
    if site := sites.get("county_c"):
        b.expect("identity.meta-missing", site, page_url=site.url, key="article:ContentSource",
                 note="no ContentSource on any page")
    if site := sites.get("rsj"):
        b.expect("identity.meta-missing", site, page_url=site.url, key="homepage:SiteDomain",
                 note="no SiteDomain on any page")
    if site := sites.get("dsj"):
        b.expect("identity.domain-nonstandard", site, page_url=site.url, note=NONSTANDARD_HOST)
    if site := sites.get("jyj"):
        path = f"/xxgk/tzgg/{b.as_of:%Y%m}/t{b.as_of:%Y%m%d}_8801.html"
        title = "示例市教育局关于做好寒假安全教育工作的通知"
        url = b.add_page(site, path, title, f"<h1>{title}</h1><p>正文略。</p>", metas={
            "SiteName": site.shown_name, "SiteDomain": site.host, "SiteIDCode": site.id, "ColumnName": "通知公告",
            "ColumnType": "通知公告", "ArticleTitle": title, "PubDate": b.as_of.isoformat(),
            "ContentSource": site.name})
        b.inject(site.url, f'<div class="block"><h2>最新通知</h2><a href="{path}">{title}</a></div>')
        b.expect("identity.meta-missing", site, page_url=url, key="article:PubDate", expect="no-finding",
                 note="date-only PubDate counts as present")
        b.expect("identity.superior-link-missing", site, page_url=site.url, expect="no-finding",
                 note="links the city as /index.html")
        b.expect("identity.domain-nonstandard", site, page_url=site.url, expect="no-finding",
                 note="department under the city's domain")
    if site := sites.get("county_a"):
        b.expect("identity.domain-nonstandard", site, page_url=site.url, expect="no-finding",
                 note="a county portal has a .gov.cn domain of its own")
    if site := sites.get("mzj"):
        b.expect("identity.superior-link-missing", site, page_url=site.url,
                 note="the city only in the site-group dropdown")
    if site := sites.get("county_b"):
        b.expect("identity.annual-report-missing", site, page_url=site.url, note=f"links only the {year - 1} report")
    if site := sites.get("city"):
        b.expect("identity.annual-report-missing", site, page_url=site.url, expect="no-finding",
                 note="report named in the link title")
    # Pages other seeds added at CMS article URLs without article meta tags.
    missing: dict[str, set[str]] = {}
    for spec in b.pages.values():
        if spec.site.down or not ARTICLE_URL.search(spec.path):
            continue
        for tag in ARTICLE_TAGS:
            if tag not in spec.metas or tag in spec.site.omit_metas:
                missing.setdefault(spec.site.role, set()).add(tag)
    for role, tags in sorted(missing.items()):
        for tag in sorted(tags):
            if role == "county_c" and tag == "ContentSource":
                continue
            b.expect("identity.meta-missing", sites[role], page_url=sites[role].url, key=f"article:{tag}",
                     note="a seeded page at an article URL without meta tags")
