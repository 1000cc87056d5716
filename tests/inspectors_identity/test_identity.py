"""identity.*: footer marks and the site name on the homepage, true positives and decoys."""

from __future__ import annotations

import pytest
from scrapy.exceptions import NotConfigured

from inspectors.base import ElementBox, RenderInfo
from inspectors.identity import IdentityInspector, visible_text

from .helpers import CITY, build, page, rules

ICP = '<a href="https://beian.miit.gov.cn/">皖ICP备12345678号</a>'
PSB = ('<a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=34160202100123">'
       '<img src="/images/ga.png" alt="公安备案">皖公网安备 34160202100123号</a>')
CONAC = ('<span id="_ideConac"><a href="//bszs.conac.cn/sitename?method=show&amp;id=0123456789ABCDEF0123456789ABCDEF">'
         '<img id="imgConac" src="//dcs.conac.cn/image/red.png" alt="党政机关"></a></span>')
CODE = "网站标识码：3416000001"


def home(*, title: str = "示例市人民政府", header: str = "示例市人民政府", icp: str = ICP, psb: str = PSB,
         conac: str = CONAC, code: str = CODE, head: str = "") -> str:
    return (
        f"<html><head><title>{title}</title>{head}</head><body>"
        f'<div id="header"><h1 class="site-name">{header}</h1></div>'
        '<ul id="nav"><li><a href="/">首页</a></li></ul><div id="main"><p>正文</p></div>'
        f'<div id="footer"><p>主办单位：示例市人民政府办公室　{code}　{icp}　{psb}</p><p>{conac}</p></div>'
        "</body></html>"
    )


def inspect(html: str, **kw) -> list[str]:
    settings = kw.pop("settings", {})
    return rules(build(IdentityInspector, **settings).inspect_page(page(html, homepage=True, **kw)))


def test_complete_homepage_has_no_findings():
    assert inspect(home()) == []


def test_only_the_homepage_is_judged():
    assert list(build(IdentityInspector).inspect_page(page(home(icp="", psb="", conac="", code=""), homepage=False))) == []


def test_every_missing_mark_is_its_own_finding():
    assert inspect(home(icp="", psb="", conac="", code="")) == [
        "identity.conac-missing", "identity.icp-missing", "identity.psb-missing", "identity.site-code-missing",
    ]


def test_full_width_icp_number_counts():
    assert inspect(home(icp="皖ＩＣＰ备１２３４５６７８号－２")) == []
    assert inspect(home(icp="陕ICP备 15002899 号-4")) == []


@pytest.mark.parametrize("where", [
    "meta", "comment", "script", "hidden",
])
def test_icp_not_shown_to_visitors_is_missing(where):
    number = "皖ICP备12345678号"
    head = f'<meta name="copyright" content="{number}">' if where == "meta" else ""
    icp = {
        "meta": "",
        "comment": f"<!-- {number} -->",
        "script": f'<script>var icp = "{number}";</script>',
        "hidden": f'<span style="display: none">{number}</span>',
    }[where]
    assert inspect(home(icp=icp, head=head)) == ["identity.icp-missing"]


def test_marks_split_by_inline_markup_still_read_as_one():
    assert inspect(home(icp="皖ICP备<b>12345678</b>号", code="网站标识码：<em>3416000001</em>")) == []


def test_icp_licence_is_not_a_filing_number():
    assert inspect(home(icp="京ICP证030173号")) == ["identity.icp-missing"]


def test_expected_icp_province_setting():
    assert inspect(home(icp="京ICP备19014889号"), settings={"IDENTITY_ICP_PROVINCE": "皖"}) == ["identity.icp-missing"]
    assert inspect(home(), settings={"IDENTITY_ICP_PROVINCE": "皖"}) == []


def test_public_security_number_forms():
    assert inspect(home(psb="公安机关备案号：43010302000524")) == []
    assert inspect(home(psb="皖公网安备３４１６０２０２１００１２３号")) == []
    # 13 digits: a typo, not a filing number
    assert inspect(home(psb="京公网安备1101080201345号")) == ["identity.psb-missing"]


def test_conac_badge_must_be_an_image_link_to_the_conac_service():
    text_link = '<a href="//bszs.conac.cn/sitename?method=show&amp;id=0123">党政机关网站标识</a>'
    local_copy = '<img src="/images/red.png" alt="党政机关">'
    hidden = f'<div style="display:none">{CONAC}</div>'
    for conac in (text_link, local_copy, hidden, ""):
        assert inspect(home(conac=conac)) == ["identity.conac-missing"], conac


def test_conac_embed_script_counts_when_the_page_was_not_rendered():
    script = ('<script type="text/javascript">document.write(unescape("%3Cspan id=\'_ideConac\' %3E%3C/span%3E'
              "%3Cscript src='https://dcs.conac.cn/js/33/000/0000/60425889/CA330000000604258890010.js' "
              'type=\'text/javascript\'%3E%3C/script%3E"));</script>')
    assert inspect(home(conac=script)) == []
    rendered = page(home(conac=script), homepage=True)
    rendered.rendered = RenderInfo()
    assert rules(build(IdentityInspector).inspect_page(rendered)) == ["identity.conac-missing"]


def test_conac_badge_invisible_after_rendering_is_missing():
    badge = CONAC.replace('<a href', '<a data-gi-id="7" href')
    p = page(home(conac=badge), homepage=True)
    p.rendered = RenderInfo(boxes={"7": ElementBox(0, 0, 0, 0, visible=False, hidden_reason="zero-size")})
    assert rules(build(IdentityInspector).inspect_page(p)) == ["identity.conac-missing"]


def test_site_code_missing_or_different():
    obs = list(build(IdentityInspector).inspect_page(page(home(code="网站标识码：3416000033"), homepage=True)))
    assert [o.rule for o in obs] == ["identity.site-code-missing"]
    assert obs[0].evidence["shown"] == ["3416000033"] and "3416000033" in obs[0].message
    assert inspect(home(code="网站标识码３４１６０００００１")) == []  # full-width, no colon
    assert inspect(home(code="标识码说明")) == ["identity.site-code-missing"]


def test_site_code_in_meta_only_is_missing():
    assert inspect(home(code="", head='<meta name="SiteIDCode" content="3416000001">')) == [
        "identity.site-code-missing"
    ]


def test_name_in_header_or_title_is_enough():
    assert inspect(home(title="首页", header="示例市人民政府")) == []  # header only
    assert inspect(home(title="示例市人民政府门户网站", header="欢迎您")) == []  # title only
    assert inspect(home(title="示例 市人民政府", header="")) == []  # whitespace does not count


def test_name_elsewhere_only_is_a_mismatch():
    html = home(title="示例市政府", header="示例市政府").replace("<p>正文</p>", f"<p>{CITY.name}</p>")
    obs = list(build(IdentityInspector).inspect_page(page(html, homepage=True)))
    assert [o.rule for o in obs] == ["identity.name-mismatch"]
    assert obs[0].evidence["expected"] == CITY.name


def test_visible_text_leaves_out_head_and_scripts_but_keeps_tails():
    import lxml.html

    tree = lxml.html.fromstring(
        "<html><head><title>T</title></head><body><script>var a=1;</script>after"
        '<div hidden>x</div>tail<img alt="图"></body></html>'
    )
    text = visible_text(tree)
    assert "after" in text and "tail" in text and "图" in text
    assert "var a" not in text and "x" not in text.split() and "T" not in text.split()


def test_switched_off_by_setting():
    with pytest.raises(NotConfigured):
        build(IdentityInspector, INSPECT_IDENTITY_ENABLED=False)
