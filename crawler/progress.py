"""Per-site crawl state: budget, pending requests, pages, errors and blocks.

It decides whether a run *completed* a site, which is what allows findings to be marked fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SiteProgress:
    site_id: str
    max_pages: int
    pages_scheduled: int = 0
    pages: int = 0
    errors: int = 0
    blocked: int = 0
    pending: int = 0
    budget_exhausted: bool = False
    homepage_ok: bool = False
    homepage_done: bool = False
    seen_pages: set[str] = field(default_factory=set, repr=False)

    def take_page(self, url: str) -> bool | None:
        """Reserve a page of the budget: True if scheduled, None if seen before, False if out of budget."""
        if url in self.seen_pages:
            return None
        if self.pages_scheduled >= self.max_pages:
            self.budget_exhausted = True
            return False
        self.seen_pages.add(url)
        self.pages_scheduled += 1
        return True

    @property
    def done(self) -> bool:
        return self.homepage_done and self.pending <= 0

    def completion(self, close_reason: str) -> tuple[bool, str]:
        """Whether the run completed this site, with the reason when it did not."""
        if close_reason != "finished":
            return False, f"run ended early ({close_reason})"
        if not self.homepage_ok:
            return False, "homepage not fetched"
        if self.budget_exhausted:
            return False, f"page budget of {self.max_pages} exhausted"
        return True, "completed"
