"""Renders hand over only what inspectors want (issue 9): image bytes of images the image inspector will
examine and does not know yet, and page captures only where a finding may need them as evidence."""

from __future__ import annotations

from PIL import Image
from scrapy import Spider
from scrapy.utils.test import get_crawler

import settings as project_settings
from crawler.rendering.policy import _digest
from govinspect import signals as gi_signals
from govinspect.vocabulary import RenderedImage
from inspectors.images.drawing import draw_flag, encode
from tests.rendering.conftest import crawl, needs_chromium, site
from tests.support.server import Route, RouteServer, html

PNG = {"Content-Type": "image/png"}


def _inspector():
    from inspectors.images.inspector import ImageInspector

    values = {k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper()}
    values["TWISTED_REACTOR"] = None  # no crawl runs: accept whichever reactor earlier tests installed
    crawler = get_crawler(Spider, settings_dict=values)
    inspector = ImageInspector(crawler)
    return crawler, inspector


def test_image_inspector_answers_render_wishes():
    crawler, inspector = _inspector()
    answers = [w for _, w in crawler.signals.send_catch_log(gi_signals.render_wishes)]
    assert inspector in answers
    banner = Image.new("RGB", (600, 100), (30, 90, 170))
    inspector.store.analyse("http://a.test/banner.png", encode(banner))
    inspector.store.analyse("http://a.test/flag.png", encode(draw_flag(300, 200)))
    known_clean = RenderedImage("http://a.test/banner.png", width=600, height=100)
    known_flag = RenderedImage("http://a.test/flag.png", width=150, height=100)
    unknown = RenderedImage("http://a.test/new.jpg", width=300, height=200)
    icon = RenderedImage("http://a.test/icon.png", width=10, height=10)
    hidden_icon = RenderedImage("http://a.test/icon.png", width=10, height=10, visible=False)
    named_icon = RenderedImage("http://a.test/icon.png", alt="国徽", width=10, height=10)
    svg = RenderedImage("http://a.test/logo.svg", width=300, height=200)
    # bytes: only images it will examine and has not analysed
    assert inspector.wants_image_body(unknown) and inspector.wants_image_body(named_icon)
    assert inspector.wants_image_body(hidden_icon)  # carousels: hidden images are still examined
    assert not inspector.wants_image_body(known_clean) and not inspector.wants_image_body(known_flag)
    assert not inspector.wants_image_body(icon) and not inspector.wants_image_body(svg)
    # evidence: unknown or suspect pictures, or words that can make a finding from context alone
    assert inspector.wants_evidence(unknown) and inspector.wants_evidence(known_flag)
    assert not inspector.wants_evidence(known_clean) and not inspector.wants_evidence(icon)
    assert inspector.wants_evidence(RenderedImage("http://a.test/banner.png", alt="行政区划地图", width=600, height=100))
    assert not inspector.wants_evidence(RenderedImage("http://a.test/banner.png", alt="网站地图", width=600, height=100))


@needs_chromium
def test_capture_and_image_bytes_only_where_wanted(tmp_path):
    routes = {
        "/": Route(html('<a href="/icons.html">图标</a> <a href="/flag.html">国旗</a>')),
        "/icons.html": Route(html('<p>图标页</p><img src="/i.png" width="10" height="10">')),
        "/flag.html": Route(html('<p>国旗页</p><img src="/wide.png">')),
        "/i.png": Route(encode(Image.new("RGB", (10, 10), (0, 0, 200))), headers=PNG),
        "/wide.png": Route(encode(draw_flag(400, 200)), headers=PNG),
    }
    with RouteServer(routes) as srv:
        _, findings = crawl(tmp_path, [site(srv.url + "/")])
        hits = list(srv.hits)
    pages = tmp_path / "screenshots" / "pages"
    assert (pages / f"{_digest(srv.url + '/')}.jpg").exists()  # homepages always (identity evidence)
    assert (pages / f"{_digest(srv.url + '/flag.html')}.jpg").exists()
    assert not (pages / f"{_digest(srv.url + '/icons.html')}.jpg").exists()  # icons alone: no finding possible
    flag = [f for f in findings if f["rule"] == "image.flag-misuse"]
    assert [f["target_url"] for f in flag] == [srv.url + "/wide.png"] and flag[0]["screenshot"]
    # the flag's bytes came from the browser (one GET); the icon was loaded by the browser only
    assert hits.count(("GET", "/wide.png")) == 1 and hits.count(("GET", "/i.png")) == 1, hits
