"""Stale and empty columns and one stale homepage, relative to ``as_of``. The manifest entries are
derived by the generator from the column data, so they stay right at any cluster size."""

from __future__ import annotations

from govinspect.demo.builder import ClusterBuilder


def plan(b: ClusterBuilder) -> None:
    if (site := b.site("city")) and (col := site.column("rsxx")):
        col.newest_age = 400  # 人事信息 threshold 365 days
    if (site := b.site("county_a")) and (col := site.column("tzgg")):
        col.newest_age = 200  # 通知公告 threshold 183 days
    if (site := b.site("county_b")) and (col := site.column("ywdt")):
        col.newest_age = 20  # 要闻动态 threshold 14 days; the homepage stays fresh through 通知公告
    if (site := b.site("jyj")) and (col := site.column("rsxx")):
        col.empty = True
    if site := b.site("mzj"):
        for col in site.columns:  # nothing updated for 400 days: homepage and columns stale
            col.newest_age += 400
