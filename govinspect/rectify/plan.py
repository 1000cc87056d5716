"""Reading a re-check plan (written by :func:`govinspect.rectify.recheck.run_recheck`), for the
re-check spider, pipeline and finaliser, which all find it through the ``RECHECK_PLAN`` setting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load_plan(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))
