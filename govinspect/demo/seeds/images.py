"""National flag, emblem and map images (``image.*`` rules).

On the city portal: a 国旗国徽 topic page linked from the homepage with a correct flag (PNG and
JPEG: no finding), a mirrored flag, a correct flag squashed by CSS, and a map without a 审图号; the
homepage itself shows an intrinsically stretched flag. A second page shows a map with its 审图号
(no finding). The portal without an emblem is the identity seed's ``county_c``.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from govinspect.demo.builder import ClusterBuilder
from inspectors.images.drawing import draw_flag, encode

TOPIC = "/ztzl/gqgh/index.html"
MAP_PAGE = "/ztzl/gqgh/ditu.html"


def _map(width: int = 400, height: int = 300) -> bytes:
    """A plain district map: land, a river, boundaries — enough to be a map image by its caption."""
    im = Image.new("RGB", (width, height), (214, 232, 246))
    d = ImageDraw.Draw(im)
    d.polygon([(40, 40), (330, 30), (370, 160), (300, 270), (60, 250), (20, 140)], fill=(236, 226, 198),
              outline=(120, 90, 60))
    d.line([(40, 200), (150, 150), (260, 170), (380, 110)], fill=(90, 150, 220), width=6)
    d.line([(190, 35), (170, 260)], fill=(160, 60, 60), width=2)
    return encode(im)


def plan(b: ClusterBuilder) -> None:
    """The city portal renders (``render=auto``): its homepage goes through the browser in the demo."""
    city = b.site("city")
    if city is not None and not city.down:
        city.render = "auto"


def apply(b: ClusterBuilder) -> None:
    city = b.site("city")
    if city is None or city.down:
        return
    home, topic, map_page = city.url, city.abs(TOPIC), city.abs(MAP_PAGE)
    flag, jpeg = encode(draw_flag(300, 200)), encode(draw_flag(300, 200), "JPEG", quality=70)
    urls = {name: b.add_file(city.host, f"/images/gqgh/{name}", data) for name, data in {
        "gq.png": flag, "gq.jpg": jpeg, "gq_css.png": flag,
        "gq_wide.png": encode(draw_flag(400, 200)), "gq_mirror.png": encode(draw_flag(300, 200, mirrored=True)),
        "xzqh_map.png": _map(), "ditu_std.png": _map(),
    }.items()}
    b.inject(home, (
        '<div class="block" id="gqgh"><h2>国旗国徽</h2>'
        f'<a href="{TOPIC}"><img src="/images/gqgh/gq_wide.png" alt="国旗" width="150" height="75"></a></div>'
    ))
    b.add_page(city, TOPIC, "国旗国徽专题", (
        "<h1>国旗国徽专题</h1>"
        '<p><img src="/images/gqgh/gq.png" alt="中华人民共和国国旗" width="300" height="200"></p>'
        '<p><img src="/images/gqgh/gq.jpg" alt="国旗" width="150" height="100"></p>'
        '<p><img src="/images/gqgh/gq_mirror.png" alt="国旗图案"></p>'
        '<p><img src="/images/gqgh/gq_css.png" style="width:200px;height:200px" alt="升国旗"></p>'
        '<figure><img src="/images/gqgh/xzqh_map.png" alt="示例市行政区划"><figcaption>示例市行政区划地图'
        "</figcaption></figure>"
        f'<p><a href="{MAP_PAGE}">标准地图</a></p>'
    ))
    b.add_page(city, MAP_PAGE, "标准地图", (
        '<h1>标准地图</h1><p><img src="/images/gqgh/ditu_std.png" alt="示例市地图"></p>'
        "<p>审图号：皖S（2020）12号</p>"
    ))
    b.expect("image.flag-misuse", city, target_url=urls["gq_wide.png"], page_url=home, note="400×200 file (2:1)")
    b.expect("image.flag-misuse", city, target_url=urls["gq_mirror.png"], page_url=topic, note="mirrored")
    b.expect("image.flag-misuse", city, target_url=urls["gq_css.png"], page_url=topic, note="CSS 200×200")
    b.expect("image.map-no-approval", city, target_url=urls["xzqh_map.png"], page_url=topic)
    for rule, name, page in (("image.flag-misuse", "gq.png", topic), ("image.flag-misuse", "gq.jpg", topic),
                             ("image.map-no-approval", "ditu_std.png", map_page)):
        b.expect(rule, city, target_url=urls[name], page_url=page, expect="no-finding",
                 note="correct flag" if name.startswith("gq") else "map with 审图号")
    if (city.host, "/images/map.png") in b.files:  # the links seed's 行政区划 image map: file name says map
        b.expect("image.map-no-approval", city, target_url=city.abs("/images/map.png"), page_url=home)
