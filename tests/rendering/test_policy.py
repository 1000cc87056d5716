"""Render policy, proxy variables and the loopback guard, without a browser."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from crawler.rendering import NetworkGuard, RenderPolicy, launch_options, looks_script_built, proxy_from_env
from govinspect.registry import Site


def project_settings(values: dict | None = None) -> Settings:
    """The project's declared defaults (components read settings without inline defaults), plus ``values``."""
    settings = Settings()
    settings.setmodule("settings", priority="project")
    settings.setdict(values or {}, priority="cmdline")
    return settings


@pytest.mark.parametrize("html", [
    '<html><body><div id="app"></div><script src="/app.js"></script></body></html>',
    '<body><ul id="newsList"></ul><script>$.getJSON("/api/list",function(d){})</script><p>页脚</p></body>',
    '<body><table class="data-table"></table><script>fetch("/x").then(r=>r.json())</script></body>',
    "<body><script>document.write('<a href=/a.html>a</a>')</script></body>",
])
def test_script_built_pages(html):
    assert looks_script_built(html)


@pytest.mark.parametrize("html", [
    "<body><h1>通知公告</h1><ul class='list'><li><a href='/a.html'>关于开展检查的通知</a></li></ul></body>",
    "<body><p>" + "正文内容" * 50 + "</p><script>var _hmt=[];</script></body>",
    '<body><ul id="newsList"></ul><p>暂无信息</p></body>',  # empty, but nothing fills it
])
def test_static_pages(html):
    assert not looks_script_built(html)


def _site(render: str) -> Site:
    return Site("3416000009", "测试", "测试", "department", "http://127.0.0.1:1/", render=render)


def test_policy_per_site():
    """Every page is fetched statically first; which static pages are rendered after is per site."""
    from scrapy.http import HtmlResponse, Request

    def page(homepage: bool, body: str = "<p>" + "正文" * 60 + "</p>") -> HtmlResponse:
        url = "http://127.0.0.1:1/a.html"
        return HtmlResponse(url, body=body.encode(), encoding="utf-8",
                            request=Request(url, meta={"homepage": homepage}))

    policy = RenderPolicy(project_settings())
    assert policy.wants_rerender(_site("always"), page(homepage=False))
    assert policy.wants_rerender(_site("auto"), page(homepage=True))
    assert not policy.wants_rerender(_site("auto"), page(homepage=False))  # static text: no render
    assert not policy.wants_rerender(_site("never"), page(homepage=True))
    assert not RenderPolicy(project_settings({"RENDER_ENABLED": False})).wants_rerender(_site("always"), page(True))
    # a rendered copy is never rendered again
    rendered = page(homepage=False).replace(flags=["playwright"])
    assert not policy.wants_rerender(_site("always"), rendered)
    # the render of a body already fetched takes the render slot, not the host's
    req = policy.prepare(Request("http://127.0.0.1:1/a.html"), _site("always"), False, force=True,
                         static=page(homepage=False))
    assert req.meta["download_slot"] == "gi-render" and req.meta["playwright"] and req.dont_filter
    assert "playwright" not in policy.prepare(Request("http://127.0.0.1:1/b.html"), _site("always"), False).meta


def test_proxy_variables_become_the_browser_proxy():
    assert proxy_from_env({}) is None
    env = {"http_proxy": "http://127.0.0.1:3128", "no_proxy": "localhost, 127.0.0.1,.intra.gov.cn"}
    assert proxy_from_env(env) == {"server": "http://127.0.0.1:3128", "bypass": "localhost,127.0.0.1,.intra.gov.cn"}
    assert proxy_from_env({"HTTPS_PROXY": "proxy.gov.cn:8080"})["server"] == "http://proxy.gov.cn:8080"
    assert proxy_from_env({"http_proxy": "http://p:1", "no_proxy": "*"}) is None
    opts = launch_options(project_settings({"RENDER_BROWSER_PATH": "/usr/bin/chromium"}), proxy_from_env(env))
    assert opts["proxy"]["server"] == "http://127.0.0.1:3128"
    assert opts["executable_path"] == "/usr/bin/chromium"
    assert not any(a.startswith("--host-resolver-rules") for a in opts["args"])
    strict = launch_options(project_settings({"RENDER_LOOPBACK_ONLY": True}), None)
    assert any(a.startswith("--host-resolver-rules=MAP * ~NOTFOUND") for a in strict["args"])


def test_guard_without_proxy_allows_loopback_only():
    guard = NetworkGuard(None, loopback_only=True)
    assert guard.allowed("http://127.0.0.1:8000/a.png")
    assert guard.allowed("http://localhost/")
    assert guard.allowed("http://[::1]:80/")
    assert guard.allowed("data:image/png;base64,AAAA")
    assert not guard.allowed("http://example.com/")
    assert not guard.allowed("https://10.0.0.8/")
    assert not guard.allowed("http://203.0.113.7/")
    assert NetworkGuard(None, loopback_only=False).allowed("http://example.com/")


def test_guard_through_a_loopback_proxy():
    proxy = {"server": "http://127.0.0.1:3128", "bypass": "localhost,.direct.example.org"}
    guard = NetworkGuard(proxy, loopback_only=True)
    assert guard.allowed("http://www.example-city.gov.cn/")  # goes to the proxy on 127.0.0.1
    assert not guard.allowed("http://a.direct.example.org/")  # bypasses the proxy: would go out directly
    remote = NetworkGuard({"server": "http://proxy.corp.example:3128", "bypass": ""}, loopback_only=True)
    assert not remote.allowed("http://www.example-city.gov.cn/")
