"""The demo sends the cluster through its loopback proxy but reaches a configured search engine directly."""

from __future__ import annotations

import requests

from govinspect.demo.run import proxy_env
from tests.support.server import Route, RouteServer


def test_engine_bypasses_the_demo_proxy(monkeypatch):
    with RouteServer({"/": Route(b'{"ok": true}', headers={"Content-Type": "application/json"})}) as engine, \
            RouteServer() as proxy:
        proxy.routes["http://www.example-city.gov.cn/"] = Route(b"cluster page")
        env = proxy_env(proxy.url, {"GOVINSPECT_ES_URL": engine.url})
        for key in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert requests.get(engine.url + "/", timeout=5).json() == {"ok": True}
        assert ("GET", "/") in engine.hits and not proxy.hits
        # decoy: cluster hosts still go through the proxy
        assert requests.get("http://www.example-city.gov.cn/", timeout=5).content == b"cluster page"
        assert proxy.hits == [("GET", "http://www.example-city.gov.cn/")]


def test_no_engine_no_bypass():
    assert "no_proxy" not in proxy_env("http://127.0.0.1:1", {})
