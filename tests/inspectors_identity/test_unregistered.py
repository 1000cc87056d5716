"""registry.unregistered-site: hosts of the cluster's own domains that are not registered."""

from __future__ import annotations

from govinspect.registry import Registry, Site
from inspectors.unregistered import UnregisteredSiteInspector

from .helpers import CITY, JYJ, REGISTRY, build, page


def targets(body: str, registry: Registry = REGISTRY, url: str = JYJ.url) -> list[str]:
    html = f"<html><head><title>t</title></head><body>{body}</body></html>"
    obs = list(build(UnregisteredSiteInspector).inspect_page(page(html, url, JYJ, registry=registry)))
    assert all(o.rule == "registry.unregistered-site" and o.page_url == url for o in obs)
    return [o.target_url for o in obs]


def test_unregistered_subdomain_is_reported_by_origin():
    assert targets('<a href="http://bbs.example-city.gov.cn/forum/list.html?id=3">论坛</a>') == [
        "http://bbs.example-city.gov.cn"
    ]
    assert targets('<a href="https://new.jyj.example-city.gov.cn:8443/x">新站</a>') == [
        "https://new.jyj.example-city.gov.cn:8443"
    ]


def test_one_observation_per_origin_and_page():
    body = ('<a href="http://bbs.example-city.gov.cn/a">a</a><a href="http://bbs.example-city.gov.cn/b">b</a>'
            '<img src="http://bbs.example-city.gov.cn/logo.png">')
    assert targets(body) == ["http://bbs.example-city.gov.cn"]


def test_every_link_kind_counts():
    body = '<select><option value="http://old.example-city.gov.cn/">旧版</option></select>'
    assert targets(body) == ["http://old.example-city.gov.cn"]


def test_outside_the_cluster_is_never_a_finding():
    body = (
        '<a href="http://www.gov.cn/">中国政府网</a>'
        '<a href="http://www.example-province.gov.cn/">省政府</a>'
        '<a href="https://beian.miit.gov.cn/">ICP</a>'
        '<a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=1">公安备案</a>'
        '<a href="//bszs.conac.cn/sitename?method=show&amp;id=1"><img src="//dcs.conac.cn/image/red.png"></a>'
        '<a href="http://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code=3416000002">找错</a>'
        '<a href="http://www.example-city.com.cn/">同名商业网站</a>'
        '<a href="http://example-city.gov.cn.evil.com/">仿冒</a>'
    )
    assert targets(body) == []


def test_registered_sites_and_extra_hosts_are_not_findings():
    body = (
        f'<a href="{CITY.url}">市政府</a>'
        '<a href="http://files.example-city.gov.cn/jyj/files/a.xlsx">附件（登记的附加主机）</a>'
        '<a href="http://rsj.example-city.gov.cn:8080/">人社局</a>'
        '<a href="http://www.shinan.gov.cn/">示南县</a>'
        '<a href="http://example-city.gov.cn/">无www的门户域名</a>'
    )
    assert targets(body) == []


def test_another_port_of_a_registered_host_is_another_site():
    assert targets('<a href="http://rsj.example-city.gov.cn/">人社局80端口</a>') == ["http://rsj.example-city.gov.cn"]


def test_a_registered_national_portal_does_not_widen_the_cluster_to_gov_cn():
    national = Site(id="bm01000001", name="中国政府网", organizer="国务院办公厅", level="portal", url="http://www.gov.cn/")
    registry = Registry([*REGISTRY.sites, national])
    assert targets('<a href="http://www.example-province.gov.cn/">省政府</a>', registry) == []
    assert targets('<a href="http://bbs.example-city.gov.cn/">论坛</a>', registry) == ["http://bbs.example-city.gov.cn"]
