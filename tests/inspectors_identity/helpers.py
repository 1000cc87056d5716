"""Pages built from HTML strings, as the spider builds them, and inspectors built on the real settings."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import lxml.html
from scrapy.settings import Settings

from crawler.links import extract_links
from govinspect.registry import Registry, Site
from inspectors.base import Inspector, Page, RunContext

AS_OF = date(2026, 11, 20)
CITY = Site(id="3416000001", name="示例市人民政府", organizer="示例市人民政府办公室", level="portal",
            url="http://www.example-city.gov.cn/")
JYJ = Site(id="3416000002", name="示例市教育局", organizer="示例市教育局", level="department",
           url="http://jyj.example-city.gov.cn/", parent=CITY.id, extra_hosts=("files.example-city.gov.cn",))
RSJ = Site(id="3416000004", name="示例市人力资源和社会保障局", organizer="示例市人力资源和社会保障局",
           level="department", url="http://rsj.example-city.gov.cn:8080/", parent=CITY.id)
COUNTY = Site(id="3416210001", name="示南县人民政府", organizer="示南县人民政府办公室", level="county",
              url="http://www.shinan.gov.cn/", parent=CITY.id)
REGISTRY = Registry([CITY, JYJ, RSJ, COUNTY])


def build(cls: type[Inspector], **overrides) -> Inspector:
    """An inspector on the project's default settings (``settings/__init__.py``) plus ``overrides``."""
    settings = Settings()
    settings.setmodule("settings", priority="project")
    settings.setdict(overrides, priority="cmdline")
    return cls(SimpleNamespace(settings=settings))


def page(html: str, url: str = CITY.url, site: Site = CITY, *, homepage: bool = False, link_text: str | None = None,
         as_of: date = AS_OF, registry: Registry = REGISTRY) -> Page:
    """A parsed page with its links, as ``crawler/spiders/cluster.py`` hands it to inspectors."""
    tree = lxml.html.fromstring(html)
    return Page(url=url, site=site, status=200, headers={}, text=html, tree=tree, links=extract_links(tree, url),
                is_homepage=homepage, link_text=link_text, run=RunContext("test-run", as_of, registry))


def rules(observations) -> list[str]:
    return sorted(o.rule for o in observations)
