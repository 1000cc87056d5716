"""Rendering a written document (list or report HTML) to PNG in headless Chromium.

For the README's pictures and the tests that check the documents really draw. The page is loaded
from its file and every request that is not a ``file:`` or ``data:`` URL is refused: the documents
are self-contained, so a refused request is also a finding (returned in ``blocked``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium-headless-shell"  # as the crawl (RENDER_BROWSER_PATH)


@dataclass
class Snapshot:
    png: Path
    svg_boxes: list[tuple[float, float]] = field(default_factory=list)  # width, height of each chart
    images: int = 0  # <img> elements that decoded
    blocked: list[str] = field(default_factory=list)


def render_png(html: Path, png: Path, width: int = 1280, full_page: bool = True, height: int = 900,
               executable: str = CHROMIUM) -> Snapshot:
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})

            def guard(route):
                if route.request.url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    blocked.append(route.request.url)
                    route.abort()

            page.route("**/*", guard)
            page.goto(html.resolve().as_uri(), wait_until="load")
            boxes = page.eval_on_selector_all(
                "svg", "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })")
            images = page.eval_on_selector_all("img", "els => els.filter(e => e.complete && e.naturalWidth).length")
            png.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(png), full_page=full_page)
        finally:
            browser.close()
    return Snapshot(png, [tuple(b) for b in boxes], images, blocked)
