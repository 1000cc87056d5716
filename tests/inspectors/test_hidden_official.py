"""ad.hidden-link: hidden official services and CMS credits are not 暗链; spam words set severity;
a rendered image link whose image failed to load is not hiding."""

from __future__ import annotations

from pathlib import Path

from inspectors.base import ElementBox, RenderInfo
from inspectors.hidden_links import HiddenLinkInspector
from tests.inspectors.helpers import make_inspector, make_page

SPAM = '<a href="http://www.bocai-example.com/">百家乐真人娱乐</a>'


def hidden(body: str, rendered: RenderInfo | None = None, **settings):
    page = make_page(f"<html><head><title>t</title></head><body>{body}</body></html>")
    page.rendered = rendered
    return list(make_inspector(HiddenLinkInspector, **settings).inspect_page(page))


def test_cms_vendor_credit_is_not_a_hidden_link():
    credit = '<a href="http://www.hanweb.com" style="display:none">Produced By 大汉网络 大汉版通发布系统</a>'
    assert hidden(credit) == []
    # decoy: the same hiding on a spam host next to it is still reported
    assert len(hidden(credit + f'<div style="display:none">{SPAM}</div>')) == 1


def test_hidden_copy_of_the_jiucuo_link_and_conac_badge_in_elderly_mode():
    jiucuo = ('<div style="display:none"><a href="https://zfwzgl.example-cloud.cn/exposure/jiucuo.html?'
              'site_code=3416000001&amp;url=http%3A%2F%2Fwww.example-city.gov.cn%2F">我要纠错</a></div>')
    elderly = ('<div class="oldage" style="display:none"><a href="https://bszs.conac.cn/sitename?method=show&amp;'
               'id=ABC"><img src="https://dcs.conac.cn/image/red.png"></a></div>')
    assert hidden(jiucuo + elderly) == []
    # decoy: a jiucuo-looking name elsewhere in the path is not the service
    fake = '<div style="display:none"><a href="http://spam-example.com/x/jiucuo.html">纠错</a></div>'
    assert len(hidden(fake)) == 1


def test_allow_list_is_extensible_by_files(tmp_path: Path):
    body = '<a href="http://credits.vendor-example.com/" style="display:none">技术支持：某某科技</a>'
    assert len(hidden(body)) == 1
    extra = tmp_path / "allow.txt"
    extra.write_text("# our CMS vendor\nvendor-example.com\n", encoding="utf-8")
    assert hidden(body, HIDDEN_LINK_ALLOW_FILES=[str(extra)]) == []


def test_spam_keywords_set_severity():
    spam = hidden(f'<div style="display:none">{SPAM}</div>')
    plain = hidden('<div style="display:none"><a href="http://www.some-company-example.com/">某某公司</a></div>')
    assert spam[0].severity == "critical" and spam[0].evidence["spam_keywords"]
    assert plain[0].severity == "medium" and plain[0].evidence["spam_keywords"] == []


def test_failed_image_is_not_deliberate_hiding():
    body = '<a data-gi-id="g1" href="http://www.partner-example.com/"><img data-gi-id="g2" src="/banner.png"></a>'
    failed = RenderInfo(boxes={"g1": ElementBox(x=0, y=0, width=0, height=0, visible=False, hidden_reason="zero-size"),
                               "g2": ElementBox(x=0, y=0, width=0, height=0, natural_width=0, natural_height=0)})
    assert hidden(body, rendered=failed) == []
    # decoy: the image loaded (natural size known) and the link is still 0x0: hidden on purpose
    loaded = RenderInfo(boxes={"g1": ElementBox(x=0, y=0, width=0, height=0, visible=False, hidden_reason="zero-size"),
                               "g2": ElementBox(x=0, y=0, width=0, height=0, natural_width=88, natural_height=31)})
    assert len(hidden(body, rendered=loaded)) == 1
