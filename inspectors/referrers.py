"""Spreading a per-target finding to every page of the site that links the target.

Soft 404s and hijacked links are judged once per target (when the target's answer arrives), seen
from the one page the crawl came from. At the end of the site, the run's link references (the
``link_refs`` the link inspector stores) name every other page that links the same target; each gets
its own observation, so ``occurrences`` and ``referrers`` mean what they mean for ``link.broken``.
Everything comes from the store: it works the same whichever worker judged the target.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from govinspect.findings import Observation
from govinspect.registry import Site
from inspectors.base import RunView

MAX_REFERRERS = 20


def spread_to_referrers(site: Site, view: RunView, rule: str) -> Iterator[Observation]:
    groups: dict[str, tuple[dict, set[str]]] = {}
    for obs in view.observed(site.id, rule):
        if obs["target_url"]:
            groups.setdefault(obs["target_url"], (obs, set()))[1].add(obs["page_url"])
    for target, (first, pages) in groups.items():
        for page_url, text in view.referrers(site.id, target, MAX_REFERRERS):
            if page_url in pages or len(pages) >= MAX_REFERRERS:
                continue
            pages.add(page_url)
            evidence = json.loads(first["evidence"]) if isinstance(first["evidence"], str) else dict(first["evidence"])
            evidence["link_text"] = text[:200]
            yield Observation(rule=rule, site_id=site.id, page_url=page_url, target_url=target,
                              message=first["message"], evidence=evidence, severity=first["severity"])
