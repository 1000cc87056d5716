"""``identity.emblem-missing``: a county-level or higher government portal whose homepage shows no
national emblem (国徽法 第七条, since 2021).

An emblem counts when the homepage shows an image named as one (alt, title, file name, caption:
国徽 / guohui / emblem), a CSS background whose URL says so, or an image that the shared image store
matched against the reference emblems. Hidden images (rendered pages) do not count. Judged when the
site's run ends, after the homepage's images have been fetched and analysed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from govinspect.findings import Observation
from govinspect.registry import Site
from inspectors.base import Inspector, Page, RenderInfo, RunView
from inspectors.evidence import evidence_screenshot
from inspectors.images.cache import ImageStore
from inspectors.images.context import EMBLEM_WORDS, image_contexts

LEVELS = ("portal", "county")
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)", re.IGNORECASE)


@dataclass
class _Homepage:
    url: str
    named: bool = False
    images: list[str] = field(default_factory=list)
    render: RenderInfo | None = None


class EmblemMissingInspector(Inspector):
    enabled_setting = "INSPECT_EMBLEM_MISSING_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.store = ImageStore.for_crawler(crawler)
        self.homepages: dict[str, _Homepage] = {}

    def inspect_page(self, page: Page) -> Iterator[Observation]:
        if not page.is_homepage or page.site.level not in LEVELS:
            return
        home = _Homepage(page.url, render=page.rendered)
        for ctx in image_contexts(page):
            if not ctx.visible:
                continue
            home.images.append(ctx.url)
            if ctx.emblem_hint:
                home.named = True
        for el in page.tree.iter("style"):
            if any(EMBLEM_WORDS.search(u) for u in _CSS_URL.findall(el.text or "")):
                home.named = True
        for el in page.tree.xpath("//*[@style]"):
            if any(EMBLEM_WORDS.search(u) for u in _CSS_URL.findall(el.get("style") or "")):
                home.named = True
        self.homepages[page.site.id] = home
        yield from ()

    def site_finished(self, site: Site, view: RunView) -> Iterator[Observation]:
        home = self.homepages.pop(site.id, None)
        if home is None or site.level not in LEVELS:
            return
        if home.named or any(self.store.is_emblem(self.store.get(url)) for url in home.images):
            return
        shot = evidence_screenshot(home.render, f"identity-emblem-missing-{site.id}") if home.render else None
        yield Observation(
            rule="identity.emblem-missing", site_id=site.id, page_url=home.url, target_url=None,
            message=f"县级以上人民政府门户网站首页未展示国徽，请按国徽法第七条在首页显著位置展示标准国徽图案：{home.url}",
            evidence={"level": site.level, "images_checked": len(home.images),
                      "references": [r.name for r in self.store.references]},
            screenshot=shot,
        )
