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

from scrapy import Request, Selector, Spider, signals
from scrapy.exceptions import StopDownload
from scrapy.http import Response, TextResponse
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.python.failure import Failure

from crawler.addresses import BLOCKED_ADDRESS
from crawler.links import MALFORMED, MALFORMED_URL, extract_links
from crawler.outcomes import classify_failure, is_blocked
from crawler.progress import SiteProgress
from crawler.rendering import RenderPolicy
from crawler.traps import TrapGuard, strip_session_ids
from govinspect.completeness import mark_incomplete
from govinspect.findings import LinkCheck, LinkRef, PageLinks
from govinspect.registry import Registry, Site
from govinspect.urls import host_key, normalize_url, www_variant
from govinspect.vocabulary import PAGE, Attachment, Link, Page, RunContext

logger = logging.getLogger(__name__)

ERROR_STATUSES = list(range(400, 600))
HTML_TYPES = (b"text/html", b"application/xhtml")


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

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> ClusterSpider:
        spider: ClusterSpider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        max_pages = spider._max_pages or s.getint("MAX_PAGES_PER_SITE", 2000)
        spider.max_depth = s.getint("MAX_PAGE_DEPTH", 10)
        spider.attachment_maxsize = s.getint("ATTACHMENT_MAXSIZE", 20 * 1024 * 1024)
        spider.progress = {site.id: SiteProgress(site.id, max_pages) for site in spider.registry}
        spider.traps = TrapGuard.from_settings(s, spider.as_of.year)
        # Bounds on the work one hostile page or site can cause (issue 11): what is skipped is counted
        # and makes the site incomplete, so nothing is marked fixed for want of looking.
        spider.max_links = s.getint("PAGE_MAX_LINKS")
        spider.max_text = s.getint("PAGE_MAX_TEXT_CHARS")
        spider.max_checks = s.getint("SITE_MAX_LINK_CHECKS")
        spider.checks_per_site = dict.fromkeys(spider.progress, 0)
        # A site's scope: its hosts, plus the host its homepage redirects to (http → www, new domain).
        spider.scope = {site.id: set(site.hosts) for site in spider.registry}
        # The inspectors are named by dotted path: the crawler never imports them (they meet in
        # govinspect.vocabulary).
        spider.inspectors = build_from_crawler(load_object(s["INSPECTION_MANAGER"]), crawler)
        spider.render = RenderPolicy.from_crawler(crawler)
        crawler.signals.connect(spider._headers_received, signal=signals.headers_received)
        crawler.signals.connect(spider._request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider._page_error, signal=signals.spider_error)
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

    def _check_request(self, site: Site, url: str, method: str = "HEAD") -> Request:
        self.progress[site.id].pending += 1
        return Request(
            url, method=method, callback=self.check_done, errback=self.check_failed, priority=-50,
            dont_filter=method == "GET",
            meta={"site_id": site.id, "kind": "check", "handle_httpstatus_list": ERROR_STATUSES,
                  "headers_only": True},
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
        request.meta["gi_headers_received"] = True  # a later cancel is the size limit (see classify_failure)
        if request.meta.get("headers_only"):
            raise StopDownload(fail=False)

    def in_scope(self, site: Site, url: str) -> bool:
        return host_key(url) in self.scope.get(site.id, site.hosts)

    # ---- outcomes --------------------------------------------------------------------------------
    def _record(self, response: Response) -> LinkCheck:
        """The verdict on a fetched URL, stored under the URL asked for and the one answered."""
        request = response.request
        blocked = is_blocked(response)
        redirects = request.meta.get("redirect_urls") or []
        return LinkCheck(
            target_url=normalize_url(redirects[0] if redirects else response.url),
            ok=response.status < 400 and not blocked, status=response.status,
            error="blocked" if blocked else None, blocked=blocked, method=request.method,
            redirects=len(redirects),
        )

    def _failure_check(self, failure: Failure) -> LinkCheck:
        request = failure.request
        code, detail = classify_failure(failure)
        redirects = request.meta.get("redirect_urls") or []
        url = redirects[0] if redirects else request.url
        if code == BLOCKED_ADDRESS:
            # Never requested (SSRF defence): not inspected, and not a broken link either.
            return LinkCheck(target_url=normalize_url(url), ok=True, status=None, error=code,
                             method=request.method, redirects=len(redirects))
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
            final = host_key(response.url)
            if any(www_variant(final, h) for h in site.hosts):
                self.scope[site.id].add(final)  # http://city.gov.cn/ → http://www.city.gov.cn/
        if not self.in_scope(site, response.url):
            # Redirected off the registered hosts: judged as a link, never crawled as this site's page.
            if meta.get("homepage"):
                mark_incomplete(self.crawler.stats, site.id, f"homepage redirects off the registered hosts to "
                                f"{host_key(response.url)} (list it in extra_hosts to crawl it)")
            return
        if check.blocked:
            progress.blocked += 1
            return
        if not check.ok:
            progress.errors += 1
            return
        if not isinstance(response, TextResponse) or not any(
            t in response.headers.get(b"Content-Type", b"text/html").lower() for t in HTML_TYPES
        ):
            return
        # render=auto (homepage, script-built pages): follow the static links now, inspect the render later
        rerender = self.render.wants_rerender(site, response)
        if not rerender:
            progress.pages += 1
        text = self._bounded_text(site, response.url, response.text)
        try:
            tree = response.selector.root if text is response.text else Selector(text=text).root
            links = extract_links(tree, response.url)
        except Exception as exc:  # broken markup that lxml cannot even recover: a clear log line
            logger.warning("cannot parse %s: %s", response.url, exc)
            progress.errors += 1
            return
        if any(link.kind == MALFORMED for link in links):
            yield from self._malformed(site, response.url, [link for link in links if link.kind == MALFORMED])
            links = [link for link in links if link.kind != MALFORMED]
        links = self._bounded_links(site, response.url, links)
        page = Page(
            url=response.url, site=site, status=response.status,
            headers=_headers(response),
            text=text, tree=tree, links=links, depth=meta.get("depth", 0),
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
        yield from self.inspectors.inspect_page(page)
        yield from self._follow(page)

    def _bounded_text(self, site: Site, url: str, text: str) -> str:
        """At most ``PAGE_MAX_TEXT_CHARS`` of a page are parsed and inspected (megabytes of text)."""
        if not self.max_text or len(text) <= self.max_text:
            return text
        self.crawler.stats.inc_value("govinspect/text_chars_skipped", len(text) - self.max_text)
        logger.warning("page text beyond PAGE_MAX_TEXT_CHARS=%d not inspected on %s", self.max_text, url)
        mark_incomplete(self.crawler.stats, site.id, f"text beyond {self.max_text} characters not inspected on {url}")
        return text[: self.max_text]

    def _bounded_links(self, site: Site, url: str, links: list[Link]) -> list[Link]:
        """At most ``PAGE_MAX_LINKS`` links per page: inspection stays bounded (and the event loop
        responsive) on a page with 100k links."""
        if not self.max_links or len(links) <= self.max_links:
            return links
        skipped = len(links) - self.max_links
        logger.warning("%d links beyond PAGE_MAX_LINKS=%d skipped on %s", skipped, self.max_links, url)
        self.crawler.stats.inc_value("govinspect/links_skipped", skipped)
        mark_incomplete(self.crawler.stats, site.id, f"{skipped} links beyond the per-page limit of {self.max_links} "
                                                     f"skipped on {url}")
        return links[: self.max_links]

    def _check_allowed(self, site: Site) -> bool:
        """``SITE_MAX_LINK_CHECKS``: link checks per site; beyond it targets are skipped (and counted)."""
        if not self.max_checks or self.checks_per_site.get(site.id, 0) < self.max_checks:
            self.checks_per_site[site.id] = self.checks_per_site.get(site.id, 0) + 1
            return True
        self.crawler.stats.inc_value("govinspect/link_checks_skipped")
        mark_incomplete(self.crawler.stats, site.id, f"link-check budget of {self.max_checks} exhausted")
        return False

    def _malformed(self, site: Site, page_url: str, links: list[Link]) -> Iterator[Any]:
        """Links whose URL cannot be requested: broken links (``malformed-url``), never requests."""
        refs = {}
        for link in links:
            target = normalize_url(link.url)
            refs.setdefault(target, LinkRef(site.id, page_url, target, link.tag, link.text))
        yield PageLinks(site.id, page_url, list(refs.values()))
        for target in refs:
            if target not in self._checked:
                self._checked.add(target)
                yield LinkCheck(target_url=target, ok=False, status=None, error=MALFORMED_URL, method="GET")

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
            if target not in self._checked and target not in progress.seen_pages and self._check_allowed(site):
                self._checked.add(target)
                yield self._check_request(site, url)

    def _page_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        """``spider_error``: a callback raised on one of a site's pages; the rest of that page (links,
        findings) is lost, so this run cannot mark that site's findings fixed."""
        if spider is self:
            site_id = response.meta.get("site_id") if response is not None else None
            mark_incomplete(self.crawler.stats, site_id,
                            f"error processing {response.url}: {failure.getErrorMessage()[:200]}")

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
            yield self._check_request(site, response.url, method="GET")
            return
        check = self._record(response)
        progress = self.progress.get(response.meta.get("site_id"))
        if check.blocked and progress is not None:
            progress.blocked += 1
        yield from self._checks_for(response, check)

    def check_failed(self, failure: Failure) -> Iterator[LinkCheck]:
        self._done(failure.request)
        yield self._failure_check(failure)

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        self._done(response.request)
        check = self._record(response)
        yield from self._checks_for(response, check)
        if not check.ok or check.blocked:
            return
        site = self.registry.get(response.meta["site_id"])
        attachment = Attachment(
            url=response.url, site=site, body=response.body,
            content_type=response.headers.get(b"Content-Type", b"").decode("latin-1"),
            referer=response.meta.get("referer_page") or site.url,
            link_text=response.meta.get("link_text") or "",
            truncated="partial" in response.flags, run=self.context,
        )
        yield from self.inspectors.inspect_attachment(attachment)


def _headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v[0].decode("latin-1") for k, v in response.headers.items() if v}
