"""The emblem's backdrop (a header colour around a cut-out emblem) is Pillow's flood fill, pixel for pixel.

``backdrop`` labels components with numpy instead of calling ``ImageDraw.floodfill`` (a Python loop
per pixel); the reference here is the Pillow call it replaced, on pictures made to stress it: noisy
header colours, islands of the colour inside the emblem, two header colours, and pixels that already
have the fill colour.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inspectors.images.decode import Decoded
from inspectors.images.emblem import _BACKDROP_DIFF, _SENTINEL, backdrop


def _pillow_backdrop(img: Decoded) -> np.ndarray:
    """The implementation ``backdrop`` replaced (flood fill from the border seeds with Pillow)."""
    rgb = img.rgb.copy()
    rgb[~img.opaque] = 255
    h, w = rgb.shape[:2]
    if h < 8 or w < 8:
        return np.zeros((h, w), dtype=bool)
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(int)
    median = np.median(border, axis=0)
    if (np.abs(border - median).sum(axis=1) < _BACKDROP_DIFF).mean() < 0.6 or (median > 235).all():
        return np.zeros((h, w), dtype=bool)
    canvas = Image.fromarray(rgb)
    for x, y in [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1), (w // 2, 0), (0, h // 2), (w - 1, h // 2)]:
        if np.abs(rgb[y, x].astype(int) - median).sum() < _BACKDROP_DIFF:
            ImageDraw.floodfill(canvas, (x, y), _SENTINEL, thresh=_BACKDROP_DIFF)
    return (np.asarray(canvas) == _SENTINEL).all(axis=2)


def _decoded(rgb: np.ndarray, opaque: np.ndarray | None = None) -> Decoded:
    h, w = rgb.shape[:2]
    return Decoded("0" * 64, "PNG", w, h, rgb, np.ones((h, w), dtype=bool) if opaque is None else opaque)


def _header(seed: int) -> Decoded:
    """A red (or blue) header with JPEG-like noise, a round emblem, islands of header colour inside it."""
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(8, 129, 2))
    colour = rng.choice([(200, 20, 30), (20, 60, 160), (1, 254, 3)])
    noise = rng.integers(-int(rng.integers(1, 25)), int(rng.integers(1, 25)), (h, w, 3))
    rgb = np.clip(np.array(colour)[None, None, :] + noise, 0, 255).astype(np.uint8)
    picture = Image.fromarray(rgb)
    draw = ImageDraw.Draw(picture)
    for _ in range(int(rng.integers(1, 6))):
        x, y, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(2, max(3, min(h, w) // 2)))
        fill = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x - r, y - r, x + r, y + r), fill=fill)
    rgb = np.asarray(picture).copy()
    if rng.random() < 0.3:  # a second header colour on the right: other seeds start other fills
        rgb[:, w * 2 // 3:] = np.clip(rgb[:, w * 2 // 3:].astype(int) + 30, 0, 255).astype(np.uint8)
    opaque = rng.random((h, w)) > 0.05 if rng.random() < 0.3 else None
    return _decoded(rgb, opaque)


@pytest.mark.parametrize("seed", range(60))
def test_backdrop_is_pillows_flood_fill(seed: int):
    img = _header(seed)
    assert np.array_equal(backdrop(img), _pillow_backdrop(img))


def test_a_header_backdrop_is_found_and_the_emblem_kept():
    """Decoy for the equality above (two empty masks are equal too): a real backdrop is non-trivial."""
    rgb = np.zeros((64, 96, 3), dtype=np.uint8)
    rgb[:] = (200, 20, 30)
    rgb[16:48, 32:64] = (250, 210, 0)  # the emblem (gold)
    rgb[28:36, 44:52] = (200, 20, 30)  # header colour inside the emblem: not connected to the border
    behind = backdrop(_decoded(rgb))
    assert behind[0, 0] and behind[63, 95] and not behind[20, 40] and not behind[30, 46]
    assert behind.sum() == 64 * 96 - 32 * 32
