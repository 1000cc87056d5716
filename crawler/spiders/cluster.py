"""The cluster spider: crawls every registered site from its homepage and feeds the inspectors.

Each registered site is its own scope (its host plus ``extra_hosts``). Pages in scope are crawled up
to the page budget and depth limit; every other link target (other sites, external hosts, images,
scripts, attachments) is checked once per run with HEAD, falling back to GET when HEAD is refused.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.exceptions import StopDownload
from scrapy.http import Response, TextResponse
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.python.failure import Failure

from crawler.attachments import announced_file, attachment_from, endpoint_link, is_html, served_file
from crawler.companions import companion_html, companion_urls
from crawler.links import extract_links
from crawler.markup import page_tree
from crawler.outcomes import BlockJudge, classify_failure
from crawler.progress import SiteProgress
from crawler.rendering import RenderPolicy
from crawler.traps import TrapGuard, strip_session_ids
from govinspect.findings import LinkCheck
from govinspect.registry import Registry, Site
from govinspect.urls import host_key, normalize_url
from govinspect.vocabulary import PAGE, Link, Page, RunContext

logger = logging.getLogger(__name__)

ERROR_STATUSES = list(range(400, 600))


class ClusterSpider(Spider):
    name = "cluster"

    def __init__(self, registry: Registry, run_id: str, as_of: date, max_pages: int | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.registry = registry
        self.run_id = run_id
        self.as_of = as_of
        self._max_pages = max_pages
        self.context = RunContext(run_id=run_id, as_of=as_of, registry=registry)
        self._checked: set[str] = set()
        self.blocks = BlockJudge()

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> ClusterSpider:
        spider: ClusterSpider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        max_pages = spider._max_pages or s.getint("MAX_PAGES_PER_SITE", 2000)
        spider.max_depth = s.getint("MAX_PAGE_DEPTH", 10)
        spider.attachment_maxsize = s.getint("ATTACHMENT_MAXSIZE", 20 * 1024 * 1024)
        spider.companions_max = s.getint("HOMEPAGE_COMPANIONS_MAX")
        spider.progress = {site.id: SiteProgress(site.id, max_pages) for site in spider.registry}
        spider.traps = TrapGuard.from_settings(s, spider.as_of.year)
        # A site's scope: its hosts, plus the host its homepage redirects to (http → www, new domain).
        spider.scope = {site.id: set(site.hosts) for site in spider.registry}
        # The inspectors are named by dotted path: the crawler never imports them (they meet in
        # govinspect.vocabulary).
        spider.inspectors = build_from_crawler(load_object(s["INSPECTION_MANAGER"]), crawler)
        spider.render = RenderPolicy.from_crawler(crawler)
        crawler.signals.connect(spider._headers_received, signal=signals.headers_received)
        crawler.signals.connect(spider._request_dropped, signal=signals.request_dropped)
        return spider

    # ---- scheduling ------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        for site in self.registry:
            url = strip_session_ids(site.url)
            self.progress[site.id].take_page(normalize_url(url))
            yield self._page_request(site, url, depth=0, homepage=True, priority=100)

    def _page_request(self, site: Site, url: str, depth: int, homepage: bool = False, priority: int = 0,
                      referer: str | None = None, link_text: str | None = None, render: bool = False) -> Request:
        """A page request; the site's render policy (or ``render``) may turn it into a browser render."""
        self.progress[site.id].pending += 1
        request = Request(
            url, callback=self.parse_page, errback=self.page_failed, priority=priority - depth,
            meta={"site_id": site.id, "depth": depth, "homepage": homepage, "kind": "page",
                  "handle_httpstatus_list": ERROR_STATUSES, "link_text": link_text, "from_page": referer},
        )
        return self.render.prepare(request, site, homepage, force=render)

    def _check_request(self, site: Site, url: str, method: str = "HEAD", referer: str | None = None,
                       link_text: str | None = None) -> Request:
        self.progress[site.id].pending += 1
        return Request(
            url, method=method, callback=self.check_done, errback=self.check_failed, priority=-50,
            dont_filter=method == "GET",
            meta={"site_id": site.id, "kind": "check", "handle_httpstatus_list": ERROR_STATUSES,
                  "headers_only": True, "from_page": referer, "link_text": link_text},
        )

    def _attachment_request(self, site: Site, link: Link, page: Page) -> Request:
        self.progress[site.id].pending += 1
        return Request(
            link.url, callback=self.parse_attachment, errback=self.check_failed, priority=-20,
            meta={"site_id": site.id, "kind": "attachment", "handle_httpstatus_list": ERROR_STATUSES,
                  "download_maxsize": self.attachment_maxsize, "referer_page": page.url,
                  "link_text": link.text},
        )

    def _done(self, request: Request) -> None:
        site_id = request.meta.get("site_id")
        if site_id in self.progress:
            self.progress[site_id].pending -= 1

    def _request_dropped(self, request: Request, spider: Spider) -> None:
        if spider is self:
            self._done(request)

    def _headers_received(self, headers, body_length, request: Request, spider: Spider) -> None:
        """Link checks need the status only: stop GET downloads once the headers are in."""
        if request.meta.get("headers_only"):
            raise StopDownload(fail=False)

    def in_scope(self, site: Site, url: str) -> bool:
        return host_key(url) in self.scope.get(site.id, site.hosts)

    # ---- outcomes --------------------------------------------------------------------------------
    def _record(self, response: Response) -> LinkCheck:
        """The verdict on a fetched URL, stored under the URL asked for and the one answered."""
        request = response.request
        blocked, why = self.blocks.judge(response, host_key(response.url))
        if why and response.status == 403:
            logger.info("%s: %s", response.url, why)
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("govinspect/403_" + ("blocked" if blocked else "broken"))
        redirects = request.meta.get("redirect_urls") or []
        check = LinkCheck(
            target_url=normalize_url(redirects[0] if redirects else response.url),
            ok=response.status < 400 and not blocked, status=response.status,
            error=why if why and (blocked or response.status == 403) else None, blocked=blocked,
            method=request.method, redirects=len(redirects),
        )
        self.blocks.hold(host_key(response.url), check)
        return check

    def _failure_check(self, failure: Failure) -> LinkCheck:
        request = failure.request
        code, detail = classify_failure(failure)
        redirects = request.meta.get("redirect_urls") or []
        url = redirects[0] if redirects else request.url
        if code == "too-large":
            # The server answered: the target is not broken, only too big to inspect here.
            logger.warning("not inspected, larger than the download limit: %s", url)
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("govinspect/too_large")
            return LinkCheck(target_url=normalize_url(url), ok=True, status=None, error=code,
                             method=request.method, redirects=len(redirects))
        logger.info("fetch failed: %s (%s)", url, detail)
        return LinkCheck(target_url=normalize_url(url), ok=False, status=None, error=code,
                         method=request.method, redirects=len(redirects))

    def _checks_for(self, response: Response, check: LinkCheck) -> Iterator[LinkCheck]:
        yield check
        yield from self.blocks.revisions()  # provisional 403 verdicts the host's later answers overturned
        final = normalize_url(response.url)
        if final != check.target_url:
            yield LinkCheck(final, check.ok, check.status, check.error, check.blocked, check.method)

    # ---- callbacks -------------------------------------------------------------------------------
    def parse_page(self, response: Response) -> Iterator[Any]:
        self._done(response.request)
        meta = response.meta
        site = self.registry.get(meta["site_id"])
        progress = self.progress[site.id]
        check = self._record(response)
        yield from self._checks_for(response, check)
        if meta.get("homepage"):
            progress.homepage_done = True
            progress.homepage_ok = check.ok and not check.blocked
            self.scope[site.id].add(host_key(response.url))
        if check.blocked:
            progress.blocked += 1
            return
        if not check.ok:
            progress.errors += 1
            return
        if served_file(response) is not None:
            # a CMS download endpoint (attachment.do?id=…) answers with a file, not a page
            yield from self.inspectors.inspect_attachment(attachment_from(
                response, site, self.context, meta.get("from_page"), meta.get("link_text")))
            return
        if not isinstance(response, TextResponse) or not is_html(response):
            return
        # render=auto (homepage, script-built pages): follow the static links now, inspect the render later
        rerender = self.render.wants_rerender(site, response)
        if not rerender:
            progress.pages += 1
        try:
            tree = page_tree(response)  # browsers' reading of early </html> (SSI headers)
            links = extract_links(tree, response.url)
        except Exception as exc:  # broken markup that lxml cannot even recover: a clear log line
            logger.warning("cannot parse %s: %s", response.url, exc)
            progress.errors += 1
            return
        page = Page(
            url=response.url, site=site, status=response.status,
            headers=_headers(response),
            text=response.text, tree=tree, links=links, depth=meta.get("depth", 0),
            is_homepage=bool(meta.get("homepage")), referer=meta.get("from_page"),
            link_text=meta.get("link_text"), run=self.context, rendered=self.render.render_info(response),
        )
        if rerender:
            yield self._page_request(site, response.url, page.depth, page.is_homepage, priority=50,
                                     referer=page.referer, link_text=page.link_text, render=True)
            yield from self._follow(page)
            return
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("govinspect/pages")
        companions = companion_urls(page, lambda url: self.in_scope(site, url), page.rendered is not None,
                                    self.companions_max)
        if companions:  # footer in a same-site iframe or document.write script: inspect once they are in
            yield self._companion_request(page, companions)
        else:
            yield from self.inspectors.inspect_page(page)
        yield from self._follow(page)

    # ---- homepage companions (crawler/companions.py) ------------------------------------------------
    def _companion_request(self, page: Page, urls: list[str]) -> Request:
        self.progress[page.site.id].pending += 1
        return Request(urls[0], callback=self._companion_done, errback=self._companion_failed, priority=60,
                       dont_filter=True, meta={"site_id": page.site.id, "kind": "companion", "page": page,
                                               "rest": urls[1:], "handle_httpstatus_list": ERROR_STATUSES})

    def _companion_done(self, response: Response) -> Iterator[Any]:
        self._done(response.request)
        page = response.meta["page"]
        if response.status < 400:
            page.companions[response.url] = companion_html(response)
        yield from self._next_companion(page, response.meta["rest"])

    def _companion_failed(self, failure: Failure) -> Iterator[Any]:
        self._done(failure.request)
        yield from self._next_companion(failure.request.meta["page"], failure.request.meta["rest"])

    def _next_companion(self, page: Page, rest: list[str]) -> Iterator[Any]:
        if rest:
            yield self._companion_request(page, rest)
        else:
            yield from self.inspectors.inspect_page(page)

    def _follow(self, page: Page) -> Iterator[Request]:
        site = page.site
        progress = self.progress[site.id]
        attachments = {id(link) for link in self.inspectors.wanted_attachments(page)}
        for link in page.links:
            url = strip_session_ids(link.url)
            target = normalize_url(url)
            if id(link) in attachments:
                key = "A " + target
                if key not in self._checked:
                    self._checked.add(key)
                    yield self._attachment_request(site, link, page)
                continue
            if link.kind == PAGE and self.in_scope(site, url) and page.depth < self.max_depth:
                if self.traps.is_trap(site.id, url):
                    continue
                taken = progress.take_page(target)
                if taken:
                    yield self._page_request(site, url, page.depth + 1, referer=page.url, link_text=link.text)
                    continue
                if taken is None:
                    continue
            if target not in self._checked and target not in progress.seen_pages:
                self._checked.add(target)
                yield self._check_request(site, url, referer=page.url, link_text=link.text)

    def page_failed(self, failure: Failure) -> Iterator[LinkCheck]:
        request = failure.request
        self._done(request)
        progress = self.progress.get(request.meta.get("site_id"))
        if progress is not None:
            progress.errors += 1
            if request.meta.get("homepage"):
                progress.homepage_done = True
        yield self._failure_check(failure)

    def check_done(self, response: Response) -> Iterator[Any]:
        self._done(response.request)
        if response.request.method == "HEAD" and response.status in (405, 501, 400, 403):
            # Many servers refuse HEAD (or a WAF treats it as odd): ask again with GET before judging.
            site = self.registry.get(response.meta["site_id"])
            yield self._check_request(site, response.url, method="GET", referer=response.meta.get("from_page"),
                                      link_text=response.meta.get("link_text"))
            return
        check = self._record(response)
        progress = self.progress.get(response.meta.get("site_id"))
        if check.blocked and progress is not None:
            progress.blocked += 1
        yield from self._checks_for(response, check)
        if check.ok:
            yield from self._announced_attachment(response)

    def _announced_attachment(self, response: Response) -> Iterator[Request]:
        """A checked link whose headers announce a file (download endpoint): fetch it if inspectors want it."""
        fmt = announced_file(response)
        if fmt is None:
            return
        site = self.registry.get(response.meta["site_id"])
        link, page = endpoint_link(response.url, fmt, response.meta.get("link_text"), site, self.context,
                                   response.meta.get("from_page"))
        key = "A " + normalize_url(response.url)
        if key not in self._checked and self.inspectors.wanted_attachments(page):
            self._checked.add(key)
            yield self._attachment_request(site, link, page)

    def check_failed(self, failure: Failure) -> Iterator[LinkCheck]:
        self._done(failure.request)
        yield self._failure_check(failure)

    async def parse_attachment(self, response: Response) -> AsyncIterator[Any]:
        self._done(response.request)
        check = self._record(response)
        for item in self._checks_for(response, check):
            yield item
        if not check.ok or check.blocked:
            return
        site = self.registry.get(response.meta["site_id"])
        attachment = attachment_from(response, site, self.context, response.meta.get("referer_page"),
                                     response.meta.get("link_text"))
        # awaited: inspectors may scan off the crawl's thread (LEAK_SCAN_PROCESSES)
        for item in await self.inspectors.inspect_attachment_async(attachment):
            yield item


def _headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v[0].decode("latin-1") for k, v in response.headers.items() if v}
