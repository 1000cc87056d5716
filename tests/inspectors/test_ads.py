"""ad.network with real filter lists written by the test, and ad.commercial with its decoys."""

from __future__ import annotations

import os
import time

import pytest
from scrapy.exceptions import NotConfigured

from inspectors import ads_network
from inspectors.ads_commercial import AdCommercialInspector
from inspectors.ads_network import AdNetworkInspector, fetch_list
from tests.inspectors.helpers import make_inspector, make_page
from tests.support.server import Route, RouteServer

LIST = """[Adblock Plus 2.0]
||adnet.example.com^$script
||banners.example.net^$image
||frames.example.org^$subdocument
/promo-slot/*$third-party
@@||adnet.example.com/allowed/
"""


@pytest.fixture
def filter_list(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text(LIST, encoding="utf-8")
    return str(path)


def network(page, **settings):
    inspector = make_inspector(AdNetworkInspector, **settings)
    return {o.target_url: o for o in inspector.inspect_page(page)}


def test_request_types_follow_the_tag(filter_list):
    page = make_page(
        '<script src="http://adnet.example.com/a.js"></script>'
        '<img src="http://adnet.example.com/a.png">'  # $script rule: an image from it is not blocked
        '<img src="http://banners.example.net/b.gif">'
        '<script src="http://banners.example.net/b.js"></script>'  # $image rule: not a script
        '<iframe src="http://frames.example.org/f.html"></iframe>'
        '<script src="http://adnet.example.com/allowed/x.js"></script>'  # exception rule
        '<embed src="http://cdn.example.com/promo-slot/x.swf">'
        '<script src="/promo-slot/own.js"></script>'  # first-party: $third-party does not apply
    )
    found = network(page, AD_FILTER_DEFAULT_LIST=False, AD_FILTER_LISTS=[filter_list])
    assert set(found) == {
        "http://adnet.example.com/a.js", "http://banners.example.net/b.gif", "http://frames.example.org/f.html",
        "http://cdn.example.com/promo-slot/x.swf",
    }
    ev = found["http://frames.example.org/f.html"].evidence
    assert ev == {"filter": "||frames.example.org^$subdocument", "tag": "iframe", "request_type": "sub_frame"}
    assert found["http://cdn.example.com/promo-slot/x.swf"].evidence["request_type"] == "object"


def test_shipped_list_blocks_chinese_ad_networks_not_analytics():
    page = make_page(
        '<script src="https://pos.baidu.com/s?hei=250"></script>'
        '<script src="https://cpro.baidustatic.com/cpro/ui/c.js"></script>'
        '<script src="https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js"></script>'
        '<script src="https://hm.baidu.com/hm.js?abc"></script>'
        '<script src="https://s4.cnzz.com/z_stat.php?id=1"></script>'
        '<script src="https://www.example-city.gov.cn/js/jquery.js"></script>'
    )
    found = network(page)
    assert set(found) == {"https://pos.baidu.com/s?hei=250", "https://cpro.baidustatic.com/cpro/ui/c.js",
                          "https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js"}


def test_analytics_allowed_even_when_a_list_blocks_them(tmp_path):
    path = tmp_path / "privacy.txt"
    path.write_text("||hm.baidu.com^\n||cnzz.com^\n||tracker.example.com^\n", encoding="utf-8")
    page = make_page('<script src="https://hm.baidu.com/hm.js"></script>'
                     '<script src="https://s4.cnzz.com/z_stat.php"></script>'
                     '<script src="https://tracker.example.com/t.js"></script>')
    found = network(page, AD_FILTER_LISTS=[str(path)])
    assert set(found) == {"https://tracker.example.com/t.js"}


def test_engine_built_once_per_configuration(filter_list, monkeypatch):
    ads_network._ENGINES.clear()
    built = []
    real = ads_network.build_engine
    monkeypatch.setattr(ads_network, "build_engine",
                        lambda texts, debug=False: built.append(debug) or real(texts, debug))
    for _ in range(3):
        make_inspector(AdNetworkInspector, AD_FILTER_LISTS=[filter_list])
    assert built == [False, True]  # one matching engine and one that names rules, once


def test_filter_list_download_cache_and_refresh(tmp_path):
    routes = {"/easylist.txt": Route(b"||served.example.com^\n", headers={"Content-Type": "text/plain"})}
    with RouteServer(routes) as server:
        url = server.url + "/easylist.txt"
        assert "served.example.com" in fetch_list(url, tmp_path, 24, 5)
        assert fetch_list(url, tmp_path, 24, 5) is not None
        assert len(server.hits) == 1  # fresh copy: no second download
        cached = next(tmp_path.glob("*.txt"))
        old = time.time() - 25 * 3600
        os.utime(cached, (old, old))
        server.routes["/easylist.txt"] = Route(b"||changed.example.com^\n")
        assert "changed.example.com" in fetch_list(url, tmp_path, 24, 5)
        assert len(server.hits) == 2
        # Server gone wrong: the stale copy is kept.
        os.utime(cached, (old, old))
        server.routes["/easylist.txt"] = Route(b"", status=500)
        assert "changed.example.com" in fetch_list(url, tmp_path, 24, 5)


def test_network_switch():
    with pytest.raises(NotConfigured):
        make_inspector(AdNetworkInspector, INSPECT_ADS_ENABLED=False)


# ---- ad.commercial ---------------------------------------------------------------------------------
def commercial(body: str, **settings):
    return list(make_inspector(AdCommercialInspector, **settings).inspect_page(make_page(body)))


@pytest.mark.parametrize("body", [
    '<div class="ad-slot"><a href="http://www.hospital-shop.com/"><img src="/a.jpg"></a></div>',
    '<div id="guanggao_right"><a href="http://loupan.example.com/">楼盘特惠</a></div>',
    '<div class="gg_float"><a href="http://jiameng.example.com/">加盟代理</a></div>',
    '<ins class="adsbygoogle" data-ad-client="ca-pub-123" data-ad-slot="456"></ins>',
    '<div class="links"><span>广告</span> <a href="http://loan.example.com/">低息贷款，当天到账</a></div>',
    '<p>招商热线：<a href="http://zhaoshang.example.com/">示例商城诚邀加盟</a></p>',
    '<li><a href="http://brand.example.com/">本栏目由示例集团赞助</a></li>',
])
def test_commercial_positives(body):
    found = commercial(body)
    assert len(found) == 1 and found[0].rule == "ad.commercial"
    assert found[0].target_url is None


@pytest.mark.parametrize("body", [
    '<div class="ad-slot"><a href="/zt/wmcj.html"><img src="/zt.jpg"></a></div>',  # own 专题 banner
    '<div class="guanggao"><a href="http://www.wenming.cn/">公益广告：讲文明树新风</a></div>',
    '<div class="gg_list"><a href="http://www.ggzy.example.com/1.html">招标公告</a></div>',  # 公告 list
    '<div class="ad"><a href="http://www.anhui.gov.cn/">安徽省人民政府</a></div>',  # government host
    '<div class="ad"><a href="http://jyj.example-city.com/">示例市教育局</a></div>',  # registered site
    '<p>' + "市场监管局开展虚假广告专项整治，" * 20 + '<a href="http://www.people.com.cn/">人民网</a>报道。</p>',
    '<p><a href="http://www.xinhuanet.com/">推广普通话宣传周</a></p>',
    '<p><a href="http://invest.example.com/">招商引资项目库</a></p>',
    '<div class="header"><a href="http://www.cmbchina.com/">招商银行</a></div>',
])
def test_commercial_decoys(body):
    assert commercial(body) == []


def test_commercial_switch():
    with pytest.raises(NotConfigured):
        make_inspector(AdCommercialInspector, INSPECT_AD_COMMERCIAL_ENABLED=False)
