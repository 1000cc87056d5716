"""Whether a run can vouch for all of a site: any component may say it cannot.

A finding is marked ``fixed`` only when the run completed its site. Besides the crawl's own budget
and homepage checks, anything that lost part of a site's evidence — an exception while processing
one of its pages, an inspector failing, a homepage redirected off the registered hosts — marks the
site *incomplete* here, through the crawl stats (shared by every Scrapy component), and the store
pipeline folds that site without marking anything fixed.
"""

from __future__ import annotations

from typing import Any

INCOMPLETE_STAT = "govinspect/incomplete/"


def mark_incomplete(stats: Any, site_id: str | None, reason: str) -> None:
    """Record the first reason this run cannot vouch for ``site_id`` (later reasons are counted)."""
    if stats is None or not site_id:
        return
    stats.inc_value("govinspect/incomplete_marks")
    if stats.get_value(INCOMPLETE_STAT + site_id) is None:
        stats.set_value(INCOMPLETE_STAT + site_id, reason[:300])


def incomplete_reason(stats: Any, site_id: str) -> str | None:
    return None if stats is None else stats.get_value(INCOMPLETE_STAT + site_id)
