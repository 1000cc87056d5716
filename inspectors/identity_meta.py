"""``identity.meta-missing``: the 指引's required ``<meta>`` tags, per page kind.

The homepage carries SiteName, SiteDomain and SiteIDCode; column list pages ColumnName and ColumnType;
articles ArticleTitle, PubDate and ContentSource (``IDENTITY_META_REQUIRED``). A tag present with an
empty value is missing; a date-only ``PubDate`` counts as present. A ``SiteIDCode`` that differs from
the registry id is reported under the same tag. One finding per site, page kind and tag
(``article:PubDate``), counted over the pages, so a template missing a tag is one finding, not 2,000.
"""

from __future__ import annotations

from collections.abc import Iterator

from govinspect.findings import Observation
from inspectors.base import Inspector, Page
from inspectors.pagemeta import page_kind, page_metas

KIND_NAMES = {"homepage": "首页", "column": "栏目页", "article": "文章页"}


class MetaTagInspector(Inspector):
    enabled_setting = "INSPECT_META_TAGS_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.required = {kind: list(tags) for kind, tags in self.settings.getdict("IDENTITY_META_REQUIRED").items()}

    def inspect_page(self, page: Page) -> Iterator[Observation]:
        tags = page_metas(page)
        kind = page_kind(page, tags)
        if kind is None:
            return
        for tag in self.required.get(kind, ()):
            if not tags.get(tag.lower()):
                yield self._obs(page, kind, tag, f"{KIND_NAMES.get(kind, kind)}缺少<meta name=\"{tag}\">标签，"
                                "请按《政府网站发展指引》网页设计规范补充。", problem="missing")
        shown = tags.get("siteidcode")
        if shown and page.site.registered and shown.lower() != page.site.id.lower():
            yield self._obs(page, kind, "SiteIDCode",
                            f"{KIND_NAMES.get(kind, kind)}的SiteIDCode标签为“{shown}”，与登记的网站标识码"
                            f"“{page.site.id}”不一致，请更正。",
                            problem="mismatch", shown=shown, expected=page.site.id)

    def _obs(self, page: Page, kind: str, tag: str, message: str, **evidence) -> Observation:
        return Observation(rule="identity.meta-missing", site_id=page.site.id, page_url=page.url, message=message,
                           key=f"{kind}:{tag}", evidence={"page_kind": kind, "tag": tag, **evidence})
