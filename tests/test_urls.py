"""URL normalisation as rules.md defines it, and scope keys that keep the port."""

from govinspect.urls import host_key, is_government_host, normalize_url, origin


def test_normalisation_rules():
    assert normalize_url("HTTP://WWW.Example.GOV.cn:80/a/b.html?z=1&a=2#top") == "http://www.example.gov.cn/a/b.html?a=2&z=1"
    assert normalize_url("https://x.gov.cn:443/") == "https://x.gov.cn/"
    assert normalize_url("http://x.gov.cn:8080/") == "http://x.gov.cn:8080/"
    assert normalize_url("http://x.gov.cn/%e6%94%bf%E5%8A%A1") == normalize_url("http://x.gov.cn/政务")
    assert normalize_url("http://x.gov.cn/dir/") != normalize_url("http://x.gov.cn/dir/index.html")
    assert normalize_url("http://x.gov.cn") == "http://x.gov.cn/"


def test_scope_keys_keep_non_default_ports():
    assert host_key("http://127.0.0.1:8080/x") == "127.0.0.1:8080"
    assert host_key("https://A.gov.cn:443/") == "a.gov.cn"
    assert origin("http://new.city.gov.cn:81/a?b") == "http://new.city.gov.cn:81"


def test_government_hosts():
    assert is_government_host("www.gov.cn") and is_government_host("a.b.gov.cn:8080")
    assert is_government_host("示例.政务")
    assert not is_government_host("gov.cn.example.com")
