"""The emblem matcher's perceptual hash gives imagehash's bits without importing scipy's FFT.

``imagehash.phash`` (which does import scipy) is the reference here, in the test only.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

imagehash = pytest.importorskip("imagehash")

from inspectors.images.emblem import BUNDLED, phash  # noqa: E402


def _pictures() -> list[Image.Image]:
    rng = np.random.default_rng(7)
    pictures = [Image.open(path).convert("RGB") for path in sorted(BUNDLED.glob("*.png"))]
    pictures += [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for h, w in
                 ((32, 32), (97, 61), (300, 420))]
    ramp = np.tile(np.linspace(0, 255, 200, dtype=np.uint8), (120, 1))
    pictures.append(Image.fromarray(ramp))
    flag = Image.new("RGB", (300, 200), (222, 41, 16))
    draw = ImageDraw.Draw(flag)
    for x, y, r in ((50, 50, 30), (100, 20, 10), (120, 40, 10), (120, 70, 10), (100, 90, 10)):
        draw.regular_polygon((x, y, r), 5, fill=(255, 222, 0))
    pictures.append(flag)
    mirrored = Image.fromarray(rng.integers(0, 256, (64, 32), dtype=np.uint8))
    symmetric = Image.new("L", (64, 64))
    symmetric.paste(mirrored, (0, 0))
    symmetric.paste(mirrored.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (32, 0))
    pictures.append(symmetric)  # like the emblem: exact-zero coefficients, ties at the median
    return pictures


@pytest.mark.parametrize("picture", _pictures(), ids=lambda p: f"{p.mode}{p.size}")
def test_the_hash_has_imagehash_bits(picture: Image.Image):
    assert str(phash(picture)) == str(imagehash.phash(picture))


def test_different_pictures_hash_apart():
    """Decoy: a hash that ignored its input would pass the comparison above on one picture kind."""
    pictures = _pictures()
    assert len({str(phash(p)) for p in pictures}) == len(pictures)
