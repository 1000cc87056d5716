"""Whether a run can vouch for all of a site: any component may say it cannot.

A finding is marked ``fixed`` only when the run completed its site. Besides the crawl's own budget
and homepage checks, anything that lost part of a site's evidence — an exception while processing
one of its pages, an inspector failing, a homepage redirected off the registered hosts, a work bound
reached, an item the store could not write — marks the site *incomplete* here. The mark lives in the
run state (shared by every process of a run: the ``failures`` counter, which
:meth:`SiteProgress.completion` reads, and the first reason), so whichever process folds the site
folds it without marking anything fixed.
"""

from __future__ import annotations

from typing import Any

NAMESPACE = "incomplete"


def mark_incomplete(state: Any, site_id: str | None, reason: str) -> None:
    """Record that this run cannot vouch for ``site_id`` (the first reason is kept for the summary)."""
    if state is None or not site_id:
        return
    state.incr(site_id, "failures")
    if state.get(NAMESPACE, site_id) is None:
        state.put(NAMESPACE, site_id, reason[:300])


def incomplete_reason(state: Any, site_id: str) -> str | None:
    return None if state is None else state.get(NAMESPACE, site_id)
