"""Data the demo generator plans before it renders anything.

Seeds change these objects (``plan`` phase) before pages are rendered, so a stale column or a
missing footer mark is a data change, not an HTML patch, and the manifest can be derived from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Freshness thresholds in days per column kind (rules.md freshness.column-stale); None: no threshold.
THRESHOLDS: dict[str, int | None] = {"news": 14, "notice": 183, "policy": 183, "personnel": 365, "open": None}
HOMEPAGE_STALE_DAYS = 14
FOOTER_MARKS = ("icp", "psb", "conac", "site_code")


@dataclass
class Article:
    """One dated item of a column; ``path`` is its CMS-style URL path."""

    id: int
    title: str
    date: dt.date
    path: str
    attachment: str | None = None  # absolute URL of an attached file


@dataclass
class Column:
    """A navigation column with a list page; its dates are computed from ``newest_age``/``interval``."""

    key: str  # short code used in paths, e.g. "tzgg"
    name: str  # navigation text, e.g. 通知公告
    kind: str  # news / notice / policy / personnel / open (see THRESHOLDS)
    column_type: str  # ColumnType meta value
    col_id: int  # numeric id used by jcms-style URLs
    share: float  # share of the site's article budget
    newest_age: int  # days between as_of and the newest item
    interval: int  # days between consecutive items
    empty: bool = False
    articles: list[Article] = field(default_factory=list)
    list_paths: list[str] = field(default_factory=list)

    @property
    def threshold(self) -> int | None:
        return THRESHOLDS[self.kind]


@dataclass
class SiteSpec:
    """A demo site: registry row plus how it is rendered and served."""

    role: str  # stable handle seeds use: city, county_a, jyj, down, ...
    id: str
    name: str
    organizer: str
    level: str
    host: str  # host[:port]
    parent: str | None = None
    cms: str = "trs"  # "trs" (/xxgk/tzgg/202611/t20261103_123.html) or "jcms" (/art/2026/11/3/art_12_345.html)
    encoding: str = "utf-8"  # "utf-8" or "gbk"
    charset_header: bool = True  # send "; charset=..." in Content-Type
    charset_meta: bool = True  # write <meta charset=...>
    charset_label: str | None = None  # label written in <meta> (e.g. gb2312); default: ``encoding``
    display_name: str | None = None  # name shown on pages when it differs from the registry name
    display_code: str | None = None  # 网站标识码 shown when it differs from the registry id
    missing_marks: set[str] = field(default_factory=set)  # subset of FOOTER_MARKS
    emblem: bool | None = None  # national emblem in header; None: portals and counties only
    down: bool = False  # every path answers 503
    archive_paths: list[str] = field(default_factory=list)
    extra_hosts: list[str] = field(default_factory=list)
    render: str = "never"
    icp: str = ""
    psb: str = ""
    columns: list[Column] = field(default_factory=list)
    omit_metas: set[str] = field(default_factory=set)  # <meta> names left out of every page (identity.meta-missing)

    @property
    def url(self) -> str:
        return f"http://{self.host}/"

    @property
    def shown_name(self) -> str:
        return self.display_name or self.name

    @property
    def has_emblem(self) -> bool:
        return self.emblem if self.emblem is not None else self.level in ("portal", "county")

    def abs(self, path: str) -> str:
        """Absolute URL of a path on this site."""
        return f"http://{self.host}{path}"

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


@dataclass
class Entry:
    """One manifest line: a seeded problem (``expect`` "finding") or a seeded non-problem."""

    rule: str | None
    site_id: str | None
    target_url: str | None = None
    page_url: str | None = None
    expect: str = "finding"  # finding / not-broken / blocked / trap / link / not-link / decoded
    note: str = ""
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        out = {
            "rule": self.rule,
            "site_id": self.site_id,
            "target_url": self.target_url,
            "page_url": self.page_url,
            "expect": self.expect,
        }
        if self.note:
            out["note"] = self.note
        out.update(self.extra)
        return out
