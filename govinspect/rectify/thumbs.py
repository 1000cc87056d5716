"""Evidence screenshot thumbnails for the list documents.

Screenshots of personal-data findings (``leak.*``) are never embedded: masking cannot reach the
pixels, so the picture would carry what the text masks.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

THUMB_SIZE = (240, 150)


def local_screenshots(lst: dict[str, Any], store: Any, cache: Path) -> dict[str, Any]:
    """The list with each entry's screenshot on this machine: a fleet's worker wrote it on its own
    disk, and the store keeps a copy under its file name (``FindingStore.evidence_file``), which is
    written to ``cache``. Leaks are left alone (never embedded)."""
    entries = []
    for entry in lst["entries"]:
        path = entry.get("screenshot")
        if path and not entry["rule"].startswith("leak.") and not Path(path).is_file():
            name = Path(path).name
            data = store.evidence_file(name)
            if data is not None:
                cache.mkdir(parents=True, exist_ok=True)
                (cache / name).write_bytes(data)
                entry = {**entry, "screenshot": str(cache / name)}
        entries.append(entry)
    return {**lst, "entries": entries}


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
