"""Page facts: what an inspector noted on one page for a rule that concludes across pages or sites.

Cross-page rules (``interaction.*``, ``policy.repost-late``) cannot remember pages in the process
that saw them: several workers may inspect one site, and a child site's copies are compared with
its parent portal's items. So a page yields :class:`Fact` items, the store keeps them per run
(table ``page_facts``, SQL of the common SQLite/PostgreSQL subset), and the inspector concludes in
``site_finished`` from what the store holds for the run (``RunView.facts``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS page_facts (
  run_id TEXT NOT NULL, site_id TEXT NOT NULL, kind TEXT NOT NULL, fact_key TEXT NOT NULL,
  page_url TEXT NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (run_id, site_id, kind, fact_key, page_url)
);
"""

INSERT = (
    "INSERT INTO page_facts (run_id, site_id, kind, fact_key, page_url, data) VALUES (?,?,?,?,?,?)"
    " ON CONFLICT (run_id, site_id, kind, fact_key, page_url) DO NOTHING"
)
SELECT = (
    "SELECT fact_key, page_url, data FROM page_facts WHERE run_id=? AND site_id=? AND kind=?"
    " ORDER BY fact_key, page_url"
)


@dataclass
class Fact:
    """One thing seen on one page: ``kind`` names the inspector's table of facts, ``key`` the thing
    (a message, an article), ``data`` what was seen. The same key, kind and page is stored once."""

    site_id: str
    kind: str
    key: str
    page_url: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class PageFacts:
    """All facts one inspector noted on one page, as one Scrapy item: the per-item cost (~50 µs)
    times the 20 items of a list page would otherwise cost more than noting them."""

    site_id: str
    page_url: str
    facts: list[Fact] = field(default_factory=list)
