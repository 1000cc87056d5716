"""A crawl imports only what it uses: no browser stack with rendering off, no scipy, no aiohttp.

Each of these cost 0.25–0.4 CPU s at every start of every crawl and worker process (issue 9). The
crawl runs as the real command in a subprocess over a loopback site with a page, an image and a
link, so the image inspector (emblem references hashed at start, the flag's stars labelled) and the link
checker both run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.cli import FAST, clean_env, write_registry
from tests.support.server import Route, RouteServer, html

HEAVY = ("playwright", "scrapy_playwright", "aiohttp", "scipy", "scrapy.extensions.remote_control")
# Runs the CLI, then reports which heavy modules the process imported.
RUNNER = (
    "import atexit, json, runpy, sys\n"
    f"heavy = {HEAVY!r}\n"
    "atexit.register(lambda: print('IMPORTED ' + json.dumps([m for m in heavy if m in sys.modules])))\n"
    "sys.argv = ['govinspect', *sys.argv[1:]]\n"
    "runpy.run_module('govinspect.cli', run_name='__main__')\n"
)


def _png() -> bytes:
    import io

    from PIL import Image, ImageDraw

    out = io.BytesIO()
    flag = Image.new("RGB", (120, 80), (222, 41, 16))  # flag-like: the flag check labels its stars
    draw = ImageDraw.Draw(flag)
    for x, y, r in ((20, 20, 12), (40, 8, 4), (48, 16, 4), (48, 28, 4), (40, 36, 4)):
        draw.regular_polygon((x, y, r), 5, fill=(255, 222, 0))
    flag.save(out, format="PNG")
    return out.getvalue()


def _imported(tmp_path: Path, *settings: str) -> list[str]:
    routes = {
        "/": Route(html('<img src="/logo.png" alt="标志"><a href="/a.html">政务公开</a>')),
        "/a.html": Route(html("<p>内容</p>")),
        "/logo.png": Route(_png(), headers={"Content-Type": "image/png"}),
    }
    with RouteServer(routes) as server:
        registry = write_registry(tmp_path / "registry.csv",
                                  [{"id": "3416000001", "name": "测试", "organizer": "测试办", "url": server.url + "/"}])
        done = subprocess.run([sys.executable, "-c", RUNNER, "crawl", "--registry", str(registry), "--store",
                               str(tmp_path / "store.sqlite3"), *FAST, *settings],
                              capture_output=True, text=True, timeout=180, env=clean_env())
        assert any(path == "/logo.png" for _, path in server.hits), done.stderr[-2000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("IMPORTED "))
    return json.loads(line.removeprefix("IMPORTED "))


def test_a_crawl_with_rendering_off_never_imports_the_browser_stack(tmp_path: Path):
    assert _imported(tmp_path, "-s", "RENDER_ENABLED=false") == []


def test_rendering_on_does_bring_the_browser_handler(tmp_path: Path):
    """Decoy: with rendering on, the browser download handler (and so Playwright) is loaded."""
    imported = _imported(tmp_path, "-s", "RENDER_ENABLED=true")
    assert "scrapy_playwright" in imported and "playwright" in imported
    assert "aiohttp" not in imported and "scipy" not in imported
