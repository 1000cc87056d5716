"""Browser side, run inside the Playwright handler: page set-up, settling, measuring, full-page capture."""


from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scrapy import Request

from crawler.rendering import guard as guard_state
from govinspect.vocabulary import RenderedImage, RenderWishes

logger = logging.getLogger(__name__)

MEASURED = "img,a,area,iframe,input[type=image]"

# Browser side: stamp ids, measure boxes and say why an element is hidden (for the hidden-link check).
_MEASURE_JS = r"""
(opts) => {
  const de = document.documentElement, body = document.body || de;
  const docW = Math.max(de.scrollWidth, body.scrollWidth, de.clientWidth);
  const docH = Math.max(de.scrollHeight, body.scrollHeight, de.clientHeight);
  const sx = window.scrollX, sy = window.scrollY;
  // Why an element is hidden: its own style, then its ancestors' (first reason on the way up). An
  // ancestor's verdict is the same for every element under it: computed once per ancestor (a page's
  // hundreds of links share a few dozen ancestors), so the result is that of the plain walk.
  const own = (a, cs) => {
    if (cs.display === 'none') return 'display:none';
    if (cs.visibility === 'hidden' || cs.visibility === 'collapse') return 'visibility:hidden';
    if (parseFloat(cs.opacity) === 0) return 'opacity:0';
    if (a.tagName === 'MARQUEE') {
      const m = a.getBoundingClientRect();
      if (m.width <= 1 || m.height <= 1) return 'marquee';
    }
    return null;
  };
  const above = new Map();
  const up = a => {
    if (!a || a.nodeType !== 1) return null;
    let reason = above.get(a);
    if (reason !== undefined) return reason;
    const cs = getComputedStyle(a);
    reason = own(a, cs);
    if (reason === null && cs.overflow !== 'visible' && (a.clientHeight === 0 || a.clientWidth === 0))
      reason = 'clipped';
    if (reason === null) reason = up(a.parentElement);
    above.set(a, reason);
    return reason;
  };
  const why = (el, r, cs) => {
    const reason = own(el, cs) || up(el.parentElement);
    if (reason) return reason;
    if (el.tagName === 'A' && parseFloat(cs.fontSize) === 0
        && !el.querySelector('img')) return 'font-size:0';
    if (r.width < 1 || r.height < 1) return 'zero-size';
    if (r.right + sx <= 0 || r.bottom + sy <= 0 || r.left + sx >= docW || r.top + sy >= docH)
      return 'off-screen';
    return null;
  };
  // The short text around an image (as inspectors.images.context.caption reads it): for the hints.
  const BLOCKS = new Set(['P', 'LI', 'TD', 'DIV', 'DD', 'DT', 'SPAN', 'A']);
  const squeeze = t => (t || '').replace(/\s+/g, ' ').trim();
  const near = el => {
    for (let a = el.parentElement; a; a = a.parentElement) {
      if (a.tagName === 'FIGURE') {
        const c = a.querySelector('figcaption');
        if (c) return squeeze(c.textContent).slice(0, 80);
      }
      if (a.tagName === 'A' && a.title) return a.title.slice(0, 80);
      if (BLOCKS.has(a.tagName)) {
        const t = squeeze(a.textContent);
        return t.length <= 40 ? t : '';
      }
    }
    return '';
  };
  const boxes = {}, images = [];
  let n = 0;
  for (const el of document.querySelectorAll(opts.selector)) {
    if (n >= opts.max) break;
    const id = 'g' + (n++);
    el.setAttribute('data-gi-id', id);
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    const reason = why(el, r, cs);
    const img = el.tagName === 'IMG';
    boxes[id] = [r.left + sx, r.top + sy, r.width, r.height, reason === null,
                 img ? el.naturalWidth : null, img ? el.naturalHeight : null, reason,
                 img ? cs.objectFit : null];
    if (img && el.src && /^https?:/.test(el.src))
      images.push([el.src, el.alt || '', el.title || '', near(el), r.width, r.height,
                   el.naturalWidth, el.naturalHeight, reason === null]);
  }
  const html = opts.html ? (document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '')
                           + document.documentElement.outerHTML : null;
  // Still moving once measured (CSS animations, a marquee, intervals, animation frames, timer chains):
  // the pool parks such a page on about:blank rather than leave it running between renders.
  const now = performance.now();
  const running = (document.getAnimations ? document.getAnimations().some(a => a.playState === 'running') : false)
    || document.querySelector('marquee') !== null || (window.__giIntervals || 0) > 0
    || now - (window.__giFrame || -1e9) < 500 || now - (window.__giChained || -1e9) < 2000;
  return {boxes: boxes, images: images, width: docW, height: docH, html: html, running: running};
}
"""

# Browser side: cover every ID-, card- and mobile-shaped number in the page's text with an opaque box
# before the page is captured (the same shapes ``govinspect.masking`` masks in text), so screenshots
# and the evidence crops made from them never show personal data in their pixels. Returns the boxes
# (document coordinates) so they can be checked; the boxes are removed after the capture.
_REDACT_JS = r"""
(opts) => {
  const patterns = [
    /(?<!\d)\d{17}[\dXx](?!\d)/g,                     // ID (18)
    /(?<!\d)\d{3}(?:[ -]?\d){9,12}[ -]?\d{4}(?!\d)/g,  // bank card, maybe grouped
    /(?<!\d)\d{15}(?!\d)/g,                          // legacy ID (15)
    /(?<!\d)1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)/g,      // mobile
  ];
  const sx = window.scrollX, sy = window.scrollY, boxes = [];
  const layer = document.createElement('div');
  layer.setAttribute('data-gi-redactions', '1');
  layer.style.cssText = 'position:absolute;left:0;top:0;width:0;height:0;overflow:visible;' +
                        'z-index:2147483647;pointer-events:none';
  const walker = document.createTreeWalker(document.body || document.documentElement, NodeFilter.SHOW_TEXT);
  const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE']);
  let node;
  while ((node = walker.nextNode()) && boxes.length < opts.max) {
    const text = node.nodeValue;
    if (!text || text.replace(/\D/g, '').length < 11) continue;
    if (node.parentElement && skip.has(node.parentElement.tagName)) continue;
    for (const re of patterns) {
      re.lastIndex = 0;
      let m;
      while ((m = re.exec(text)) && boxes.length < opts.max) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        for (const r of range.getClientRects()) {
          if (r.width < 1 || r.height < 1) continue;
          const pad = 2, b = [r.left + sx - pad, r.top + sy - pad, r.width + 2 * pad, r.height + 2 * pad];
          const d = document.createElement('div');
          d.style.cssText = `position:absolute;left:${b[0]}px;top:${b[1]}px;width:${b[2]}px;` +
                            `height:${b[3]}px;background:#000;`;
          layer.appendChild(d);
          boxes.push(b);
        }
      }
    }
  }
  if (boxes.length) document.documentElement.appendChild(layer);
  return boxes;
}
"""
_UNREDACT_JS = "() => document.querySelectorAll('[data-gi-redactions]').forEach(e => e.remove())"


# ---- browser side (run inside the Playwright handler) --------------------------------------------------
async def init_page(page: Any, request: Request) -> None:
    """Remember the page (to close it on timeout), collect image responses, block stray WebSockets."""
    request.meta["_gi_page"] = page
    images: dict[str, Any] = {}
    net = {"inflight": 0, "last": time.monotonic()}
    page._gi_images, page._gi_net = images, net  # read by measure_page

    def on_response(resp: Any) -> None:
        if resp.request.resource_type == "image" and resp.status == 200 and len(images) < 500:
            images.setdefault(resp.url, resp)

    def started(_: Any) -> None:
        net["inflight"] += 1
        net["last"] = time.monotonic()

    def ended(_: Any) -> None:
        net["inflight"] -= 1
        net["last"] = time.monotonic()

    page.on("response", on_response)
    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    guard = guard_state.current()
    if guard is not None and guard.loopback_only:
        async def on_ws(ws: Any) -> None:
            if guard.allowed(ws.url):
                ws.connect_to_server()
            else:
                await ws.close()
        await page.route_web_socket(re.compile(".*"), on_ws)


_SHOT_LOCK: asyncio.Lock | None = None


def _shot_lock() -> asyncio.Lock:
    """Created on first use, on the loop the renders run on (the browser's thread loop)."""
    global _SHOT_LOCK
    if _SHOT_LOCK is None:
        _SHOT_LOCK = asyncio.Lock()
    return _SHOT_LOCK


async def _settle(page: Any, limit: float, quiet: float = 0.15) -> None:
    """Wait until no request has been in flight for ``quiet`` seconds (scripts filling lists), at most
    ``limit``; cheaper than Playwright's ``networkidle``, which always waits 500 ms."""
    net = getattr(page, "_gi_net", None)
    deadline = time.monotonic() + limit
    while net is not None and time.monotonic() < deadline:
        if net["inflight"] <= 0 and time.monotonic() - net["last"] >= quiet:
            return
        await asyncio.sleep(0.05)


async def measure_page(page: Any, options: dict[str, Any], wishes: Sequence[RenderWishes] = ()) -> dict[str, Any]:
    """Let the page settle (request events counted in Python), then :func:`measure_loaded_page`."""
    await _settle(page, options["settle_ms"] / 1000)
    return await measure_loaded_page(page, options, wishes)


async def measure_loaded_page(page: Any, options: dict[str, Any], wishes: Sequence[RenderWishes] = (),
                              settle_js: str | None = None, settle: dict | None = None) -> dict[str, Any]:
    """Stamp and measure elements, take the page screenshot, keep image bytes (the page has settled).

    ``wishes`` (the inspectors' :class:`RenderWishes`) decide which image bodies are handed over and
    whether a page other than a homepage is captured (``shot_all``: every page is). With ``settle_js``
    the page first settles (``settle`` its options) and the result carries the DOM as ``html``, taken
    after stamping: one protocol round trip for all three.
    """
    started = time.monotonic()
    args = {"selector": options["selector"], "max": options["max"]}
    if settle_js:
        script = f"async (o) => {{ await ({settle_js.strip()})(o.settle); return ({_MEASURE_JS.strip()})(o); }}"
        result = await page.evaluate(script, {**args, "settle": settle, "html": True})
    else:
        result = await page.evaluate(_MEASURE_JS, args)
    seen = [RenderedImage(url=r[0], alt=r[1], title=r[2], text=r[3], width=r[4], height=r[5],
                          natural_width=r[6] or 0, natural_height=r[7] or 0, visible=bool(r[8]))
            for r in result.pop("images", None) or ()]
    shot = options.get("shot")
    if shot and not (options.get("shot_all") or options.get("homepage")
                     or any(w.wants_evidence(img) for img in seen for w in wishes)):
        shot = None  # no inspector can make a finding here that needs the capture
    if shot:
        Path(shot).parent.mkdir(parents=True, exist_ok=True)
        height = max(1, min(int(result["height"] or 1), options["shot_max_height"]))
        width = max(1, int(result["width"] or 1))
        # Headless Chromium paints beyond the viewport only for the page in front: pages captured
        # side by side repeat their first screenful. One capture at a time, brought to front.
        async with _shot_lock():
            await page.bring_to_front()
            if options.get("redact", True):
                result["redactions"] = await page.evaluate(_REDACT_JS, {"max": options.get("redact_max", 2000)})
            try:
                await page.screenshot(path=shot, type="jpeg", quality=70, full_page=True,
                                      clip={"x": 0, "y": 0, "width": width, "height": height}, timeout=10_000)
            finally:
                if result.get("redactions"):
                    await page.evaluate(_UNREDACT_JS)  # the DOM handed to the inspectors stays the page's own
        result["screenshot"] = shot
    # Bytes only of the images some inspector will examine and does not know yet (one round trip each).
    wanted = {img.url for img in seen if any(w.wants_image_body(img) for w in wishes)}
    images: dict[str, bytes] = {}
    captured = getattr(page, "_gi_images", {})
    for url in [u for u in captured if u in wanted][: options["capture_images"]]:
        resp = captured[url]
        try:
            size = int(resp.headers.get("content-length") or 0)  # no round trip: the headers are here
            if size <= options["image_maxsize"]:
                body = await resp.body()
                if len(body) <= options["image_maxsize"]:
                    images[url] = body
        except Exception:  # evicted from the browser cache, redirect, aborted: the crawl fetches it
            continue
    result["images"] = images
    result["images_seen"] = len(seen)
    result["seconds"] = round(time.monotonic() - started, 3)
    return result

