"""What pooled browser pages cost between renders: left on a page with a news ticker vs parked.

Government homepages scroll news (``marquee``, ``setInterval`` tickers) and turn carousels (CSS
animations). A pooled page left showing such a page keeps running it. This renders a ticker page in
``--pages`` pages (``RENDER_MAX_PAGES``), measures Chromium's CPU (all its processes) while they sit
idle, parks them on ``about:blank`` the way the pool does after every render
(``crawler.rendering.pool.park``), measures again, then times parking itself.

    .venv/bin/python bench/bench_render_idle.py [--pages 4] [--seconds 5] [--parks 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import psutil
from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.rendering import launch_options  # noqa: E402
from crawler.rendering.pool import park  # noqa: E402
from govinspect.config import project_settings  # noqa: E402
from tests.support.server import Route, RouteServer, html  # noqa: E402

TICKER = html(
    "<style>@keyframes spin { to { transform: rotate(360deg); } }"
    ".slide { width: 240px; height: 160px; background: linear-gradient(#c00, #fc0);"
    " animation: spin 3s linear infinite; }"
    "</style><marquee>滚动新闻：示例市政府召开常务会议，研究部署近期重点工作</marquee>"
    '<div class="slide"></div><div id="t" style="white-space:nowrap">通知公告 · 政策解读 · 政务要闻</div>'
    "<script>let x = 0; setInterval(() => { x = (x + 2) % 600;"
    " document.getElementById('t').style.marginLeft = x + 'px'; }, 30);</script>", title="示例市人民政府")


def chromium_cpu() -> float:
    """CPU seconds of this process's Chromium descendants (browser, renderers, GPU, network)."""
    total = 0.0
    for proc in psutil.Process(os.getpid()).children(recursive=True):
        try:
            if "chrom" in proc.name():
                times = proc.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


async def idle_cores(seconds: float) -> float:
    cpu0, t0 = chromium_cpu(), time.monotonic()
    await asyncio.sleep(seconds)
    return (chromium_cpu() - cpu0) / (time.monotonic() - t0)


async def main(args: argparse.Namespace) -> None:
    with RouteServer({"/": Route(TICKER)}) as server:
        async with async_playwright() as pw:
            settings = project_settings({"RENDER_LOOPBACK_ONLY": True})
            browser = await pw.chromium.launch(**launch_options(settings, None))
            context = await browser.new_context()
            pages = [await context.new_page() for _ in range(args.pages)]
            for page in pages:
                await page.goto(server.url + "/")
            await asyncio.sleep(1)
            showing = await idle_cores(args.seconds)
            for page in pages:
                await park(page)
            await asyncio.sleep(1)
            parked = await idle_cores(args.seconds)
            page = pages[0]
            spent, cpu0 = 0.0, chromium_cpu()
            for _ in range(args.parks):
                await page.goto(server.url + "/")
                started = time.monotonic()
                await park(page)
                spent += time.monotonic() - started
            cpu_per_cycle = (chromium_cpu() - cpu0) / args.parks
            cpu0 = chromium_cpu()
            for _ in range(args.parks):
                await page.goto(server.url + "/")
            cpu_per_render = (chromium_cpu() - cpu0) / args.parks
            await browser.close()
    print(f"{args.pages} idle pooled pages, Chromium CPU: left on a ticker page {showing:.3f} cores, "
          f"parked on about:blank {parked:.3f} cores")
    print(f"parking: {1000 * spent / args.parks:.1f} ms wall per park; Chromium CPU per load of the ticker page "
          f"{1000 * cpu_per_render:.0f} ms without parking, {1000 * cpu_per_cycle:.0f} ms with its park")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--parks", type=int, default=40)
    asyncio.run(main(parser.parse_args()))
