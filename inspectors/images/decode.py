"""Safe image decoding: header first, pixel limit before any decode, small working copies.

A 100 KB PNG can declare 50 000 × 50 000 pixels (a decompression bomb): the declared size is read
from the header and checked against ``IMAGE_MAX_PIXELS`` before a single pixel is decoded. Large
JPEGs are decoded at reduced scale (``draft``), and analysis runs on a copy at most ``WORK_SIDE``
pixels wide: enough for 3:2 geometry (±1 px is under 1 %), star positions and colours, and small
enough for hundreds of images a second.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from inspectors.images.colour import srgb_to_lab

WORK_SIDE = 128


class ImageRejected(ValueError):
    """Not analysed: not an image, too many pixels, corrupt."""


@dataclass
class Decoded:
    """An image as the checks see it: intrinsic size, a small RGB copy and its opacity mask."""

    sha256: str
    format: str
    width: int
    height: int
    rgb: np.ndarray  # (h, w, 3) uint8, at most WORK_SIDE on the long side
    opaque: np.ndarray  # (h, w) bool
    _lab: np.ndarray | None = None

    @property
    def lab(self) -> np.ndarray:
        """CIELAB of ``rgb``, computed once and shared by the flag and emblem checks."""
        if self._lab is None:
            self._lab = srgb_to_lab(self.rgb)
        return self._lab


def decode(body: bytes, max_pixels: int, work_side: int = WORK_SIDE) -> Decoded:
    sha = hashlib.sha256(body).hexdigest()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im = Image.open(io.BytesIO(body))
            width, height = im.size
            if width <= 0 or height <= 0 or width * height > max_pixels:
                raise ImageRejected(f"{width}x{height} exceeds the {max_pixels}-pixel limit")
            fmt = im.format or "?"
            if fmt == "JPEG":
                im.draft("RGB", (work_side, work_side))
            if getattr(im, "n_frames", 1) > 1:
                im.seek(0)
            im.thumbnail((work_side, work_side), Image.Resampling.BILINEAR, reducing_gap=1.5)
            rgba = im.convert("RGBA")
    except ImageRejected:
        raise
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ImageRejected(f"cannot decode: {exc}") from None
    arr = np.asarray(rgba)
    return Decoded(sha, fmt, width, height, np.ascontiguousarray(arr[..., :3]), arr[..., 3] > 127)
