"""Images to analyse go ahead of the site's ordinary pages, documents after them (issue 8).

Until an image's analysis is in, every page showing it (a footer's filing icon, a header's flag)
waits for it: in a fleet, a Redis round trip and a context pushed per page. So the crawl fetches
images (and inspectors' fetch wishes) before pages; documents still wait for the pages. Order is
read at a loopback server, one request at a time.
"""

from __future__ import annotations

import io

from PIL import Image

from tests.support.cli import FAST, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

PAGES = [f"/p{i}.html" for i in range(1, 6)]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (222, 41, 16)).save(out, "PNG")
    return out.getvalue()


def _routes() -> dict[str, Route]:
    links = "".join(f'<a href="{p}">栏目{i}</a>' for i, p in enumerate(PAGES, 1))
    home = html(f'{links}<img src="/banner.png" alt="国旗" width="60" height="40">'
                '<a href="/files/notice.pdf">通知附件</a>')
    routes = {"/": Route(home), "/banner.png": Route(_png(), headers={"Content-Type": "image/png"}),
              "/files/notice.pdf": Route(b"%PDF-1.4\n%%EOF\n", headers={"Content-Type": "application/pdf"})}
    routes.update({p: Route(html(f"正文 {p}")) for p in PAGES})
    return routes


def test_images_are_fetched_before_pages_and_documents_after(tmp_path):
    with RouteServer(_routes()) as srv:
        registry = write_registry(tmp_path / "r.csv", [
            {"id": "3416000001", "name": "测试", "organizer": "测试办", "url": srv.url + "/"}])
        result = govinspect("crawl", "--registry", str(registry), "--store", str(tmp_path / "s.sqlite3"),
                            *FAST, "-s", "CONCURRENT_REQUESTS=1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
        order = [path for method, path in srv.hits if method == "GET"]
    assert result.returncode == 0, result.stderr[-3000:]
    pages = [order.index(p) for p in PAGES]
    assert order.index("/banner.png") < min(pages), order
    assert "/files/notice.pdf" in order and order.index("/files/notice.pdf") > max(pages), order  # decoy
