"""National flag recognition and checks (GB 12982: 3:2 field, big star centred at (5,5) on 30×20).

Recognition is by structure, colour-blind: a flat field of one colour covering the image, a large
blob near a corner at (1/6, 1/4) of the field, and at least two blobs about a ninth of its area
beside it. A red field makes it a flag by content; a caption saying 国旗 accepts any field colour,
which is how greyscale and recoloured flags are caught. Photos of flags (waving cloth, ceremonies)
have no flat field and are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from inspectors.images.colour import FLAG_RED, FLAG_YELLOW, chroma, delta_e2000, lab_of
from inspectors.images.components import areas_and_centres, label
from inspectors.images.decode import Decoded

RED_LAB = lab_of(FLAG_RED)
YELLOW_LAB = lab_of(FLAG_YELLOW)
# Where the big star's centre lies, by orientation, in field-relative coordinates.
CORNERS = {"upright": (1 / 6, 1 / 4), "mirrored": (5 / 6, 1 / 4), "flipped": (1 / 6, 3 / 4),
           "rotated": (5 / 6, 3 / 4)}
FLAG_ASPECT = 1.5


@dataclass
class FlagFacts:
    """What the image itself says about a flag-like picture."""

    orientation: str  # upright, mirrored, flipped, rotated
    red_field: bool  # the field is red enough to be a flag without any caption
    aspect: float  # intrinsic aspect of the field (width / height)
    field_box: tuple[float, float, float, float]  # field bbox as fractions of the image (x0, y0, x1, y1)
    field_lab: tuple[float, float, float]
    star_lab: tuple[float, float, float]
    delta_e_field: float
    delta_e_star: float
    greyscale: bool


@dataclass
class FlagVerdict:
    problems: list[str] = field(default_factory=list)  # codes: aspect, rendered-aspect, mirrored, colour, greyscale
    details: dict = field(default_factory=dict)


def _mean_lab(lab: np.ndarray, mask: np.ndarray) -> tuple[float, float, float]:
    m = lab[mask].mean(axis=0)
    return float(m[0]), float(m[1]), float(m[2])


def analyse_flag(img: Decoded) -> FlagFacts | None:
    """Flag structure facts, or None when the picture is not a flat flag of any colour."""
    opaque = img.opaque
    h, w = opaque.shape
    if h < 12 or w < 12 or opaque.mean() < 0.3:
        return None
    lab = img.lab
    # The field colour: median of opaque pixels that are not white (a margin may outnumber the field),
    # from every other pixel; most pictures stop here because no colour covers most of them.
    sub, sub_ok = lab[::2, ::2], opaque[::2, ::2]
    sub_ok = sub_ok & ~((sub[..., 0] > 90) & (np.abs(sub[..., 1]) + np.abs(sub[..., 2]) < 10))
    if sub_ok.sum() < 0.3 * sub_ok.size:
        return None
    median = np.median(sub[sub_ok], axis=0)
    near = np.abs(sub[sub_ok] - median).sum(axis=1) < 30
    if near.mean() < 0.8:
        return None
    return _analyse(img, lab, median)


def _analyse(img: Decoded, lab: np.ndarray, median: np.ndarray) -> FlagFacts | None:
    opaque = img.opaque
    h, w = opaque.shape
    dist = np.sqrt(((lab - median) ** 2).sum(axis=2))
    field_mask = (dist < 25) & opaque
    rows = np.flatnonzero(field_mask.mean(axis=1) > 0.3)
    cols = np.flatnonzero(field_mask.mean(axis=0) > 0.3)
    if len(rows) < 10 or len(cols) < 10:
        return None
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    fm = field_mask[y0:y1, x0:x1]
    bh, bw = fm.shape
    if fm.mean() < 0.85 or (y1 - y0) * (x1 - x0) < 0.3 * h * w:
        return None
    other = ~fm & opaque[y0:y1, x0:x1]
    labels, count = label(other)
    if count < 2:
        return None
    areas, centres = areas_and_centres(labels, count)
    order = np.argsort(areas)[::-1]
    big = order[0]
    big_area = areas[big] / (bh * bw)
    if not 0.004 <= big_area <= 0.05:
        return None
    cy, cx = centres[big][0] / bh, centres[big][1] / bw
    orientation, dmin = min(((k, np.hypot(cx - px, cy - py)) for k, (px, py) in CORNERS.items()),
                            key=lambda kv: kv[1])
    if dmin > 0.1:
        return None
    px, py = CORNERS[orientation]
    small = [i for i in order[1:] if areas[big] / 30 <= areas[i] <= areas[big] / 3
             and (centres[i][1] / bw - 0.5) * (px - 0.5) > 0 and (centres[i][0] / bh - 0.5) * (py - 0.5) > 0]
    if len(small) < 2:
        return None
    star_mask = labels == big + 1
    sub_lab = lab[y0:y1, x0:x1]
    field_lab = _mean_lab(sub_lab, fm)
    # JPEG chroma subsampling bleeds the field into small stars: judge the star by its purest half.
    far = dist[y0:y1, x0:x1]
    core = star_mask & (far >= np.quantile(far[star_mask], 0.5))
    star_lab = _mean_lab(sub_lab, core if core.any() else star_mask)
    small_star = star_mask.sum() < 40
    scale_x, scale_y = img.width / w, img.height / h
    aspect = (bw * scale_x) / (bh * scale_y)
    hue = np.degrees(np.arctan2(field_lab[2], field_lab[1]))
    red_field = chroma(field_lab) > 35 and -10 <= hue <= 75 and field_lab[0] < 75
    return FlagFacts(
        orientation=orientation, red_field=bool(red_field), aspect=float(aspect),
        field_box=(x0 / w, y0 / h, x1 / w, y1 / h), field_lab=field_lab, star_lab=star_lab,
        delta_e_field=delta_e2000(field_lab, RED_LAB),
        delta_e_star=0.0 if small_star else delta_e2000(star_lab, YELLOW_LAB),
        greyscale=chroma(field_lab) < 10 and chroma(star_lab) < 10,
    )


def judge_flag(facts: FlagFacts, rendered: tuple[float, float] | None, intrinsic: tuple[int, int],
               tolerance: float, max_delta_e: float) -> FlagVerdict:
    """Problems of a recognised flag; ``rendered`` is the displayed (width, height) when known."""
    v = FlagVerdict(details={
        "orientation": facts.orientation, "intrinsic_aspect": round(facts.aspect, 3),
        "delta_e_field": round(facts.delta_e_field, 1), "delta_e_star": round(facts.delta_e_star, 1),
    })
    if abs(facts.aspect / FLAG_ASPECT - 1) > tolerance:
        v.problems.append("aspect")
    if rendered and rendered[0] > 0 and rendered[1] > 0:
        fx0, fy0, fx1, fy1 = facts.field_box
        shown = (rendered[0] * (fx1 - fx0)) / (rendered[1] * (fy1 - fy0))
        v.details["rendered_aspect"] = round(shown, 3)
        v.details["rendered_size"] = [round(rendered[0], 1), round(rendered[1], 1)]
        if abs(shown / FLAG_ASPECT - 1) > tolerance and "aspect" not in v.problems:
            v.problems.append("rendered-aspect")
    if facts.orientation != "upright":
        v.problems.append("mirrored")
    if facts.greyscale:
        v.problems.append("greyscale")
    elif facts.delta_e_field > max_delta_e or facts.delta_e_star > max_delta_e:
        v.problems.append("colour")
    return v


PROBLEM_TEXT = {
    "aspect": "图片本身比例失真（应为3:2）",
    "rendered-aspect": "页面显示比例失真（应为3:2）",
    "mirrored": "图案镜像或翻转（大五角星应在左上角）",
    "greyscale": "为黑白（灰度）图案",
    "colour": "颜色与国旗标准色（红#EE1C25、黄#FFFF00）明显不符",
}
