"""Running the issue-10 inspectors the way a crawl does: pages in, facts into a real store, conclusions out."""

from __future__ import annotations

import itertools
from pathlib import Path

from govinspect.facts import PageFacts
from govinspect.findings import Observation
from govinspect.registry import Site
from govinspect.store import FindingStore
from inspectors.base import Inspector, Page
from tests.inspectors_identity.helpers import AS_OF, CITY, COUNTY, JYJ, REGISTRY, RSJ, build, page, rules

_COUNTER = itertools.count()
__all__ = ["AS_OF", "CITY", "COUNTY", "JYJ", "REGISTRY", "RSJ", "build", "conclude", "page", "rules"]


def conclude(inspector: Inspector, pages: list[Page], sites: list[Site], tmp_path: Path,
             run_id: str = "test-run") -> list[Observation]:
    """Inspect ``pages`` (facts stored in a real SQLite store, as the store pipeline does), then
    conclude each of ``sites`` in order; returns every observation, page-level ones first."""
    store = FindingStore(tmp_path / f"facts-{next(_COUNTER)}.sqlite3")  # a fresh store per call
    try:
        out: list[Observation] = []
        for p in pages:
            items = list(inspector.inspect_page(p))
            store.add_facts(run_id, [f for i in items if isinstance(i, PageFacts) for f in i.facts])
            out += [i for i in items if isinstance(i, Observation)]
        view = store.view(run_id)
        for site in sites:
            out += list(inspector.site_finished(site, view))
        return out
    finally:
        store.close()
