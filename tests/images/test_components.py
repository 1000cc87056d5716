"""The flag's component labelling gives scipy.ndimage's answer for every shape, without importing scipy.

``scipy.ndimage`` is the reference here, in the test only.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

ndimage = pytest.importorskip("scipy.ndimage")

from inspectors.images.components import areas_and_centres, label  # noqa: E402


def _stars(width: int = 128, height: int = 85) -> np.ndarray:
    picture = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(picture)
    for x, y, r in ((21, 21, 13), (42, 8, 4), (50, 17, 4), (50, 30, 4), (42, 38, 4)):
        draw.regular_polygon((x, y, r), 5, fill=255)
    return np.asarray(picture) > 0


def _spiral(side: int = 128) -> np.ndarray:
    mask = np.zeros((side, side), dtype=bool)
    for i in range(0, side // 2, 2):
        mask[i, i:side - i] = mask[i:side - i, side - 1 - i] = mask[side - 1 - i, i:side - i] = True
        if i + 2 < side - 1 - i:
            mask[i + 2:side - i, i] = True
    return mask


def _masks() -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    masks = [_stars(), _spiral(), _spiral(127), np.zeros((20, 30), dtype=bool), np.ones((1, 1), dtype=bool),
             np.ones((5, 7), dtype=bool), np.eye(9, dtype=bool), np.indices((16, 16)).sum(axis=0) % 2 == 0]
    masks += [rng.random(tuple(rng.integers(1, 129, 2))) < p for p in (0.05, 0.3, 0.45, 0.6, 0.8) for _ in range(6)]
    return masks


@pytest.mark.parametrize("mask", _masks(), ids=lambda m: f"{m.shape[0]}x{m.shape[1]}-{m.mean():.2f}")
def test_labels_areas_and_centres_are_scipys(mask: np.ndarray):
    expected, expected_count = ndimage.label(mask)
    labels, count = label(mask)
    assert count == expected_count and np.array_equal(labels, expected)
    if count:
        idx = np.arange(1, count + 1)
        areas, centres = areas_and_centres(labels, count)
        assert np.array_equal(areas, ndimage.sum_labels(mask, expected, idx))
        assert np.allclose(centres, np.array(ndimage.center_of_mass(mask, expected, idx)), atol=1e-9)


def test_a_winding_shape_is_one_component_per_arm():
    """A spiral (never a flag, but a photograph's mask can wind) is labelled exactly, not approximately."""
    labels, count = label(_spiral())
    expected, expected_count = ndimage.label(_spiral())
    assert count == expected_count == 32 and np.array_equal(labels, expected)


def test_labelling_never_imports_scipy():
    """The point of the module: a crawl that labels flags (winding masks included) pays no scipy import."""
    code = "\n".join(["import sys", "import numpy as np", "from PIL import Image, ImageDraw",
                      "from inspectors.images.components import label", inspect.getsource(_spiral),
                      inspect.getsource(_stars), "label(_spiral()); label(_stars()); print('scipy' in sys.modules)"])
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).parents[2]).stdout.strip()
    assert shown == "False"
