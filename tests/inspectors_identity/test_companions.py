"""Footers delivered in a same-site iframe or written by a same-site script count as the homepage's."""

from __future__ import annotations

import json
import sqlite3

import pytest

from crawler.companions import written_html
from tests.support.cli import FAST, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

IDENTITY_ONLY = ["-s", 'INSPECTORS={"inspectors.identity.IdentityInspector": 800}']
FRAME_FOOTER = ('<div class="footer">网站标识码：3416000001 <a href="https://beian.miit.gov.cn/">蒙ICP备05006530号</a>'
                ' 蒙公网安备 15010202000123号</div>')
SCRIPT = ("document.write('<div class=\"bottom\"><a href=\"https://bszs.conac.cn/sitename?id=1\">');\n"
          "document.writeln(\"<img src=\\\"https://dcs.conac.cn/image/red.png\\\" alt=\\\"党政机关\\\"></a>\" +\n"
          "  '</div>');")


def test_document_write_literals():
    assert written_html(SCRIPT) == ('<div class="bottom"><a href="https://bszs.conac.cn/sitename?id=1">'
                                    '<img src="https://dcs.conac.cn/image/red.png" alt="党政机关"></a></div>')
    assert written_html("var x = 'not written';") == ""


def _crawl(tmp_path, home: str, routes: dict, render: str = "never") -> set[str]:
    with RouteServer({"/": Route(html(home, title="测试市人民政府")), **routes}) as site:
        registry = write_registry(tmp_path / "sites.csv", [
            {"id": "3416000001", "name": "测试市人民政府", "organizer": "测试办", "url": site.url + "/",
             "render": render}])
        store = tmp_path / "store.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST, *IDENTITY_ONLY,
                            "-s", "RENDER_LOOPBACK_ONLY=true")
        hits = list(site.hits)
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(store)
    rules = {r[0] for r in db.execute("SELECT rule FROM findings")}
    assert all(json.loads(e) is not None for (e,) in db.execute("SELECT evidence FROM findings"))
    frames = [h for h in hits if h[1] in ("/qt_88992/xbdb/", "/nav/")]
    assert len(frames) <= 1, frames  # the frame document is fetched once (as its own page)
    return rules


@pytest.mark.parametrize("render", ["never", "auto"])
def test_footer_in_iframe_and_script_is_seen(tmp_path, render):
    home = ('<h1>测试市人民政府</h1><iframe src="/qt_88992/xbdb/" frameborder="0"></iframe>'
            '<script src="/js/copyright.js"></script>')
    routes = {"/qt_88992/xbdb/": Route(html(FRAME_FOOTER)),
              "/js/copyright.js": Route(SCRIPT.encode(), headers={"Content-Type": "application/javascript"})}
    if render == "auto":  # rendered: the browser ran copyright.js itself; the frame still comes from the crawl
        pytest.importorskip("playwright")
    assert _crawl(tmp_path, home, routes, render) == set()


def test_missing_marks_still_reported_when_companions_lack_them(tmp_path):
    # decoy: the iframe holds a navigation bar, the script writes nothing
    home = ('<h1>测试市人民政府</h1><iframe src="/nav/"></iframe><script src="/js/menu.js"></script>')
    routes = {"/nav/": Route(html('<a href="/">首页</a>')),
              "/js/menu.js": Route(b"var menu = 1;", headers={"Content-Type": "application/javascript"})}
    assert _crawl(tmp_path, home, routes) == {
        "identity.icp-missing", "identity.psb-missing", "identity.conac-missing", "identity.site-code-missing"}
