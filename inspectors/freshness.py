"""``freshness.*``: a stale homepage, stale columns and empty columns, judged page by page.

Nothing is remembered between pages (any worker may inspect any page): the homepage is judged from
the dated items it links, a column from its own first list page. A list page is a column when its
``ColumnName``/``ColumnType`` meta says so, or when the navigation text that led to it, its
breadcrumb or its title names a column kind. Items without a date count as not updated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import islice
from urllib.parse import parse_qsl, urlsplit

from lxml.html import HtmlElement

from govinspect.findings import Observation
from govinspect.urls import normalize_url
from inspectors.base import Inspector, Page
from inspectors.dates import date_in_text, date_in_url, dates_in_text, is_date_label, nfkc
from inspectors.identity import visible_text

# Column kinds, most specific first; the settings hold their thresholds (rules.md freshness.column-stale).
KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("notice", ("通知", "公告", "政策文件", "政府文件", "规范性文件")),
    ("personnel", ("人事", "规划", "计划")),
    ("news", ("要闻", "动态", "新闻")),
)
KIND_SETTINGS = {
    "news": "FRESHNESS_NEWS_DAYS",
    "notice": "FRESHNESS_NOTICE_DAYS",
    "personnel": "FRESHNESS_PERSONNEL_DAYS",
}
# Navigation texts, breadcrumbs and titles longer than this are article titles, not column names.
COLUMN_NAME_MAX_CHARS = 12
# A homepage with this many listed items and not one date has items that "count as not updated";
# fewer undated links is a navigation-only homepage, judged through its columns instead.
HOMEPAGE_MIN_UNDATED_ITEMS = 5
PLACEHOLDER = re.compile(r"暂无(?:相关)?(?:信息|数据|内容|记录|文章)")
_CHROME = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|header|footer|foot|bottom|crumbs?|breadcrumbs?|location|position|dqwz"
    r"|weizhi|pager|paging|pagination|fenye|side|sidebar|subnav)(?:$|[\s_-])",
    re.IGNORECASE,
)
_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside", "head", "script", "noscript", "select"})
_CRUMB = re.compile(r"(?:^|[\s_-])(?:crumbs?|breadcrumbs?|location|position|dqwz|weizhi)(?:$|[\s_-])", re.I)
_LIST_TAGS = frozenset({"li", "tr", "dd", "dt"})
_STOP_TAGS = frozenset({"ul", "ol", "table", "tbody", "dl", "body"})
_ARTICLE_URL = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_|/t\d{8}_\d+\.\w+$|/content_\d+\.\w+$")
_LATER_PAGE_URL = re.compile(r"(?:index|list)_(\d+)\.\w+$")
_PAGE_PARAMS = ("page", "pageno", "pageindex", "curpage", "pagenum", "p")
_TRAILING_DATE = re.compile(r"[\[(（【]?[\d\s\-/.年月日:]+[\])）】]?$")


@dataclass
class Item:
    """A link a list shows, with the publish date found for it (None: undated)."""

    url: str
    text: str
    date: date | None


@dataclass
class Column:
    """What the page says about itself as a column."""

    name: str
    kind: str | None
    source: str  # meta / link / breadcrumb / title
    has_meta: bool
    evidence: dict = field(default_factory=dict)


def _marker(el: HtmlElement) -> str:
    return f"{el.get('id') or ''} {el.get('class') or ''}"


def in_chrome(el: HtmlElement) -> bool:
    """Inside navigation, header, footer, breadcrumb, pager or sidebar: not list content."""
    node: HtmlElement | None = el
    while node is not None:
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag in _CHROME_TAGS or _CHROME.search(_marker(node)):
            return True
        node = node.getparent()
    return False


def _text(el: HtmlElement) -> str:
    return " ".join(nfkc(el.text_content()).split())


def item_date(a: HtmlElement, url: str, as_of: date) -> date | None:
    """The list date shown next to a link, else the date in its URL, else a date closing its text.

    A year-less label (``10-11``) whose month and day agree with the URL's date takes the URL's year.
    """
    shown = _shown_date(a, as_of)
    in_url = date_in_url(url, as_of)
    if shown is not None:
        if in_url is not None and (in_url.month, in_url.day) == (shown.month, shown.day):
            return in_url
        return shown
    if in_url:
        return in_url
    m = _TRAILING_DATE.search(_text(a))
    return date_in_text(m.group(0), as_of) if m and is_date_label(m.group(0), as_of) else None


def _shown_date(a: HtmlElement, as_of: date) -> date | None:
    if a.tail and is_date_label(a.tail, as_of):
        return date_in_text(a.tail, as_of)
    for sib in islice(a.itersiblings(), 3):  # not list(...)[:3]: that is quadratic on a flat page
        if isinstance(sib.tag, str) and sib.tag.lower() == "a":
            break
        label = _text(sib) if isinstance(sib.tag, str) else ""
        if label and is_date_label(label, as_of):
            return date_in_text(label, as_of)
    container = _list_container(a)
    if container is not None:
        rest = _text(container).replace(_text(a), " ", 1)
        found = date_in_text(rest, as_of)
        if found:
            return found
    return None


def year_reference(page: Page, as_of: date) -> date:
    """The date year-less list dates are read against: the inspection date, unless the page says otherwise.

    A homepage frozen in 2019 shows ``10-11`` next to items whose full dates (in text or article URLs)
    are all of 2019; reading ``10-11`` as this year would call it fresh. When the page shows at least
    two full dates and the newest is more than half a year old, year-less dates are read as the latest
    date not after half a year past that newest full date.
    """
    full = dates_in_text(visible_text(page.tree), as_of, short=False)
    full += [d for d in (date_in_url(link.url, as_of) for link in page.links) if d is not None]
    if len(full) < 2:
        return as_of
    newest = max(full)
    if as_of - newest <= YEAR_CONTEXT:
        return as_of
    return newest + YEAR_CONTEXT


def _list_container(a: HtmlElement) -> HtmlElement | None:
    node = a.getparent()
    for _ in range(4):
        if node is None or not isinstance(node.tag, str) or node.tag.lower() in _STOP_TAGS:
            return None
        if node.tag.lower() in _LIST_TAGS:
            return node
        node = node.getparent()
    return None


def list_items(page: Page, as_of: date) -> list[Item]:
    """Content links of a page: in a list (li/tr/dd) or carrying a date, outside the page chrome.

    Computed once per page: the freshness, meta-tag and policy-repost inspectors all read them.
    """
    cached = page.__dict__.get("_list_items")
    if cached is None or cached[0] != as_of:
        cached = page.__dict__["_list_items"] = (as_of, _list_items(page, as_of))
    return cached[1]


def _list_items(page: Page, as_of: date) -> list[Item]:
    own = {normalize_url(page.url), normalize_url(page.site.url)}
    as_of = year_reference(page, as_of)
    items: list[Item] = []
    seen: set[str] = set()
    for link in page.links:
        a = link.element
        if a is None or link.tag not in ("a", "area"):
            continue
        target = normalize_url(link.url)
        if target in own or target in seen or urlsplit(target).path in ("", "/") or in_chrome(a):
            continue
        when = item_date(a, link.url, as_of)
        if when is None and _list_container(a) is None:
            continue
        seen.add(target)
        items.append(Item(link.url, link.text, when))
    return items


YEAR_CONTEXT = timedelta(days=183)
_HOME_FILE = re.compile(r"^(?:index|default|main|home|portal)\.\w+$", re.IGNORECASE)


def looks_like_homepage(url: str) -> bool:
    """A site root, folder or index file; an article (``/art/2026/11/3/art_1_2.html``) is not a homepage."""
    path = urlsplit(url).path
    if path in ("", "/") or path.endswith("/"):
        return True
    name = path.rsplit("/", 1)[-1]
    if _HOME_FILE.match(name):
        return True
    return "." not in name and not _ARTICLE_URL.search(path)


def kind_of(name: str) -> str | None:
    name = nfkc(name)
    for kind, words in KIND_WORDS:
        if any(w in name for w in words):
            return kind
    return None


def _metas(tree: HtmlElement) -> dict[str, str]:
    out: dict[str, str] = {}
    for meta in tree.iter("meta"):
        name = (meta.get("name") or "").strip().lower()
        if name and name not in out:
            out[name] = nfkc(meta.get("content") or "").strip()
    return out


def _breadcrumb(tree: HtmlElement) -> str:
    for el in tree.iter():
        if isinstance(el.tag, str) and _CRUMB.search(_marker(el)):
            parts = [p.strip() for p in re.split(r"[>»›/]|&gt;", _text(el)) if p.strip()]
            if parts:
                return parts[-1]
    return ""


def identify_column(page: Page) -> Column | None:
    """The column a page is the list page of, or None (homepage, article, other page); computed once
    per page (the meta-tag and policy-repost inspectors ask too)."""
    if "_column" not in page.__dict__:
        page.__dict__["_column"] = _identify_column(page)
    return page.__dict__["_column"]


def _identify_column(page: Page) -> Column | None:
    if page.is_homepage:
        return None
    metas = _metas(page.tree)
    if "articletitle" in metas or "pubdate" in metas or _ARTICLE_URL.search(urlsplit(page.url).path):
        return None
    meta_name, meta_type = metas.get("columnname", ""), metas.get("columntype", "")
    if "首页" in (meta_name, meta_type):
        return None
    title = re.split(r"[_|｜\-–—]", nfkc(page.tree.findtext(".//title") or ""), maxsplit=1)[0].strip()
    candidates = [(meta_name, "meta"), (meta_type, "meta"), (nfkc(page.link_text or "").strip(), "link"),
                  (_breadcrumb(page.tree), "breadcrumb"), (title, "title")]
    has_meta = bool(meta_name or meta_type)
    for text, source in candidates:
        if not text or (source != "meta" and len(text) > COLUMN_NAME_MAX_CHARS):
            continue
        kind = kind_of(text)
        if kind:
            name = meta_name or meta_type or text
            return Column(name, kind, source, has_meta, {"named_by": source, "name_text": text})
    if has_meta:
        return Column(meta_name or meta_type, None, "meta", True)
    return None


def is_later_list_page(page: Page) -> bool:
    """Page 2+ of a list (older items by design): the column is judged on its first page only."""
    parts = urlsplit(page.url)
    m = _LATER_PAGE_URL.search(parts.path)
    if m and int(m.group(1)) >= 1:
        return True
    for key, value in parse_qsl(parts.query):
        if key.lower() in _PAGE_PARAMS and value.isdigit() and int(value) > 1:
            return True
    here = normalize_url(page.url)
    return any(link.tag == "a" and nfkc(link.text).strip("<《 ") in ("上一页", "上页", "前一页")
               and normalize_url(link.url) != here for link in page.links)


class FreshnessInspector(Inspector):
    """Homepage and column freshness against the inspection date (``--as-of``)."""

    enabled_setting = "INSPECT_FRESHNESS_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.homepage_days = self.settings.getint("FRESHNESS_HOMEPAGE_DAYS")
        self.thresholds = {k: self.settings.getint(name) for k, name in KIND_SETTINGS.items()}

    def _as_of(self, page: Page) -> date:
        return page.run.as_of if page.run is not None else date.today()

    def inspect_page(self, page: Page) -> Iterator[Observation]:
        as_of = self._as_of(page)
        if page.is_homepage:
            # `inspect` on an article URL (an unregistered one-off site): no homepage to judge
            if page.site.registered or looks_like_homepage(page.url):
                yield from self._homepage(page, as_of)
            return
        column = identify_column(page)
        if column is None or is_later_list_page(page):
            return
        yield from self._column(page, column, as_of)

    def _homepage(self, page: Page, as_of: date) -> Iterator[Observation]:
        items = list_items(page, as_of)
        dated = [i for i in items if i.date]
        if not dated and len(items) < HOMEPAGE_MIN_UNDATED_ITEMS:
            return  # navigation-only homepage: its columns carry the freshness
        newest = max((i for i in dated), key=lambda i: i.date, default=None)
        age = (as_of - newest.date).days if newest else None
        if age is not None and age <= self.homepage_days:
            return
        if newest is None:
            message = "首页列出的信息均未标注发布日期（视为未更新），请标注日期并及时更新首页信息。"
        else:
            message = f"首页最新信息发布于{newest.date.isoformat()}，已{age}天未更新，请及时更新首页信息。"
        yield Observation(
            rule="freshness.homepage-stale", site_id=page.site.id, page_url=page.url, message=message,
            evidence={"newest": newest.date.isoformat() if newest else None,
                      "newest_url": newest.url if newest else None, "age_days": age,
                      "threshold_days": self.homepage_days, "items": len(items),
                      "dated_items": len(dated), "as_of": as_of.isoformat()},
        )

    def _column(self, page: Page, column: Column, as_of: date) -> Iterator[Observation]:
        items = list_items(page, as_of)
        placeholder = PLACEHOLDER.search(visible_text(page.tree))
        dated = [i for i in items if i.date]
        evidence = {"column": column.name, "kind": column.kind, "items": len(items), "dated_items": len(dated),
                    "as_of": as_of.isoformat(), **column.evidence}
        if not items:
            if column.has_meta or placeholder:
                yield Observation(
                    rule="freshness.column-empty", site_id=page.site.id, page_url=page.url,
                    message=f"栏目“{column.name}”没有任何信息（空白栏目），请补充内容或撤并该栏目。",
                    evidence={**evidence, "placeholder": placeholder.group(0) if placeholder else None},
                )
            return
        threshold = self.thresholds.get(column.kind or "")
        if threshold is None:
            return
        newest = max((i.date for i in dated), default=None)
        age = (as_of - newest).days if newest else None
        if age is not None and age <= threshold:
            return
        if newest is None:
            message = f"栏目“{column.name}”的信息均未标注发布日期（视为未更新），请标注日期并及时更新。"
        else:
            message = f"栏目“{column.name}”最新信息发布于{newest.isoformat()}，已超过{threshold}天未更新，请及时更新。"
        yield Observation(
            rule="freshness.column-stale", site_id=page.site.id, page_url=page.url, message=message,
            evidence={**evidence, "newest": newest.isoformat() if newest else None, "age_days": age,
                      "threshold_days": threshold},
        )
