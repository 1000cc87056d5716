"""Shared pieces for rendering tests: the Chromium requirement and a crawl-and-read helper.

Browser tests run Debian's Chromium for real, the build the crawl launches by default
(``RENDER_BROWSER_PATH``: the headless shell). They skip only when it is absent (CI installs it), and say so.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from scrapy.settings import Settings

from tests.support.cli import FAST, govinspect, write_registry

_DEFAULTS = Settings()
_DEFAULTS.setmodule("settings")
CHROMIUM = _DEFAULTS["RENDER_BROWSER_PATH"]  # what the crawl launches unless told otherwise
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing: apt-get install chromium-headless-shell fonts-wqy-zenhei")
RENDER_TEST = ["-s", "RENDER_LOOPBACK_ONLY=true", "-s", f"RENDER_BROWSER_PATH={CHROMIUM}",
               "-s", "RENDER_SETTLE_MS=300"]


def crawl(tmp: Path, rows: list[dict[str, str]], *extra: str) -> tuple[object, list[dict]]:
    """Run ``govinspect crawl`` in a subprocess; returns the process and the findings of the run."""
    tmp.mkdir(parents=True, exist_ok=True)
    registry = write_registry(tmp / "registry.csv", rows)
    store = tmp / "findings.sqlite3"
    proc = govinspect("crawl", "--registry", str(registry), "--store", str(store), *FAST, *RENDER_TEST, *extra)
    assert proc.returncode == 0, proc.stderr[-4000:]
    db = sqlite3.connect(store)
    db.row_factory = sqlite3.Row
    rows_out = [dict(r) for r in db.execute("SELECT * FROM findings")]
    db.close()
    for r in rows_out:
        if isinstance(r.get("evidence"), str):
            r["evidence"] = json.loads(r["evidence"])
    return proc, rows_out


def site(url: str, render: str = "always", level: str = "department", sid: str = "3416000009") -> dict[str, str]:
    return {"id": sid, "name": "测试网站", "organizer": "测试单位", "level": level, "url": url, "render": render}
