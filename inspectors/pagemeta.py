"""What a page says about itself: its ``<meta>`` tags (指引 网页设计规范), its kind (homepage, column
list page, article), an article's title and publication time.

Shared by the meta-tag, coordination and interaction inspectors. The page kind follows the 指引's
three levels: the homepage; a column list page (``ColumnName``/``ColumnType`` meta, or a navigation
text, breadcrumb or title naming a column, as the freshness inspector identifies columns, on a page
that lists items); an article
(``ArticleTitle``/``PubDate`` meta or a CMS article URL). Other pages have no kind and no required tags.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from inspectors.base import Page
from inspectors.dates import nfkc
from inspectors.freshness import identify_column, list_items

HOMEPAGE, COLUMN, ARTICLE = "homepage", "column", "article"
ARTICLE_URL = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_|/t\d{8}_\d+\.\w+$|/content_\d+\.\w+$|/art_\d+_\d+\.\w+$")
# 2026-11-03 09:30, 2026年11月3日 9时30分, 2026/11/03 09:30:00; the time part is optional.
_DATETIME = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T ]?\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
)
_PUBLISHED_LABEL = re.compile(r"(?:发布|发文|成文|印发)?(?:时间|日期)\s*[:：]")
_TITLE_SPLIT = re.compile(r"\s*[_|｜–—]\s*|\s+-\s+")


def page_metas(page: Page) -> dict[str, str]:
    """:func:`metas` of a page, computed once per page (several inspectors read them)."""
    cached = page.__dict__.get("_meta_tags")
    if cached is None:
        cached = page.__dict__["_meta_tags"] = metas(page.tree)
    return cached


def metas(tree: HtmlElement) -> dict[str, str]:
    """``<meta name=... content=...>`` by lower-cased name (first wins), values NFKC-normalised."""
    out: dict[str, str] = {}
    head = tree.find("head")  # meta tags live in the head; walking the whole body costs more
    found = list(head.iter("meta")) if head is not None else []
    for meta in found or tree.iter("meta"):  # misplaced ones (a broken head) are still read
        name = (meta.get("name") or "").strip().lower()
        if name and name not in out:
            out[name] = nfkc(meta.get("content") or "").strip()
    return out


def page_kind(page: Page, tags: dict[str, str] | None = None) -> str | None:
    """``homepage``, ``column``, ``article`` or None (a page the 指引 gives no required tags);
    computed once per page."""
    if "_page_kind" not in page.__dict__:
        page.__dict__["_page_kind"] = _page_kind(page, page_metas(page) if tags is None else tags)
    return page.__dict__["_page_kind"]


def _page_kind(page: Page, tags: dict[str, str]) -> str | None:
    if page.is_homepage:
        return HOMEPAGE
    if "articletitle" in tags or "pubdate" in tags or ARTICLE_URL.search(urlsplit(page.url).path):
        return ARTICLE
    column = identify_column(page)
    # Named a column only by a link text or title (no column meta): a list page lists items; a short
    # article title such as 教师招聘公告 names a column kind too, but its page lists nothing.
    if column is not None and (column.has_meta or list_items(page, page.run.as_of if page.run else date.today())):
        return COLUMN
    return None


def parse_datetime(text: str) -> tuple[datetime, bool] | None:
    """The first date in ``text`` with its time of day when given: (moment, has_time)."""
    m = _DATETIME.search(nfkc(text))
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        if m.group(4) is not None:
            second = int(m.group(6) or 0)
            return datetime(year, month, day, int(m.group(4)), int(m.group(5)), second), True
        return datetime(year, month, day), False
    except ValueError:
        return None


def article_title(page: Page, tags: dict[str, str]) -> str:
    """``ArticleTitle`` meta, else the first ``h1``, else the ``<title>`` before its site-name suffix."""
    if tags.get("articletitle"):
        return tags["articletitle"]
    h1 = page.tree.find(".//h1")
    if h1 is not None:
        text = " ".join(nfkc(h1.text_content()).split())
        if text:
            return text
    title = nfkc(page.tree.findtext(".//title") or "").strip()
    return _TITLE_SPLIT.split(title, maxsplit=1)[0].strip() if title else ""


def published(page: Page, tags: dict[str, str], text: str) -> tuple[datetime, bool] | None:
    """When an article was published: ``PubDate`` meta, else a 发布时间/发布日期 label in ``text``."""
    if tags.get("pubdate"):
        found = parse_datetime(tags["pubdate"])
        if found:
            return found
    m = _PUBLISHED_LABEL.search(text)
    if m:
        return parse_datetime(text[m.end(): m.end() + 40])
    return None


def as_day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment
