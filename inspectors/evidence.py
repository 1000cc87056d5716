"""Evidence screenshots: crop a rendered page's full capture around a finding's element."""


from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from govinspect.vocabulary import RenderInfo

if TYPE_CHECKING:

    pass

logger = logging.getLogger(__name__)


# ---- evidence ------------------------------------------------------------------------------------------------
def evidence_screenshot(render: RenderInfo | None, name: str, gi_id: str | None = None,
                        margin: int = 40) -> str | None:
    """A screenshot for a finding: the page capture cropped around element ``gi_id`` (with a blue
    frame), or the whole capture when ``gi_id`` is None (site-level findings). Returns its path."""
    if render is None or not render.screenshot or not Path(render.screenshot).is_file():
        return None
    from PIL import Image, ImageDraw

    out_dir = Path(render.extra.get("evidence_dir") or Path(render.screenshot).parent.parent)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{_safe(name)}.png"
    with Image.open(render.screenshot) as shot:
        shot = shot.convert("RGB")
        if gi_id is None:  # the whole page: JPEG keeps it small
            out = out.with_suffix(".jpg")
            shot.save(out, quality=80)
            return str(out)
        box = render.boxes.get(gi_id)
        if box is None or box.width < 1 or box.height < 1 or box.y >= shot.height or box.x >= shot.width:
            return None
        left, top = max(0, int(box.x) - margin), max(0, int(box.y) - margin)
        right = min(shot.width, int(box.x + box.width) + margin)
        bottom = min(shot.height, int(box.y + box.height) + margin)
        crop = shot.crop((left, top, right, bottom))
        ImageDraw.Draw(crop).rectangle(
            (int(box.x) - left - 2, int(box.y) - top - 2,
             int(box.x + box.width) - left + 1, int(box.y + box.height) - top + 1), outline=(0, 102, 255), width=2)
        crop.save(out)
    return str(out)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120] or "evidence"

