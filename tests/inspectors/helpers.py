"""Building inspectors and pages for unit tests, without a crawl."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import lxml.html

from crawler.links import extract_links
from govinspect.config import build_settings
from govinspect.registry import Registry, Site
from inspectors.base import Attachment, Page, RunContext

AS_OF = date(2026, 11, 1)
CITY = Site(id="3416000001", name="示例市人民政府", organizer="示例市人民政府办公室", level="portal",
            url="http://www.example-city.gov.cn/", archive_paths=("/lsgd/",))
DEPT = Site(id="3416000002", name="示例市教育局", organizer="示例市教育局", level="department",
            url="http://jyj.example-city.com/")
REGISTRY = Registry([CITY, DEPT])


def run_context(run_id: str = "test-run") -> RunContext:
    return RunContext(run_id=run_id, as_of=AS_OF, registry=REGISTRY)


def make_inspector(cls, **settings):
    s = build_settings(extra=settings)
    crawler = SimpleNamespace(settings=s, stats=None)
    return cls(crawler)


def make_page(body: str, url: str = "http://www.example-city.gov.cn/xxgk/a.html", site: Site = CITY,
              link_text: str | None = None, referer: str | None = None, run_id: str = "test-run") -> Page:
    html = body if "<html" in body else f"<html><head><title>t</title></head><body>{body}</body></html>"
    tree = lxml.html.fromstring(html)
    return Page(url=url, site=site, status=200, headers={}, text=html, tree=tree,
                links=extract_links(tree, url), is_homepage=url == site.url, referer=referer,
                link_text=link_text, run=run_context(run_id))


def make_attachment(body: bytes, name: str, site: Site = CITY, truncated: bool = False,
                    run_id: str = "test-run") -> Attachment:
    return Attachment(url=f"http://www.example-city.gov.cn/files/{name}", site=site, body=body,
                      content_type="application/octet-stream", referer="http://www.example-city.gov.cn/tzgg/1.html",
                      link_text=name, truncated=truncated, run=run_context(run_id))


def id18(prefix17: str) -> str:
    """Complete a 17-digit prefix with its GB 11643 check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return prefix17 + "10X98765432"[sum(int(c) * w for c, w in zip(prefix17, weights, strict=True)) % 11]


def luhn_complete(prefix: str) -> str:
    """Append the Luhn check digit."""
    for d in "0123456789":
        digits = prefix + d
        total = 0
        for i, ch in enumerate(reversed(digits)):
            n = int(ch)
            if i % 2:
                n = n * 2 - 9 if n > 4 else n * 2
            total += n
        if total % 10 == 0:
            return digits
    raise AssertionError


# True positives used across tests (valid checksums, real dates before AS_OF).
ID_A = id18("34160219850312123")
ID_B = id18("34162119920704456")
ID_C = id18("11010519491231002")  # the textbook example, check character X
CARD_A = luhn_complete("622202100112345678")  # 19 digits, UnionPay
CARD_B = luhn_complete("436742000012345")  # 16 digits, Visa-range
PHONES = ["13812345678", "13923456789", "15034567890", "18645678901"]
