"""Chinese pages decoded right: GBK declared by header, by <meta>, not at all, or declared wrongly."""

from __future__ import annotations

import pytest

from crawler.encoding import detect_encoding
from govinspect.store import FindingStore
from tests.support.cli import FAST, govinspect, write_registry
from tests.support.server import Route, RouteServer

TEXT = "亳州市人民政府办公室关于做好政府网站检查工作的通知"


def page(title: str, link: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>{title}</title></head><body><p>{TEXT}</p><a href='{link}'>{title}</a></body></html>"


@pytest.mark.parametrize("declared", ["header", "meta", "none", "wrong"])
def test_detect_encoding_gbk(declared):
    body = page("通知公告", "/x", '<meta charset="gbk">' if declared == "meta" else "").encode("gbk")
    content_type = {"header": "text/html; charset=GB2312", "wrong": "text/html; charset=utf-8"}.get(
        declared, "text/html")
    encoding, was_declared = detect_encoding(body, content_type)
    assert body.decode(encoding) == body.decode("gb18030")
    assert TEXT in body.decode(encoding)
    assert was_declared == (declared in ("header", "meta"))


def test_utf8_stays_utf8():
    body = page("通知", "/x").encode("utf-8")
    assert detect_encoding(body, "text/html")[0] == "utf-8"


def test_crawl_decodes_gbk_link_text_and_urls(tmp_path):
    """Link text from GBK pages reaches the store as the right Chinese, whatever the declaration."""
    routes = {
        "/": Route(page("首页", "/h.html").replace("<p>", "<a href='/m.html'>meta页</a><a href='/n.html'>无声明</a><p>")
                   .encode("gbk"), headers={"Content-Type": "text/html; charset=gbk"}),
        "/h.html": Route(page("头部声明", "/gone-header.html").encode("gbk"),
                         headers={"Content-Type": "text/html; charset=GB2312"}),
        "/m.html": Route(page("元标记", "/gone-meta.html", '<meta http-equiv="Content-Type" '
                              'content="text/html; charset=gb2312">').encode("gbk"),
                         headers={"Content-Type": "text/html"}),
        "/n.html": Route(page("无声明", "/gone-none.html").encode("gbk"), headers={"Content-Type": "text/html"}),
    }
    with RouteServer(routes) as srv:
        registry = write_registry(tmp_path / "sites.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试", "url": srv.url + "/"}])
        store = tmp_path / "s.sqlite3"
        result = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST)
    assert result.returncode == 0, result.stderr[-2000:]
    found = FindingStore(store)
    pairs = {(r.target_url.rsplit("/", 1)[-1], r.text) for run in found.runs() for r in found.link_refs(run["run_id"])}
    found.close()
    for title, target in (("头部声明", "gone-header.html"), ("元标记", "gone-meta.html"), ("无声明", "gone-none.html")):
        assert (target, title) in pairs, (title, sorted(pairs))
