"""``policy.repost-late``: a child site (registry ``parent``) must repost its parent portal's key-policy
items (重要政策, 政策文件, 通知公告; ``POLICY_REPOST_COLUMNS``) within 12 hours (the city's 协同联动 rule).

Page side (any worker, no process state): on sites that are a parent or a child, every article page
and every list item dated inside the window yields a fact: normalised title, publication time (the
``PubDate`` meta or a 发布时间 label; list dates have no time of day) and whether it belongs to a
key-policy column (its list page's column, or its own ``ColumnName``/breadcrumb). Each site's homepage
yields a fact too, which says the site was crawled in this run.

Site side: when a child site is folded, its copies are matched to the parent's key-policy items by
normalised title, from what the store holds for the run. The finaliser folds a child only once its
parent is done too (``pipelines/finalise.py``, ``waits_for_parent``), in whichever process of the run,
so both sites' pages are all in the store then; a parent or child whose homepage was not crawled in
the run is not judged. Items published between ``POLICY_REPOST_WINDOW_DAYS`` (30) days
and ``POLICY_REPOST_HOURS`` (12) hours before the inspection are judged; the deadline is 12 hours after
the portal's time, or, when either side has no time of day, the end of the day after the portal's date.
The inspection moment is now when ``--as-of`` is today, else the end of the ``--as-of`` day, in
``POLICY_REPOST_TIMEZONE`` (the pages' own time zone).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from govinspect.facts import Fact, PageFacts
from govinspect.findings import Observation
from govinspect.registry import Site
from govinspect.urls import normalize_url
from inspectors.base import Inspector, Page, RunView
from inspectors.dates import nfkc
from inspectors.freshness import _breadcrumb, identify_column, list_items
from inspectors.pagemeta import ARTICLE, article_title, page_kind, page_metas, published
from inspectors.sensitive.text import page_text

FACT_KIND = "policy.item"
HOME_KIND = "policy.home"
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_TRUNCATED = re.compile(r"(?:\.{2,}|…+|。。+)$")
MIN_PREFIX_CHARS = 8  # a truncated list title matches a full title by prefix from this length on


def title_key(title: str) -> str:
    """A title for matching across sites: NFKC, lower case, letters and digits only."""
    return _NOT_WORD.sub("", nfkc(title).lower())


@dataclass
class Item:
    url: str
    title: str
    tkey: str
    at: datetime
    timed: bool
    key_column: bool
    truncated: bool = False


_PARENTS: dict[int, tuple[object, frozenset[str]]] = {}


def parents_of(registry) -> frozenset[str]:
    """Ids of the sites some registered site names as its parent (cached per registry object: a pure
    function of the registry, not state about pages)."""
    cached = _PARENTS.get(id(registry))
    if cached is None or cached[0] is not registry:
        cached = _PARENTS[id(registry)] = (registry, frozenset(s.parent for s in registry if s.parent))
    return cached[1]


class PolicyRepostInspector(Inspector):
    enabled_setting = "INSPECT_POLICY_REPOST_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        s = self.settings
        self.hours = s.getfloat("POLICY_REPOST_HOURS")
        self.window_days = s.getint("POLICY_REPOST_WINDOW_DAYS")
        self.columns = tuple(nfkc(c) for c in s.getlist("POLICY_REPOST_COLUMNS"))
        self.tz = ZoneInfo(s.get("POLICY_REPOST_TIMEZONE"))

    def _is_key_column(self, name: str) -> bool:
        name = nfkc(name)
        return bool(name) and any(c in name for c in self.columns)

    # ---- per page: facts -------------------------------------------------------------------------
    def inspect_page(self, page: Page) -> Iterator[PageFacts]:
        facts = list(self._facts(page))
        if facts:
            yield PageFacts(page.site.id, page.url, facts)

    def _facts(self, page: Page) -> Iterator[Fact]:
        run = page.run
        if run is None:
            return
        site = page.site
        is_parent = site.id in parents_of(run.registry)
        if not is_parent and not site.parent:
            return
        if page.is_homepage:
            yield Fact(site.id, HOME_KIND, "home", page.url, {"as_of": run.as_of.isoformat()})
        earliest = run.as_of - timedelta(days=self.window_days + 2)
        tags = page_metas(page)
        kind = page_kind(page, tags)
        if kind == ARTICLE:
            when = published(page, tags, "" if tags.get("pubdate") else page_text(page))
            title = article_title(page, tags)
            if when and title and when[0].date() >= earliest:
                column = tags.get("columnname") or tags.get("columntype") or _breadcrumb(page.tree)
                yield self._fact(site.id, page.url, page.url, title, when[0], when[1],
                                 self._is_key_column(column) or self._is_key_column(tags.get("columntype", "")),
                                 "page", column)
            return
        column = identify_column(page) if not page.is_homepage else None
        key_column = column is not None and (self._is_key_column(column.name) or self._is_key_column(
            column.evidence.get("name_text", "")))
        if is_parent and not key_column and not site.parent:
            return  # a parent's other lists: only its key-policy columns matter
        for item in list_items(page, run.as_of):
            if item.date is None or item.date < earliest:
                continue
            yield self._fact(site.id, item.url, page.url, item.text, datetime.combine(item.date, time()), False,
                             key_column and is_parent, "list", column.name if column else "")

    def _fact(self, site_id: str, url: str, page_url: str, title: str, at: datetime, timed: bool, key_column: bool,
              source: str, column: str) -> Fact:
        title = " ".join(nfkc(title).split())
        truncated = bool(_TRUNCATED.search(title))
        clean = _TRUNCATED.sub("", title).strip()
        return Fact(site_id, FACT_KIND, normalize_url(url), page_url, {
            "title": clean, "tkey": title_key(clean), "at": at.isoformat(timespec="minutes"), "timed": timed,
            "key_column": key_column, "source": source, "column": column, "truncated": truncated,
        })

    # ---- per child site: conclusions -------------------------------------------------------------
    def site_finished(self, site: Site, view: RunView) -> Iterator[Observation]:
        if not site.parent:
            return
        homes = view.facts(site.parent, HOME_KIND)
        mine = view.facts(site.id, HOME_KIND)
        if not homes or not mine:
            return  # the parent or this site was not crawled in this run: nothing to compare
        as_of = date.fromisoformat(mine[0].data["as_of"])
        moment = self.inspection_moment(as_of)
        portal = [i for i in _items(view.facts(site.parent, FACT_KIND)) if i.key_column]
        copies = _items(view.facts(site.id, FACT_KIND))
        by_title: dict[str, list[Item]] = defaultdict(list)
        for c in copies:
            by_title[c.tkey].append(c)
        for item in portal:
            if item.at < moment - timedelta(days=self.window_days):
                continue
            deadline = self.deadline(item.at, item.timed, True)
            if deadline > moment:
                continue  # the child still has time
            found = _matches(item, by_title, copies)
            if not found:
                yield self._observation(site, item, None, deadline)
                continue
            copy = min(found, key=lambda c: c.at)
            if self.on_time(item, copy):
                continue
            yield self._observation(site, item, copy, self.deadline(item.at, item.timed, copy.timed))

    def on_time(self, item: Item, copy: Item) -> bool:
        """Within the hours when both sides have a time of day; else by the end of the day after."""
        if item.timed and copy.timed:
            return copy.at <= item.at + timedelta(hours=self.hours)
        return copy.at.date() <= item.at.date() + timedelta(days=1)

    def inspection_moment(self, as_of: date) -> datetime:
        now = datetime.now(self.tz).replace(tzinfo=None)
        return now if now.date() == as_of else datetime.combine(as_of, time(23, 59, 59))

    def deadline(self, at: datetime, timed: bool, copy_timed: bool) -> datetime:
        if timed and copy_timed:
            return at + timedelta(hours=self.hours)
        return datetime.combine(at.date() + timedelta(days=1), time(23, 59, 59))

    def _observation(self, site: Site, item: Item, copy: Item | None, deadline: datetime) -> Observation:
        evidence = {
            "parent_site": site.parent, "portal_url": item.url, "portal_title": item.title,
            "portal_published": item.at.isoformat(timespec="minutes") if item.timed else item.at.date().isoformat(),
            "deadline": deadline.isoformat(timespec="minutes"), "hours": self.hours,
        }
        if copy is None:
            message = (f"上级门户网站{_when(item)}发布的重要政策“{item.title}”，本网站未在{self.hours:g}小时内转载"
                       f"（检查时仍未转载），请及时转载：{item.url}")
            return Observation(rule="policy.repost-late", site_id=site.id, page_url=site.url, target_url=item.url,
                               message=message, evidence={**evidence, "copy_url": None})
        delay = copy.at - item.at
        hours = round(delay.total_seconds() / 3600, 1)
        message = (f"上级门户网站{_when(item)}发布的重要政策“{item.title}”，本网站于{_when(copy)}才转载，"
                   f"超过{self.hours:g}小时时限，请今后及时转载。")
        return Observation(rule="policy.repost-late", site_id=site.id, page_url=copy.url, target_url=item.url,
                           message=message, evidence={
                               **evidence, "copy_url": copy.url,
                               "copy_published": copy.at.isoformat(timespec="minutes") if copy.timed
                               else copy.at.date().isoformat(),
                               "delay_hours": hours if item.timed and copy.timed else None,
                               "delay_days": (copy.at.date() - item.at.date()).days})


def _when(item: Item) -> str:
    return item.at.strftime("%Y-%m-%d %H:%M") if item.timed else item.at.date().isoformat()


def _items(facts: list[Fact]) -> list[Item]:
    """Facts merged per URL: an article page's time beats a list date; key column if either says so."""
    by_url: dict[str, Item] = {}
    for f in facts:
        d = f.data
        at = datetime.fromisoformat(d["at"])
        new = Item(f.key, d["title"], d["tkey"], at, bool(d["timed"]), bool(d["key_column"]), bool(d["truncated"]))
        old = by_url.get(f.key)
        if old is None:
            by_url[f.key] = new
            continue
        best = new if (new.timed and not old.timed) or (new.timed == old.timed and d["source"] == "page") else old
        other = old if best is new else new
        best.key_column = best.key_column or other.key_column
        if best.truncated and not other.truncated:
            best.title, best.tkey, best.truncated = other.title, other.tkey, False
        by_url[f.key] = best
    return [i for i in by_url.values() if i.tkey]


def _matches(item: Item, by_title: dict[str, list[Item]], copies: list[Item]) -> list[Item]:
    found = list(by_title.get(item.tkey, ()))
    if found:
        return found
    for c in copies:
        short, full = (c.tkey, item.tkey) if c.truncated else (item.tkey, c.tkey) if item.truncated else ("", "")
        if len(short) >= MIN_PREFIX_CHARS and full.startswith(short):
            found.append(c)
    return found
