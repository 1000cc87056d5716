"""``site.unreachable``: the registered homepage could not be fetched (after retries)."""

from __future__ import annotations

from collections.abc import Iterable

from govinspect.findings import Observation
from govinspect.registry import Site
from govinspect.urls import normalize_url
from inspectors.base import Inspector, RunView
from inspectors.links import describe_failure


class ReachabilityInspector(Inspector):
    enabled_setting = "INSPECT_REACHABILITY_ENABLED"

    def site_finished(self, site: Site, view: RunView) -> Iterable[Observation]:
        check = view.check(normalize_url(site.url))
        if check is None or check.ok or check.blocked:
            return
        # rules.md: HTTP >= 500 or a transport failure; a 404 homepage is a broken page, not an outage.
        if check.status is not None and check.status < 500:
            return
        failure = describe_failure(check)
        yield Observation(
            rule="site.unreachable", site_id=site.id, page_url=site.url,
            message=f"网站首页无法访问（{failure}），请尽快恢复网站访问：{site.url}",
            evidence={"status": check.status, "error": check.error, "url": site.url},
        )
