"""End to end: ``govinspect crawl`` in a subprocess over loopback sites, rendered in real Chromium.

Covers flags drawn with Pillow (each variant at its own URL), evidence screenshots opened with
Pillow, a page that hangs the browser (costs its render, not the run), ``render=auto`` re-rendering
a script-built list, and ``identity.emblem-missing``.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from inspectors.images.drawing import draw_emblem, draw_flag, encode
from tests.rendering.conftest import crawl, needs_chromium, site
from tests.support.server import Route, RouteServer, html

pytestmark = needs_chromium
PNG = {"Content-Type": "image/png"}
JPEG = {"Content-Type": "image/jpeg"}

FLAGS = {
    "/ok.png": (encode(draw_flag(300, 200)), '<img src="/ok.png" alt="国旗">'),
    "/ok.jpg": (encode(draw_flag(300, 200), "JPEG", quality=70), '<img src="/ok.jpg" width="150" height="100">'),
    "/wide.png": (encode(draw_flag(400, 200)), '<img src="/wide.png">'),
    "/attr.png": (encode(draw_flag(300, 200)), '<img src="/attr.png" width="300" height="100">'),
    "/css.png": (encode(draw_flag(300, 200)), '<img src="/css.png" class="square">'),
    "/js.png": (encode(draw_flag(300, 200)), '<img src="/js.png" id="jsflag">'),
    "/mirror.png": (encode(draw_flag(300, 200, mirrored=True)), '<img src="/mirror.png">'),
    "/orange.png": (encode(draw_flag(300, 200, red=(255, 120, 0))), '<img src="/orange.png" alt="国旗">'),
    "/grey.png": (encode(draw_flag(300, 200, grey=True)), '<img src="/grey.png" alt="国旗">'),
}
BAD = {"/wide.png": "aspect", "/attr.png": "rendered-aspect", "/css.png": "rendered-aspect",
       "/js.png": "rendered-aspect", "/mirror.png": "mirrored", "/orange.png": "colour", "/grey.png": "greyscale"}


def _flag_routes() -> dict[str, Route]:
    body = ("<style>.square{width:160px;height:160px}</style><h1>国旗</h1>"
            + "".join(f"<p>{tag}</p>" for _, tag in FLAGS.values())
            + "<script>document.getElementById('jsflag').style.cssText='width:120px;height:120px'</script>")
    routes = {"/": Route(html(body))}
    for path, (data, _) in FLAGS.items():
        routes[path] = Route(data, headers=JPEG if path.endswith(".jpg") else PNG)
    return routes


def _by_target(findings: list[dict], rule: str, base: str) -> dict[str, dict]:
    return {f["target_url"][len(base):]: f for f in findings if f["rule"] == rule}


def _not_blank(path: str) -> Image.Image:
    im = Image.open(path).convert("RGB")
    assert im.width >= 60 and im.height >= 40
    assert np.asarray(im).std() > 10, "screenshot is blank"
    return im


def test_flags_on_a_rendered_page(tmp_path):
    with RouteServer(_flag_routes()) as srv:
        _, findings = crawl(tmp_path, [site(srv.url + "/")])
        hits = list(srv.hits)
    flags = _by_target(findings, "image.flag-misuse", srv.url)
    assert set(flags) == set(BAD), flags.keys()
    for path, problem in BAD.items():
        assert problem in flags[path]["evidence"]["problems"], (path, flags[path]["evidence"])
    assert flags["/js.png"]["evidence"]["rendered_size"] == [120, 120]
    # each image body was fetched once (by the browser), not again by the crawl
    for path in FLAGS:
        assert hits.count(("GET", path)) == 1, (path, hits)
    # evidence: a crop around the element, opened with Pillow
    shot = flags["/mirror.png"]["screenshot"]
    assert shot and shot.startswith(str(tmp_path / "screenshots"))
    im = _not_blank(shot)
    assert 300 <= im.width <= 300 + 2 * 40 + 2 and 200 <= im.height <= 200 + 2 * 40 + 2
    arr = np.asarray(im).reshape(-1, 3).astype(int)
    red = (arr[:, 0] > 200) & (arr[:, 1] < 80) & (arr[:, 2] < 80)
    assert red.mean() > 0.4, "the crop shows the flag"


def test_flags_on_a_static_page(tmp_path):
    with RouteServer(_flag_routes()) as srv:
        _, findings = crawl(tmp_path, [site(srv.url + "/", render="never")])
    flags = _by_target(findings, "image.flag-misuse", srv.url)
    # without a browser the script-set size is unknown; attributes and page CSS still count
    assert set(flags) == set(BAD) - {"/js.png"}
    assert all(f["screenshot"] in (None, "") for f in flags.values())


def test_a_hung_page_costs_its_render_not_the_run(tmp_path):
    hang = html('<img src="/mirror.png" alt="国旗"><script>while (true) {}</script>')
    ok = html('<img src="/mirror2.png" alt="国旗">')
    routes = {
        "/": Route(html('<a href="/hang.html">卡死</a> <a href="/ok.html">正常</a>')),
        "/hang.html": Route(hang), "/ok.html": Route(ok),
        "/mirror.png": Route(encode(draw_flag(mirrored=True)), headers=PNG),
        "/mirror2.png": Route(encode(draw_flag(150, 100, mirrored=True)), headers=PNG),
    }
    with RouteServer(routes) as srv:
        proc, findings = crawl(tmp_path, [site(srv.url + "/")], "-s", "RENDER_PAGE_TIMEOUT=4")
    flags = _by_target(findings, "image.flag-misuse", srv.url)
    assert set(flags) == {"/mirror.png", "/mirror2.png"}
    assert not flags["/mirror.png"]["screenshot"]  # fetched without the browser after the timeout
    _not_blank(flags["/mirror2.png"]["screenshot"])
    assert "render failed" in proc.stderr


def test_auto_renders_homepage_and_script_built_lists_only(tmp_path):
    listing = html('<ul id="newsList"></ul><script>document.getElementById("newsList").innerHTML = '
                   "'<li><a href=\"/js-only.html\">脚本生成的链接</a></li>'</script>")
    routes = {
        "/": Route(html('<a href="/list.html">列表</a> <a href="/plain.html">普通</a>')),
        "/list.html": Route(listing), "/plain.html": Route(html("<p>普通页面</p>")),
        "/js-only.html": Route(html("<p>脚本链接的目标</p>")),
    }
    with RouteServer(routes) as srv:
        crawl(tmp_path, [site(srv.url + "/", render="auto")])
        hits = list(srv.hits)
    # fetched once each: the browser renders the static body the crawl already has
    assert hits.count(("GET", "/list.html")) == 1
    assert hits.count(("GET", "/")) == 1  # the homepage too
    assert hits.count(("GET", "/plain.html")) == 1
    assert ("GET", "/js-only.html") in hits


def test_emblem_missing_on_a_portal_homepage(tmp_path):
    emblem = encode(draw_emblem(120))
    with_emblem = {"/": Route(html('<div id="header"><img src="/images/logo-1.png" width="60" height="60">'
                                   "<h1>示例县人民政府</h1></div>")),
                   "/images/logo-1.png": Route(emblem, headers=PNG)}
    without = {"/": Route(html('<div id="header"><h1>示例区人民政府</h1></div>'))}
    with RouteServer(with_emblem) as a, RouteServer(without) as b:
        _, findings = crawl(tmp_path, [site(a.url + "/", level="county", sid="3416210009"),
                                       site(b.url + "/", level="portal", sid="3416020009")])
    missing = [f for f in findings if f["rule"] == "identity.emblem-missing"]
    assert [f["site_id"] for f in missing] == ["3416020009"]
    _not_blank(missing[0]["screenshot"])  # the full homepage


def test_pages_rendered_side_by_side_get_their_own_full_page_capture(tmp_path):
    """Four tall pages render at once; each capture shows its own bottom block, not a repeated top."""
    from crawler.rendering.policy import _digest

    colours = {f"/p{i}.html": c for i, c in enumerate([(200, 30, 30), (30, 160, 30), (30, 30, 200), (200, 160, 0)])}
    routes = {"/": Route(html("".join(f'<a href="{p}">{p}</a> ' for p in colours)))}
    for i, (path, (r, g, b)) in enumerate(colours.items()):  # a slow image: the four finish together
        routes[path] = Route(html(f'<img src="/slow{i}.png" width="10" height="10"><div style="height:1400px">顶部</div>'
                                  f'<div style="width:400px;height:200px;background:rgb({r},{g},{b})"></div>'))
        routes[f"/slow{i}.png"] = Route(encode(draw_flag(30, 20)), headers=PNG, delay=1.0)
    with RouteServer(routes) as srv:
        crawl(tmp_path, [site(srv.url + "/")], "-s", "RENDER_MAX_PAGES=4", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4",
              "-s", "RENDER_SCREENSHOTS_ALL=true")  # 10-px images alone would not call for a capture
    for path, colour in colours.items():
        shot = tmp_path / "screenshots" / "pages" / f"{_digest(srv.url + path)}.jpg"
        im = Image.open(shot).convert("RGB")
        assert im.height >= 1600
        got = np.asarray(im.crop((50, 1450, 350, 1550))).reshape(-1, 3).mean(axis=0)
        assert np.abs(got - colour).max() < 30, (path, got)
