"""identity.meta-missing, identity.domain-nonstandard, identity.superior-link-missing,
identity.annual-report-missing: positives and decoys."""

from __future__ import annotations

from datetime import date

from govinspect.registry import Registry, Site
from inspectors.identity_meta import MetaTagInspector
from inspectors.identity_site import SiteIdentityInspector

from .helpers import CITY, COUNTY, JYJ, RSJ, build, page, rules

HOME_METAS = ('<meta name="SiteName" content="示例市人民政府"><meta name="SiteDomain" content="www.example-city.gov.cn">'
              '<meta name="SiteIDCode" content="3416000001">')
ART_METAS = ('<meta name="ArticleTitle" content="关于开展安全检查的通知"><meta name="PubDate" content="2026-11-03 09:30">'
             '<meta name="ContentSource" content="示例市应急管理局">')
ARTICLE_URL = "http://www.example-city.gov.cn/xxgk/tzgg/202611/t20261103_123.html"


def doc(head: str = "", body: str = "<p>正文</p>") -> str:
    return f"<html><head><title>示例市人民政府</title>{head}</head><body>{body}</body></html>"


def meta(html: str, url: str = CITY.url, **kw):
    return list(build(MetaTagInspector).inspect_page(page(html, url, **kw)))


# ---- identity.meta-missing ---------------------------------------------------------------------
def test_complete_pages_have_no_meta_findings():
    assert meta(doc(HOME_METAS), homepage=True) == []
    assert meta(doc(ART_METAS), ARTICLE_URL) == []
    column = '<meta name="ColumnName" content="通知公告"><meta name="ColumnType" content="通知公告">'
    assert meta(doc(column), CITY.url + "xxgk/tzgg/index.html") == []


def test_missing_tags_are_keyed_by_page_kind_and_tag():
    obs = meta(doc(HOME_METAS.replace('<meta name="SiteDomain" content="www.example-city.gov.cn">', "")),
               homepage=True)
    assert [(o.key, o.evidence["page_kind"], o.evidence["tag"]) for o in obs] == [
        ("homepage:SiteDomain", "homepage", "SiteDomain")]
    art = meta(doc('<meta name="ArticleTitle" content="通知"><meta name="PubDate" content="">'), ARTICLE_URL)
    assert sorted(o.key for o in art) == ["article:ContentSource", "article:PubDate"]


def test_column_page_named_by_navigation_without_metas():
    obs = meta(doc(body="<ul><li><a href='/a.html'>一</a><span>2026-11-01</span></li></ul>"),
               CITY.url + "xxgk/tzgg/index.html", link_text="通知公告")
    assert sorted(o.key for o in obs) == ["column:ColumnName", "column:ColumnType"]


def test_decoy_date_only_pubdate_counts_as_present():
    assert meta(doc(ART_METAS.replace("2026-11-03 09:30", "2026-11-03")), ARTICLE_URL) == []


def test_site_id_code_differing_from_the_registry():
    (o,) = meta(doc(HOME_METAS.replace('content="3416000001"', 'content="3416000099"')), homepage=True)
    assert o.key == "homepage:SiteIDCode" and o.evidence["shown"] == "3416000099"


def test_decoy_other_pages_need_no_tags():
    assert meta(doc(), CITY.url + "zt/gqgh/index.html") == []


def test_same_key_on_many_pages_folds_into_one_finding(tmp_path):
    from govinspect.store import FindingStore

    store = FindingStore(tmp_path / "s.sqlite3")
    store.start_run("r1", "2026-11-20", {}, [CITY])
    for n in range(3):
        url = f"http://www.example-city.gov.cn/xxgk/tzgg/202611/t2026110{n + 1}_{n}.html"
        for o in meta(doc('<meta name="ArticleTitle" content="通知"><meta name="PubDate" content="2026-11-01">'), url):
            store.add_observation("r1", o, CITY.url)
    store.finalize_site("r1", CITY, completed=True)
    (f,) = store.findings(rule="identity.meta-missing")
    assert f["occurrences"] == 3 and f["evidence"]["tag"] == "ContentSource"
    store.close()


# ---- identity.domain-nonstandard ---------------------------------------------------------------------
def site(url: str, level: str = "department", parent: str | None = CITY.id, sid: str = "3416000009") -> Site:
    return Site(id=sid, name="测试单位", organizer="测试单位", level=level, url=url, parent=parent)


def home_rules(s: Site, body: str = "", as_of: date = date(2026, 11, 20), registry: Registry | None = None) -> list:
    reg = registry or Registry([CITY, JYJ, RSJ, COUNTY, *([s] if s.id not in (CITY.id, JYJ.id, RSJ.id, COUNTY.id)
                                                           else [])])
    parent_link = '<a href="http://www.example-city.gov.cn/">示例市人民政府</a>'
    report = f'<a href="/bb/{as_of.year - 1}.html">{as_of.year - 1}年度政府网站工作年度报表</a>'
    html = doc(body=body if body else parent_link + report)
    return rules(build(SiteIdentityInspector).inspect_page(page(html, s.url, s, homepage=True, as_of=as_of,
                                                                  registry=reg)))


def test_registered_domains_that_follow_the_rules():
    assert home_rules(JYJ) == []
    assert home_rules(RSJ) == []  # a port does not matter
    assert home_rules(COUNTY) == []  # a county portal has its own domain
    assert home_rules(site("http://www.example-city.gov.cn/jyj/")) == []  # a path on the portal's host


def test_nonstandard_domains():
    assert home_rules(site("http://10.2.3.4:8080/")) == ["identity.domain-nonstandard"]
    assert home_rules(site("http://www.example-jyj.com/")) == ["identity.domain-nonstandard"]
    assert home_rules(site("http://jyj.othercity.gov.cn/")) == ["identity.domain-nonstandard"]
    obs = build(SiteIdentityInspector).domain_problems(site("http://www.example-jyj.com/"), CITY)
    assert obs == ["not-government-suffix", "not-under-parent"]


def test_chinese_government_suffix_in_idna_form():
    assert home_rules(site("http://www.xn--zfr164b/", level="portal", parent=None)) == []  # 政务


# ---- identity.superior-link-missing ---------------------------------------------------------------
def test_superior_link_missing_and_present():
    report = '<a href="/bb/2025.html">2025年度政府网站工作年度报表</a>'
    assert home_rules(JYJ, body=report) == ["identity.superior-link-missing"]
    assert home_rules(JYJ, body=report + '<a href="http://www.example-city.gov.cn/index.html">市政府</a>') == []


def test_decoy_parent_only_in_the_site_group_dropdown_or_hidden_does_not_count():
    report = '<a href="/bb/2025.html">2025年度政府网站工作年度报表</a>'
    select = '<select><option value="http://www.example-city.gov.cn/">示例市人民政府</option></select>'
    hidden = '<div style="display:none"><a href="http://www.example-city.gov.cn/">市政府</a></div>'
    assert home_rules(JYJ, body=report + select + hidden) == ["identity.superior-link-missing"]


def test_no_parent_no_superior_link_rule():
    assert home_rules(CITY, body='<a href="/bb/2025.html">2025年度政府网站工作年度报表</a>') == []


# ---- identity.annual-report-missing ---------------------------------------------------------------
def test_annual_report_missing_or_only_older_years():
    parent = '<a href="http://www.example-city.gov.cn/">示例市人民政府</a>'
    assert home_rules(JYJ, body=parent) == ["identity.annual-report-missing"]
    older = parent + '<a href="/bb/2024.html">2024年度政府网站工作年度报表</a>'
    assert home_rules(JYJ, body=older) == ["identity.annual-report-missing"]


def test_decoys_annual_report_in_january_and_other_wordings():
    parent = '<a href="http://www.example-city.gov.cn/">示例市人民政府</a>'
    assert home_rules(JYJ, body=parent, as_of=date(2026, 1, 31)) == []
    assert home_rules(JYJ, body=parent + '<a href="/bb/x.html" title="示例市教育局2025年政府网站年度工作报表">年度工作报表</a>') == []
    assert home_rules(JYJ, body=parent + '<a href="/2025/nb.html">政府网站工作年度报表</a>') == []
