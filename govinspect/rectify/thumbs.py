"""Evidence screenshot thumbnails for the list documents.

Screenshots of personal-data findings (``leak.*``) are never embedded: masking cannot reach the
pixels, so the picture would carry what the text masks.
"""

from __future__ import annotations

import io
from pathlib import Path

THUMB_SIZE = (240, 150)


def thumbnail(path: str | None, rule: str, size: tuple[int, int] = THUMB_SIZE) -> bytes | None:
    """JPEG bytes of a small copy of the screenshot at ``path``, or None (none, unreadable, or a leak)."""
    if not path or rule.startswith("leak.") or not Path(path).is_file():
        return None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = img.convert("RGB")
            img.thumbnail(size)
            out = io.BytesIO()
            img.save(out, format="JPEG", quality=80)
            return out.getvalue()
    except (OSError, UnidentifiedImageError):
        return None
