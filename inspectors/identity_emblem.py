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

from govinspect.findings import Observation
from govinspect.registry import Site
from govinspect.runstate import MemoryRunState
from govinspect.vocabulary import RunContext
from inspectors.base import Attachment, Inspector, Page, RenderInfo, RunView
from inspectors.evidence import evidence_screenshot
from inspectors.images.cache import ImageStore
from inspectors.images.context import EMBLEM_WORDS, image_contexts

LEVELS = ("portal", "county")
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)", re.IGNORECASE)


HOMEPAGES = "identity.emblem.homepage"  # run-state namespace: site id → what the homepage showed
EMBLEMS = "identity.emblem.images"  # image URL → true when the image store matched an emblem


class EmblemMissingInspector(Inspector):
    """Keeps what it saw on the homepage in the run state, so whichever process concludes the site
    (maybe not the one that fetched the homepage or its images) judges it the same."""

    enabled_setting = "INSPECT_EMBLEM_MISSING_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.store = ImageStore.for_crawler(crawler)
        context = RunContext.of(self.settings)
        self.state = context.state if context is not None and context.state is not None else MemoryRunState("emblem")

    def inspect_page(self, page: Page) -> Iterator[Observation]:
        if not page.is_homepage or page.site.level not in LEVELS:
            return
        named = False
        images = []
        for ctx in image_contexts(page):
            if not ctx.visible:
                continue
            images.append(ctx.url)
            if ctx.emblem_hint:
                named = True
        for el in page.tree.iter("style"):
            if any(EMBLEM_WORDS.search(u) for u in _CSS_URL.findall(el.text or "")):
                named = True
        for el in page.tree.xpath("//*[@style]"):
            if any(EMBLEM_WORDS.search(u) for u in _CSS_URL.findall(el.get("style") or "")):
                named = True
        render = page.rendered
        self.state.put(HOMEPAGES, page.site.id, {
            "url": page.url, "named": named, "images": images,
            "screenshot": render.screenshot if render else None,
            "evidence_dir": render.extra.get("evidence_dir") if render else None,
        })
        for url in images:  # images the browser already handed over are analysed by now
            self._remember(url)
        yield from ()

    def inspect_attachment(self, attachment: Attachment) -> Iterator[Observation]:
        self._remember(attachment.url)  # the image inspector (earlier in INSPECTORS) analysed it
        yield from ()

    def _remember(self, url: str) -> None:
        if self.store.is_emblem(self.store.known(url)):  # analysed in this process (the others: site_finished)
            self.state.put(EMBLEMS, url, True)

    def site_finished(self, site: Site, view: RunView) -> Iterator[Observation]:
        home = self.state.get(HOMEPAGES, site.id)
        if home is None or site.level not in LEVELS:
            return
        images = home["images"]
        if home["named"] or any(self.state.get_many(EMBLEMS, images)) or any(
            self.store.is_emblem(analysis) for analysis in self.store.get_many(images)  # by any process
        ):
            return
        render = (RenderInfo(screenshot=home["screenshot"], extra={"evidence_dir": home["evidence_dir"]})
                  if home["screenshot"] else None)
        shot = evidence_screenshot(render, f"identity-emblem-missing-{site.id}") if render else None
        url = home["url"]
        yield Observation(
            rule="identity.emblem-missing", site_id=site.id, page_url=url, target_url=None,
            message=f"县级以上人民政府门户网站首页未展示国徽，请按国徽法第七条在首页显著位置展示标准国徽图案：{url}",
            evidence={"level": site.level, "images_checked": len(images),
                      "references": [r.name for r in self.store.references]},
            screenshot=shot,
        )
