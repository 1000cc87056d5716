"""Drawing the national flag (GB 12982 geometry) and a placeholder emblem, for tests, the demo and
the bundled reference image. The placeholder is not the official emblem: drop the standard image
published on gov.cn into ``IMAGE_EMBLEM_REFERENCE_DIR`` for real comparisons.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw

from inspectors.images.colour import FLAG_RED, FLAG_YELLOW

BIG_STAR = (5, 5, 3)
SMALL_STARS = ((10, 2), (12, 4), (12, 7), (10, 9))
GOLD = (0xFF, 0xD7, 0x00)


def star(cx: float, cy: float, r: float, tip_angle: float) -> list[tuple[float, float]]:
    """A five-pointed star's polygon; ``tip_angle`` (radians, screen coordinates) points one tip."""
    inner = r * math.sin(math.radians(18)) / math.sin(math.radians(54))
    pts = []
    for i in range(10):
        a = tip_angle + i * math.pi / 5
        rad = r if i % 2 == 0 else inner
        pts.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
    return pts


def draw_flag(width: int = 300, height: int = 200, red: tuple[int, int, int] = FLAG_RED,
              yellow: tuple[int, int, int] = FLAG_YELLOW, mirrored: bool = False, grey: bool = False,
              scale: int = 4) -> Image.Image:
    """The flag drawn on the 30×20 grid, stretched to ``width``×``height`` (3:2 when 1.5)."""
    w, h = width * scale, height * scale
    im = Image.new("RGB", (w, h), red)
    d = ImageDraw.Draw(im)
    ux, uy = w / 30, h / 20
    bx, by, br = BIG_STAR
    d.polygon([(x * ux, y * uy) for x, y in star(bx, by, br, -math.pi / 2)], fill=yellow)
    for sx, sy in SMALL_STARS:
        d.polygon([(x * ux, y * uy) for x, y in star(sx, sy, 1, math.atan2(by - sy, bx - sx))], fill=yellow)
    im = im.resize((width, height), Image.Resampling.LANCZOS)
    if mirrored:
        im = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if grey:
        im = im.convert("L").convert("RGB")
    return im


def draw_emblem(size: int = 240, grey: bool = False, ring: tuple[int, int, int] = GOLD) -> Image.Image:
    """A placeholder emblem: red disc in a gold ring, five gold stars, a gold gate, a red ribbon."""
    s = size * 4
    im = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    c = s / 2
    d.ellipse((s * 0.04, s * 0.04, s * 0.96, s * 0.96), fill=ring)
    d.ellipse((s * 0.14, s * 0.14, s * 0.86, s * 0.86), fill=FLAG_RED)
    d.polygon(star(c, s * 0.30, s * 0.09, -math.pi / 2), fill=ring)
    for k, dx in enumerate((-0.22, -0.12, 0.12, 0.22)):
        cy = s * (0.36 if k in (0, 3) else 0.27)
        d.polygon(star(c + dx * s, cy, s * 0.035, -math.pi / 2), fill=ring)
    d.rectangle((s * 0.30, s * 0.52, s * 0.70, s * 0.70), fill=ring)
    d.polygon([(s * 0.26, s * 0.52), (s * 0.74, s * 0.52), (c, s * 0.44)], fill=ring)
    for x in (0.36, 0.46, 0.54, 0.64):
        d.rectangle((s * (x - 0.02), s * 0.58, s * (x + 0.02), s * 0.70), fill=FLAG_RED)
    d.rectangle((s * 0.22, s * 0.74, s * 0.78, s * 0.78), fill=ring)
    d.polygon([(s * 0.30, s * 0.86), (s * 0.18, s * 0.99), (s * 0.40, s * 0.93)], fill=FLAG_RED)
    d.polygon([(s * 0.70, s * 0.86), (s * 0.82, s * 0.99), (s * 0.60, s * 0.93)], fill=FLAG_RED)
    im = im.resize((size, size), Image.Resampling.LANCZOS)
    if grey:
        alpha = im.getchannel("A")
        im = im.convert("L").convert("RGBA")
        im.putalpha(alpha)
    return im


def encode(im: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG" and im.mode != "RGB":
        im = im.convert("RGB")
    im.save(buf, fmt, **kw)
    return buf.getvalue()
