"""ad.hidden-link: every hiding technique, menus that open, and rendered geometry."""

from __future__ import annotations

import pytest
from scrapy.exceptions import NotConfigured

from inspectors.base import ElementBox, RenderInfo
from inspectors.hidden_links import HiddenLinkInspector, parse_rules
from tests.inspectors.helpers import make_inspector, make_page

SPAM = '<a href="http://www.bocai-example.com/">百家乐真人娱乐</a>'


def hidden(body: str, head: str = "", rendered: RenderInfo | None = None, **settings):
    html = f"<html><head><title>t</title>{head}</head><body>{body}</body></html>"
    page = make_page(html)
    page.rendered = rendered
    return list(make_inspector(HiddenLinkInspector, **settings).inspect_page(page))


@pytest.mark.parametrize("body,technique", [
    (f'<div style="display:none">{SPAM}</div>', "display:none"),
    (f'<div style="visibility: hidden">{SPAM}</div>', "visibility:hidden"),
    (f'<div hidden>{SPAM}</div>', "hidden"),
    (f'<p style="font-size:0px">{SPAM}</p>', "font-size:0"),
    (f'<div style="height:0;overflow:hidden">{SPAM}</div>', "height:0;overflow:hidden"),
    (f'<div style="width:1px;height:1px;overflow:hidden">{SPAM}</div>', "height:1px;overflow:hidden"),
    (f'<div style="position:absolute;left:-9999px;top:0">{SPAM}</div>', "position:absolute;left:-9999px"),
    (f'<div style="position:absolute; top:-1200px">{SPAM}</div>', "position:absolute;top:-1200px"),
    (f'<div style="text-indent:-9999px">{SPAM}</div>', "text-indent:-9999px"),
    (f'<div style="transform:translateX(-10000px)">{SPAM}</div>', "transform:translatex(-10000px)"),
    (f'<div style="opacity:0">{SPAM}</div>', "opacity:0"),
    (f'<marquee height="1" width="1">{SPAM}</marquee>', "marquee 1px"),
    (f'<div><span><b style="DISPLAY: NONE !important">{SPAM}</b></span></div>', "display:none"),
])
def test_inline_techniques(body, technique):
    found = hidden(body)
    assert len(found) == 1, body
    obs = found[0]
    assert obs.rule == "ad.hidden-link" and obs.target_url == "http://www.bocai-example.com/"
    assert obs.evidence["technique"] == technique
    assert obs.evidence["spam_keywords"] == ["百家乐", "真人娱乐"]


@pytest.mark.parametrize("css,body", [
    (".seo{display:none}", f'<div class="seo x">{SPAM}</div>'),
    ("#yq { position:absolute; left:-3000px }", f'<div id="yq">{SPAM}</div>'),
    ("@media screen { div.f > p { font-size: 0 } }", f'<div class="f"><p>{SPAM}</p></div>'),
    ("/* c */ .a{color:red} .b{height:0px;overflow:hidden}", f'<div class="b"><span>{SPAM}</span></div>'),
    ("@font-face{font-family:x;src:url(x.woff)} ul li.z{visibility:hidden}", f'<ul><li class="z">{SPAM}</li></ul>'),
])
def test_style_block_rules(css, body):
    found = hidden(body, head=f"<style>{css}</style>")
    assert len(found) == 1, css


@pytest.mark.parametrize("head,body", [
    # visible external links, and hidden links to the site's own or government hosts
    ("", '<a href="http://www.people.com.cn/">人民网</a>'),
    ("", '<div style="display:none"><a href="/xxgk/">信息公开</a><a href="http://www.gov.cn/">中国政府网</a></div>'),
    ("", '<div style="display:none"><a href="http://jyj.example-city.com/">教育局</a></div>'),  # registered
    # drop-down menus and tabs a visitor opens
    ("<style>.sub{display:none} .nav li:hover .sub{display:block}</style>",
     '<ul class="nav"><li>友情链接<div class="sub"><a href="http://www.people.com.cn/">人民网</a></div></li></ul>'),
    ("<style>#m2{display:none}</style><script>function show(){document.getElementById('m2').style.display='block'}"
     "</script>", '<div id="m2"><a href="http://www.xinhuanet.com/">新华网</a></div>'),
    ("", '<div onmouseover="this.lastChild.style.display=\'block\'">链接<div style="display:none">'
         '<a href="http://www.xinhuanet.com/">新华网</a></div></div>'),
    ("", '<div class="tab-con" style="display:none"><a href="http://www.people.com.cn/">人民网</a></div>'),
    ("", '<div style="height:0">' + '<a href="http://www.people.com.cn/">no overflow:hidden, so visible</a></div>'),
    ("", '<div style="left:-9999px">' + '<a href="http://www.people.com.cn/">not positioned</a></div>'),
])
def test_not_hidden_links(head, body):
    assert hidden(body, head=head) == []


def test_offscreen_is_never_an_open_menu():
    """Off-screen and zero-size hiding is never how menus work: menu class names do not excuse it."""
    body = f'<div class="menu" style="position:absolute;left:-9999px">{SPAM}</div>'
    assert len(hidden(body)) == 1


def test_thresholds_are_settings():
    body = f'<div style="position:absolute;left:-500px">{SPAM}</div>'
    assert hidden(body) == []
    assert len(hidden(body, HIDDEN_LINK_OFFSCREEN_PX=400)) == 1


def test_rendered_geometry_wins_when_present():
    """Boxes are keyed by the renderer's data-gi-id stamp (crawler/rendering.py)."""
    body = '<div id="box"><a data-gi-id="g7" href="http://www.bocai-example.com/">百家乐</a></div>'
    invisible = RenderInfo(boxes={"g7": ElementBox(x=10, y=10, width=80, height=16, visible=False,
                                                   hidden_reason="clipped")})
    found = hidden(body, rendered=invisible)
    assert len(found) == 1 and found[0].evidence["technique"] == "rendered:clipped"
    tiny = RenderInfo(boxes={"g7": ElementBox(x=10, y=10, width=0, height=0)})
    assert hidden(body, rendered=tiny)[0].evidence["technique"] == "rendered:0x0px"
    visible = RenderInfo(boxes={"g7": ElementBox(x=10, y=10, width=80, height=16)})
    styled = '<div style="display:none"><a data-gi-id="g7" href="http://www.bocai-example.com/">百家乐</a></div>'
    assert hidden(styled, rendered=visible) == []  # the browser saw it shown (e.g. a script opened it)
    assert len(hidden(styled, rendered=RenderInfo())) == 1  # no boxes: static analysis


def test_parse_rules_handles_groups_and_at_rules():
    rules = parse_rules("@import url(a.css); @charset 'x'; @media print{.p{display:none}} "
                        "@media screen and (max-width:600px){.s{display:none}} @media screen{.t{opacity:0}} "
                        ".q,.r{font-size:0;color:red}")
    assert rules == [(".t", {"opacity": "0"}), (".q,.r", {"font-size": "0"})]


def test_switch():
    with pytest.raises(NotConfigured):
        make_inspector(HiddenLinkInspector, INSPECT_HIDDEN_LINKS_ENABLED=False)
