"""A browser killed in the middle of a crawl costs at most the page being rendered, not the run: that
page is rendered again (or fetched without the browser), and later pages by a relaunched browser."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import psutil

from inspectors.images.drawing import draw_flag, encode
from tests.rendering.conftest import RENDER_TEST, needs_chromium, site
from tests.support.cli import FAST, clean_env, write_registry
from tests.support.server import Route, RouteServer, html

pytestmark = needs_chromium
PNG = {"Content-Type": "image/png"}


def _kill_browsers(root: psutil.Process) -> int:
    killed = 0
    for proc in root.children(recursive=True):
        try:
            if "chrom" in proc.name().lower():
                proc.kill()
                killed += 1
        except psutil.NoSuchProcess:
            pass
    return killed


def test_killed_browser_costs_one_page(tmp_path):
    routes = {
        "/": Route(html('<a href="/slow.html">慢页面</a>')),
        "/slow.html": Route(html('<img src="/m1.png" alt="国旗"><a href="/after.html">下一页</a>')),
        # slow too: its render comes after the kill (pages are fetched statically first, so a link
        # of the static copy is followed while the page that holds it is still being rendered)
        "/after.html": Route(html('<img src="/m2.png" alt="国旗">'), delay=10),  # long: a loaded machine
        # slow: the page is fetched statically first, so the render is what waits for this image
        # (the crawl asks for it only after the render): the browser is killed in the middle of it
        "/m1.png": Route(encode(draw_flag(mirrored=True)), headers=PNG, delay=4),
        "/m2.png": Route(encode(draw_flag(150, 100, mirrored=True)), headers=PNG),
    }
    with RouteServer(routes) as srv:
        registry = write_registry(tmp_path / "registry.csv", [site(srv.url + "/")])
        store = tmp_path / "findings.sqlite3"
        cmd = [sys.executable, "-m", "govinspect.cli", "crawl", "--registry", str(registry), "--store", str(store),
               *FAST, *RENDER_TEST]
        proc = subprocess.Popen(cmd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while ("GET", "/m1.png") not in srv.hits and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        killed = _kill_browsers(psutil.Process(proc.pid))
        _, err = proc.communicate(timeout=120)
    assert killed >= 1
    assert proc.returncode == 0, err[-3000:]
    db = sqlite3.connect(store)
    rows = {r[0][len(srv.url):]: (r[1], json.loads(r[2])) for r in db.execute(
        "SELECT target_url, screenshot, evidence FROM findings WHERE rule = 'image.flag-misuse'")}
    db.close()
    assert set(rows) == {"/m1.png", "/m2.png"}  # the interrupted page was inspected all the same
    assert rows["/m2.png"][0]  # the next page was rendered, with its screenshot
    assert err.count("Browser chromium launched") >= 2, err[-3000:]  # by a new browser
