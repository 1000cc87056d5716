"""The re-check spider (复核): fetches only the pages and targets a rectification list concerns.

It is the cluster spider with a restricted start list, in a run of its own (a run context from
:func:`govinspect.rectify.recheck.run_recheck`): each planned page is fetched once (rendered
when the site's policy says so), handed to the configured inspectors (the re-check narrows
``INSPECTORS`` to those that produced the entries), and no further page is followed. Of a page's
links only the planned targets are checked, and only the attachments the active inspectors ask for
are downloaded. The plan is a JSON file named by the ``RECHECK_PLAN`` setting:
``{"sites": {site_id: {"pages": [url, ...], "targets": [url, ...], "files": [{"url", "page"}, ...],
"link_texts": {url: text}, "page_targets": [url, ...], "baseline_run": run_id}}, "fingerprints": [...]}``
(``files``: leaked attachments, fetched directly; ``link_texts``: the text of the link that led to a page
in the crawl; ``page_targets``: targets of the site fetched as pages while a planned page still links
them, e.g. soft 404s; ``baseline_run``: read by ``pipelines.recheck``). Fetch wishes of the active
inspectors are carried out for planned targets (landing pages) and for URLs no link names (the
site's error-page probe), so a re-check fetches no landing page it does not need.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request

from crawler.spiders.cluster import ERROR_STATUSES, ClusterSpider
from crawler.traps import strip_session_ids
from govinspect.rectify.plan import load_plan
from govinspect.urls import normalize_url
from govinspect.vocabulary import Page


class RecheckSpider(ClusterSpider):
    name = "recheck"

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> RecheckSpider:
        spider: RecheckSpider = super().from_crawler(crawler, *args, **kwargs)
        plan = load_plan(crawler.settings["RECHECK_PLAN"])["sites"]
        spider.plan_pages = {sid: [strip_session_ids(u) for u in p.get("pages", [])] for sid, p in plan.items()}
        spider.plan_targets = {sid: {normalize_url(u) for u in p.get("targets", [])} for sid, p in plan.items()}
        spider.plan_files = {sid: p.get("files", []) for sid, p in plan.items()}
        spider.plan_texts = {sid: p.get("link_texts", {}) for sid, p in plan.items()}
        spider.plan_page_targets = {sid: {normalize_url(u) for u in p.get("page_targets", [])}
                                    for sid, p in plan.items()}
        spider._asked: set[str] = set()
        return spider

    async def start(self) -> AsyncIterator[Request]:
        for site in self.registry:
            for url in self.plan_pages.get(site.id, []):
                target = normalize_url(url)
                if not self.state.claim_page(site.id, target):
                    continue
                homepage = target == normalize_url(site.url)
                # depth = the limit: the page is inspected, its links are not followed as pages; the link
                # text that led to it in the crawl goes along (archive and column detection read it)
                yield self._page_request(site, url, depth=self.max_depth, homepage=homepage, priority=100,
                                         link_text=self.plan_texts.get(site.id, {}).get(url))
            # files that leaked personal data are fetched even when no page links them any more: a
            # file still on the server still leaks
            for item in self.plan_files.get(site.id, []):
                key = "A " + normalize_url(item["url"])
                if key not in self._asked:
                    self._asked.add(key)
                    yield self._direct_attachment(site, item["url"], item["page"], key)

    def _direct_attachment(self, site, url: str, page_url: str, key: str) -> Request:
        return Request(
            url, callback=self.parse_attachment, errback=self.check_failed, priority=-20,
            meta={"site_id": site.id, "kind": "attachment", "handle_httpstatus_list": ERROR_STATUSES,
                  "download_maxsize": self.attachment_maxsize, "referer_page": page_url, "link_text": "",
                  "gi_target": key},
        )

    def _follow(self, page: Page, pages_only: bool = False) -> Iterator[Request]:
        """Of a page's links: the attachments the active inspectors want, and the planned targets."""
        if pages_only:
            return
        site = page.site
        wanted = {id(link) for link in self.inspectors.wanted_attachments(page)}
        targets = self.plan_targets.get(site.id, set())
        linked = {normalize_url(link.url) for link in page.links}
        for wish in self.inspectors.wanted_fetches(page):
            url = normalize_url(wish.url)
            key = "F " + url
            if (url in targets or url not in linked) and key not in self._asked:
                self._asked.add(key)
                self.state.claim_targets(site.id, [key])  # counted pending, as the cluster spider's wishes
                yield self._fetch_request(site, wish, page, key)
        page_targets = self.plan_page_targets.get(site.id, set())
        for link in page.links:
            target = normalize_url(strip_session_ids(link.url))
            if target in page_targets and self.in_scope(site, link.url):
                if self.state.claim_page(site.id, target):  # still linked: judged as the crawl judges a page
                    yield self._page_request(site, link.url, depth=self.max_depth, referer=page.url,
                                             link_text=link.text)
                continue
            if id(link) in wanted:
                key = "A " + target
                if key not in self._asked:
                    self._asked.add(key)
                    yield self._attachment_request(site, link, page, key)
            elif target in targets and target not in self._asked:
                self._asked.add(target)
                if self.state.pages_seen(site.id, [target])[0]:
                    continue  # fetched as a planned page: its outcome is already recorded
                yield self._check_request(site, link.url, target)
