"""Low item of issue 11: with default settings Chromium must not phone home (update.googleapis.com,
accounts.google.com). Every browser connection goes through a recording loopback proxy; after a page
load and some idle time, the proxy must have seen the test page's host only."""

from __future__ import annotations

import asyncio
import socketserver
import threading
from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from scrapy.settings import Settings

from crawler.rendering import launch_options
from tests.rendering.conftest import CHROMIUM, needs_chromium

pytestmark = needs_chromium
BODY = b"<html><body>hi</body></html>"


class _Recorder(socketserver.StreamRequestHandler):
    def handle(self):
        first = self.rfile.readline().decode("latin-1").strip()
        self.server.lines.append(first)
        if first.startswith("GET http://www.example-city.gov.cn/"):
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n" % len(BODY) + BODY)
        else:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


# the default browser, and Debian's full browser (its wrapper script adds extensions and API keys)
@pytest.mark.parametrize("browser_path", [CHROMIUM, "/usr/bin/chromium"])
def test_default_launch_makes_no_background_requests(browser_path: str):
    if not Path(browser_path).exists():
        pytest.skip(f"{browser_path} missing")
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder)
    srv.daemon_threads = True
    srv.lines = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    async def run():
        pw = await async_playwright().start()
        # the defaults of settings/ (RENDER_LOOPBACK_ONLY off)
        settings = Settings()
        settings.setmodule("settings")
        settings.set("RENDER_BROWSER_PATH", browser_path)
        browser = await pw.chromium.launch(**launch_options(
            settings, {"server": f"http://127.0.0.1:{srv.server_address[1]}", "bypass": ""}))
        try:
            page = await browser.new_page()
            await page.goto("http://www.example-city.gov.cn/")
            await asyncio.sleep(10)  # before the fix: update.googleapis.com within ~2 s, accounts.google.com
        finally:
            await browser.close()
            await pw.stop()

    try:
        asyncio.run(run())
    finally:
        srv.shutdown()
        srv.server_close()
    assert "GET http://www.example-city.gov.cn/ HTTP/1.1" in srv.lines  # the proxy did carry the page
    strays = [line for line in srv.lines if "www.example-city.gov.cn" not in line]
    assert strays == []
