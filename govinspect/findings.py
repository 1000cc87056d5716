"""Observations (what an inspector saw on one page) and the finding record of ``findings.md``.

An inspector returns :class:`Observation` objects. The store keeps every observation of a run and,
when a site's run ends, folds them into findings (one per site, rule and key) in one step. That keeps
page inspection free of process-local state: any worker may inspect any page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from govinspect.rules import rule
from govinspect.urls import normalize_url, origin

FINDING_FIELDS = (
    "fingerprint", "rule", "severity", "site_id", "site_name", "organizer", "page_url", "target_url",
    "message", "evidence", "occurrences", "referrers", "status", "first_seen", "last_seen", "run_id",
    "screenshot",
)
STATUSES = ("open", "fixed", "reopened")


def now_iso() -> str:
    """The current time, ISO 8601 with zone, second precision (what findings carry)."""
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def finding_key(rule_id: str, site_url: str, page_url: str, target_url: str | None) -> str:
    """The normalised key of ``rules.md`` for one observation."""
    kind = rule(rule_id).key
    if kind == "site":
        return "site"
    if rule_id == "registry.unregistered-site" and target_url:
        return origin(target_url)
    if kind == "page":
        return normalize_url(page_url)
    if kind == "message":
        # interaction.unanswered: a message without a page of its own is ``list URL#title``; the
        # fragment names the message, so it is kept (rules.md), after the base URL is normalised.
        base, sep, fragment = page_url.partition("#")
        return normalize_url(base) + (sep + fragment.strip() if fragment.strip() else "")
    if kind == "page-kind-tag":
        # identity.meta-missing sets ``Observation.key`` (``article:PubDate``); the page is a fallback.
        return normalize_url(page_url)
    if kind == "target":
        return normalize_url(target_url or page_url)
    # target-or-page: leaks in an attachment are keyed by it, leaks in page text by the page.
    return normalize_url(target_url or page_url)


def fingerprint(site_id: str, rule_id: str, key: str) -> str:
    """Stable id of a finding: the same problem found again keeps it."""
    digest = hashlib.sha256(f"{site_id}\x1f{rule_id}\x1f{key}".encode()).hexdigest()
    return digest[:32]


@dataclass
class Observation:
    """One sighting of one problem on one page. Scrapy treats dataclasses as items."""

    rule: str
    site_id: str
    page_url: str
    message: str
    target_url: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None
    screenshot: str | None = None
    key: str | None = None
    seen_at: str = field(default_factory=now_iso)

    def __post_init__(self) -> None:
        r = rule(self.rule)
        if self.severity is None:
            self.severity = r.severity


@dataclass
class LinkRef:
    """A page's reference to a link target; folded into ``link.broken`` when the target fails."""

    site_id: str
    page_url: str
    target_url: str
    tag: str
    text: str = ""


@dataclass
class PageLinks:
    """All link references of one page as one item: Scrapy's per-item cost (~50 µs) times the 40–80
    links of a typical government page would otherwise dominate the crawl's CPU time."""

    site_id: str
    page_url: str
    refs: list[LinkRef] = field(default_factory=list)


@dataclass
class LinkCheck:
    """The outcome of fetching one target once in a run (by the crawl itself or a HEAD/GET check)."""

    target_url: str
    ok: bool
    status: int | None = None
    error: str | None = None
    blocked: bool = False
    method: str = "GET"
    redirects: int = 0


@dataclass
class WorkDone:
    """Marker item: the results of one request are all yielded before it (the spider yields it last).

    The store pipeline holds markers until the items before them are written, then announces them
    (``work_done`` signal), so the run state counts work off only once its results are in the store,
    and a site is folded only when everything it waits for can be read back. ``target`` is the run's
    key of a link target (check or attachment) when the request fetched one; else the request was
    one of the site's pages.

    ``unit`` (fleet workers): the name of the page's unit of work. A request a dead worker held is
    done again by another; its page is counted off once per unit (:meth:`RunState.done_units`), not
    once per time it was done. ``counts``: the counters its results add to the site (``pages``,
    ``errors``, ``blocked``), added with the unit, so a redone page is not counted twice either.
    """

    site_id: str
    target: str | None = None
    unit: str | None = None
    counts: tuple[str, ...] = ()
