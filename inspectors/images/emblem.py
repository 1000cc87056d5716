"""National emblem recognition (context words, perceptual hash against reference images) and checks.

GB 15093: the emblem is gold and red only, and it is drawn to a fixed grid, so its aspect is the
reference image's. References come from ``IMAGE_EMBLEM_REFERENCE_DIR`` (drop the standard image
published on gov.cn there) or, when unset, the bundled placeholder in ``inspectors/data/emblem``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image

from inspectors.images.components import label
from inspectors.images.decode import Decoded, ImageRejected, decode

logger = logging.getLogger(__name__)

BUNDLED = Path(__file__).resolve().parent.parent / "data" / "emblem"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp")


@dataclass
class Reference:
    name: str
    hashes: tuple[imagehash.ImageHash, imagehash.ImageHash]  # phash, dhash
    aspect: float


@dataclass
class EmblemFacts:
    """Colour make-up of an image and its closest reference emblem."""

    distance: int | None  # perceptual-hash bits to the closest reference (None: no references)
    reference: Reference | None
    coloured: float  # share of foreground pixels with colour
    off_colour: float  # share of coloured pixels neither red nor gold
    red: float  # share of coloured pixels that are red

    @property
    def greyscale(self) -> bool:
        return self.coloured < 0.05


_SENTINEL = (1, 254, 3)
_BACKDROP_DIFF = 36  # sum of channel differences still counted as the header colour (JPEG noise)


def backdrop(img: Decoded) -> np.ndarray:
    """Pixels of a uniform coloured backdrop around the picture (an emblem cut out on a red header).

    Government headers put the emblem on their own colour; hashing or colour-counting that colour
    makes the emblem unrecognisable (or "off-colour"). When most of the border is one colour, the area
    connected to the border in that colour is flood-filled and treated as background, like white.
    """
    rgb = img.rgb.copy()
    rgb[~img.opaque] = 255
    h, w = rgb.shape[:2]
    none = np.zeros((h, w), dtype=bool)
    if h < 8 or w < 8:
        return none
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(int)
    median = np.median(border, axis=0)
    close = np.abs(border - median).sum(axis=1) < _BACKDROP_DIFF
    if close.mean() < 0.6 or (median > 235).all():
        return none
    # Pillow's ImageDraw.floodfill, pixel for pixel, as one component labelling per seed: its
    # per-pixel Python loop was 1.5 % of a crawl's CPU (tests/images/test_backdrop.py compares them)
    canvas = rgb.astype(np.int16)
    sentinel = np.array(_SENTINEL, dtype=np.int16)
    seeds = [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1), (w // 2, 0), (0, h // 2), (w - 1, h // 2)]
    for x, y in seeds:
        if np.abs(rgb[y, x].astype(int) - median).sum() < _BACKDROP_DIFF:
            seed = canvas[y, x].copy()
            if np.abs(sentinel - seed).sum() <= _BACKDROP_DIFF:
                continue  # the seed already has the fill colour (Pillow returns at once)
            labels, _ = label(np.abs(canvas - seed).sum(axis=2) <= _BACKDROP_DIFF)
            canvas[labels == labels[y, x]] = sentinel
    return (canvas == sentinel).all(axis=2)


def _flatten(img: Decoded, behind: np.ndarray | None = None) -> Image.Image:
    rgb = img.rgb.copy()
    rgb[~img.opaque] = 255
    if behind is not None:
        rgb[behind] = 255
    return Image.fromarray(rgb)


def _dct_matrix(n: int) -> np.ndarray:
    """DCT-II as a matrix, scaled like ``scipy.fftpack.dct`` (type 2, no normalisation)."""
    k = np.arange(n)[:, None]
    return 2.0 * np.cos(np.pi * k * (2 * np.arange(n)[None, :] + 1) / (2 * n))


_PHASH_SIZE, _PHASH_FACTOR = 8, 4
_DCT32 = _dct_matrix(_PHASH_SIZE * _PHASH_FACTOR)


def phash(image: Image.Image) -> imagehash.ImageHash:
    """``imagehash.phash`` with a 32×32 DCT matrix product instead of ``scipy.fftpack``.

    The same bits (``tests/images/test_phash.py`` compares them); importing scipy's FFT package only
    for this cost every crawl process about 0.35 CPU s at start, when the references are hashed.
    """
    size = _PHASH_SIZE * _PHASH_FACTOR
    pixels = np.asarray(image.convert("L").resize((size, size), Image.Resampling.LANCZOS), dtype=float)
    # rounded: symmetric pictures (the emblem, flat colours, ramps) have coefficients that are exactly
    # zero in scipy's FFT and 1e-13 off here, and the median test must see them as equal
    low = np.round((_DCT32 @ pixels @ _DCT32.T)[:_PHASH_SIZE, :_PHASH_SIZE], 6)
    return imagehash.ImageHash(low > np.median(low))


def _hashes(img: Decoded, behind: np.ndarray | None = None) -> tuple[imagehash.ImageHash, imagehash.ImageHash]:
    flat = _flatten(img, behind)
    return phash(flat), imagehash.dhash(flat)


def _distance(a: tuple, b: tuple) -> int:
    """Bits apart by the closer of two hashes: phash flips on symmetric pictures, dhash on gradients."""
    return int(min(a[0] - b[0], a[1] - b[1]))


def load_references(folder: str | Path | None, max_pixels: int = 40_000_000) -> list[Reference]:
    path = Path(folder) if folder else BUNDLED
    refs = []
    for file in sorted(path.glob("*")) if path.is_dir() else []:
        if file.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        try:
            img = decode(file.read_bytes(), max_pixels)
        except (OSError, ImageRejected) as exc:
            logger.warning("emblem reference %s unusable: %s", file, exc)
            continue
        refs.append(Reference(file.name, _hashes(img), img.width / img.height))
    if not refs:
        logger.warning("no emblem reference images in %s: emblems are found by context only", path)
    return refs


def analyse_emblem(img: Decoded, refs: list[Reference]) -> EmblemFacts:
    best: tuple[int, Reference] | None = None
    behind = backdrop(img)
    if refs:
        h = _hashes(img, behind)
        best = min(((_distance(h, r.hashes), r) for r in refs), key=lambda t: t[0])
    lab = img.lab
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    hue = np.degrees(np.arctan2(lab[..., 2], lab[..., 1]))
    background = ~img.opaque | ((lab[..., 0] > 92) & (chroma < 10)) | behind
    fg = ~background
    total = max(1, int(fg.sum()))
    coloured = fg & (chroma > 15)
    n_col = max(1, int(coloured.sum()))
    red = coloured & (hue >= -10) & (hue < 55)
    gold = coloured & (hue >= 55) & (hue <= 115)
    return EmblemFacts(
        distance=int(best[0]) if best else None, reference=best[1] if best else None,
        coloured=float(coloured.sum() / total),
        off_colour=float((coloured & ~red & ~gold).sum() / n_col), red=float(red.sum() / n_col),
    )


def judge_emblem(facts: EmblemFacts, intrinsic: tuple[int, int], rendered: tuple[float, float] | None,
                 matched: bool, tolerance: float, max_off: float) -> tuple[list[str], dict]:
    """Problem codes (rendered-aspect, aspect, greyscale, colour) and details."""
    problems: list[str] = []
    aspect = intrinsic[0] / intrinsic[1]
    details: dict = {"intrinsic_aspect": round(aspect, 3), "off_colour_share": round(facts.off_colour, 3),
                     "hash_distance": facts.distance}
    if rendered and rendered[0] > 0 and rendered[1] > 0:
        shown = rendered[0] / rendered[1]
        details["rendered_aspect"] = round(shown, 3)
        details["rendered_size"] = [round(rendered[0], 1), round(rendered[1], 1)]
        if abs(shown / aspect - 1) > tolerance:
            problems.append("rendered-aspect")
    if matched and facts.reference is not None:
        details["reference"] = facts.reference.name
        details["reference_aspect"] = round(facts.reference.aspect, 3)
        if abs(aspect / facts.reference.aspect - 1) > tolerance:
            problems.append("aspect")
    if facts.greyscale:
        problems.append("greyscale")
    elif facts.off_colour > max_off or facts.red < 0.03:
        problems.append("colour")
    return problems, details


PROBLEM_TEXT = {
    "rendered-aspect": "页面显示时被拉伸或压缩",
    "aspect": "图片比例与标准国徽不符",
    "greyscale": "为黑白（灰度）图案",
    "colour": "颜色不是标准的金、红两色",
}
