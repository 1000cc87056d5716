"""The cluster spider: crawls every registered site from its homepage and feeds the inspectors.

Each registered site is its own scope (its host plus ``extra_hosts``). Pages in scope are crawled up
to the page budget and depth limit; every other link target (other sites, external hosts, images,
scripts, attachments) is checked once per run with HEAD, falling back to GET when HEAD is refused.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import replace
from itertools import chain
from typing import Any

from scrapy import Request, Selector, Spider, signals
from scrapy.exceptions import DontCloseSpider, StopDownload
from scrapy.http import Response, TextResponse
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.python.failure import Failure

from crawler.addresses import BLOCKED_ADDRESS
from crawler.attachments import announced_file, attachment_from, endpoint_link, is_html, served_file
from crawler.companions import companion_html, companion_urls
from crawler.links import LOCAL_FILE, MALFORMED, MALFORMED_URL, UNSUPPORTED_SCHEME, extract_links
from crawler.markup import page_tree
from crawler.outcomes import BlockJudge, classify_failure
from crawler.rendering import RenderPolicy
from crawler.traps import TrapGuard, strip_session_ids
from govinspect import signals as gi_signals
from govinspect.completeness import mark_incomplete
from govinspect.findings import LinkCheck, LinkRef, PageLinks, WorkDone
from govinspect.registry import Site
from govinspect.urls import host_key, normalize_url, www_variant
from govinspect.vocabulary import PAGE, Fetched, FetchWish, Link, Page, RunContext

logger = logging.getLogger(__name__)

# A link check's GET reads bodies up to this size whole (error pages, short pages) rather than stop
# them: one network read (Twisted's, 64 KiB) may hold the whole answer, and stopping a complete answer
# kills the pooled connection it is on (see ``ClusterSpider._headers_received``).
READ_WHOLE_BELOW = 65536

ERROR_STATUSES = list(range(400, 600))
# Request priorities: homepages 100, their companions 60, renders 50, inspectors' fetch wishes
# (FetchWish.priority) and images 10, pages 0 minus depth, documents -20, link checks -50.
IMAGE_PRIORITY = 10
# Link kinds that are never requested, with the error of their broken-link verdict.
_UNREQUESTABLE = {MALFORMED: MALFORMED_URL, LOCAL_FILE: UNSUPPORTED_SCHEME}
#: run-state tally: link checks per site (SITE_MAX_LINK_CHECKS)
LINK_CHECKS = "crawl.link-checks"


class ClusterSpider(Spider):
    """Crawls the sites of the run's registry. Run facts come from the run context (``GOVINSPECT_RUN``
    setting, built by :func:`govinspect.api.run_crawl`); per-site state lives in its run state, so
    any process of the run may handle any request."""

    name = "cluster"
    #: hold renders beyond a few in the spider (:class:`RenderLane`); a fleet worker does not: its
    #: requests must be in the shared queue, where another worker redoes them if it dies
    render_lane = True

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> ClusterSpider:
        spider: ClusterSpider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        context = RunContext.of(s)
        if context is None or context.state is None:
            raise RuntimeError("the cluster spider runs through govinspect.api.run_crawl (no GOVINSPECT_RUN)")
        spider.context = context
        spider.registry = context.registry
        spider.run_id = context.run_id
        spider.as_of = context.as_of
        spider.state = context.state
        spider.max_depth = s.getint("MAX_PAGE_DEPTH")
        spider.attachment_maxsize = s.getint("ATTACHMENT_MAXSIZE")
        spider.companions_max = s.getint("HOMEPAGE_COMPANIONS_MAX")
        spider.blocks = BlockJudge()  # which way each 403 goes (process-local: a verdict, not run state)
        spider.traps = TrapGuard.from_settings(s, spider.as_of.year, spider.state)
        # Bounds on the work one hostile page or site can cause (issue 11): what is skipped is counted
        # and makes the site incomplete, so nothing is marked fixed for want of looking. The link-check
        # budget is counted per site in the run state (the whole fleet shares it).
        spider.max_links = s.getint("PAGE_MAX_LINKS")
        spider.max_text = s.getint("PAGE_MAX_TEXT_CHARS")
        spider.max_checks = s.getint("SITE_MAX_LINK_CHECKS")
        # A site's scope: its hosts, plus the host its homepage redirects to (http → www, new domain),
        # which the run state keeps (another process may have fetched the homepage).
        spider._scope = {site.id: set(site.hosts) for site in spider.registry}
        # The inspectors are named by dotted path: the crawler never imports them (they meet in
        # govinspect.vocabulary).
        spider.inspectors = build_from_crawler(load_object(s["INSPECTION_MANAGER"]), crawler)
        spider.render = RenderPolicy.from_crawler(crawler)
        spider._lane = RenderLane(2 * s.getint("RENDER_MAX_PAGES") if spider.render_lane else 0)
        crawler.signals.connect(spider._release_renders, signal=signals.spider_idle)
        crawler.signals.connect(spider._headers_received, signal=signals.headers_received)
        crawler.signals.connect(spider._request_dropped, signal=signals.request_dropped)
        return spider

    # ---- scheduling ------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        for site in self.registry:
            url = strip_session_ids(site.url)
            if self.state.claim_page(site.id, normalize_url(url)) is None:
                continue  # another process of the run already started this site
            yield self._page_request(site, url, depth=0, homepage=True, priority=100)

    def _page_request(self, site: Site, url: str, depth: int, homepage: bool = False, priority: int = 0,
                      referer: str | None = None, link_text: str | None = None, render: bool = False,
                      static: Response | None = None, frames: list[str] | None = None,
                      counted: bool = False) -> Request:
        """A page request; the site's render policy (or ``render``) may turn it into a browser render.
        It is one pending unit of its site (``counted``: the caller added it already)."""
        unit = self._work_unit("R" if render else "P", site.id, normalize_url(url))
        if not counted:
            self._add_pending(site.id, unit)
        request = Request(
            url, callback=self.parse_page, errback=self.page_failed, priority=priority - depth,
            meta={"site_id": site.id, "depth": depth, "homepage": homepage, "kind": "page",
                  "handle_httpstatus_list": ERROR_STATUSES, "link_text": link_text, "from_page": referer},
        )
        if unit is not None:
            request.meta["gi_unit"] = unit
        return self.render.prepare(request, site, homepage, force=render, static=static, frames=frames)

    def _check_request(self, site: Site, url: str, target: str, method: str = "HEAD", referer: str | None = None,
                       link_text: str | None = None) -> Request:
        """A link check; the caller claimed ``target`` in the run state (which counts it pending)."""
        return Request(
            url, method=method, callback=self.check_done, errback=self.check_failed, priority=-50,
            dont_filter=method == "GET",
            meta={"site_id": site.id, "kind": "check", "handle_httpstatus_list": ERROR_STATUSES,
                  "headers_only": True, "gi_target": target, "from_page": referer, "link_text": link_text},
        )

    def _attachment_request(self, site: Site, link: Link, page: Page, target: str) -> Request:
        """Images ahead of the ordinary pages (a footer icon's contexts wait on every page until its
        analysis is in: for a fleet, a Redis round trip per page); documents after them."""
        return Request(
            link.url, callback=self.parse_attachment, errback=self.check_failed,
            priority=IMAGE_PRIORITY if link.tag == "img" else -20,
            meta={"site_id": site.id, "kind": "attachment", "handle_httpstatus_list": ERROR_STATUSES,
                  "download_maxsize": self.attachment_maxsize, "referer_page": page.url,
                  "link_text": link.text, "gi_target": target},
        )

    def _fetch_request(self, site: Site, wish: FetchWish, page: Page, target: str) -> Request:
        """A GET an inspector wished for (landing page, error page); never crawled, never a link check.
        ``target`` is its run key ("F " + URL), claimed in the run state (which counts it pending)."""
        return Request(
            wish.url, callback=self.parse_fetched, errback=self.fetch_failed, priority=wish.priority,
            dont_filter=True,
            meta={"site_id": site.id, "kind": "fetch", "handle_httpstatus_list": ERROR_STATUSES,
                  "download_maxsize": wish.max_bytes, "referer_page": page.url, "purpose": wish.purpose,
                  "gi_target": target,
                  # one try: the link check already retries the same target (dead old hosts are common)
                  "dont_retry": True},
        )

    def _work_unit(self, kind: str, *parts: str) -> str | None:
        """The name of a unit of pending work (``kind``: P page, R render, C companion script). A
        single process names none (each request is done once); fleet workers do, so that a request
        redone after its worker died is counted once (:meth:`RunState.add_units`)."""
        return None

    def _count(self, meta: dict, site_id: str, counter: str) -> None:
        """Add one to a site counter for the request of ``meta``: at once, or — a named unit of work
        (fleet) — with the unit's marker, so that a request done twice is counted once."""
        if meta.get("gi_unit"):
            meta["gi_counts"] = (*meta.get("gi_counts", ()), counter)
        else:
            self.state.incr(site_id, counter)

    def _add_pending(self, site_id: str, unit: str | None) -> None:
        if unit is None:
            self.state.add_pending(site_id)
        else:
            self.state.add_units(site_id, [unit])

    def _tracked(self, request: Request, results: Iterable[Any]) -> Iterator[Any]:
        """Run a callback, then yield the request's :class:`WorkDone` marker after all its results.

        An exception while processing a page is logged and makes its site incomplete (nothing of that
        site is marked fixed); it never stops the run or leaves the site's work pending.
        """
        site_id = request.meta.get("site_id")
        try:
            yield from results
        except Exception:
            logger.exception("processing %s failed; the run does not count its site as completed", request.url)
            if site_id is not None:
                self.state.incr(site_id, "failures")
        if site_id is not None and not request.meta.get("gi_handed_over"):
            yield _marker(site_id, request.meta)

    def _request_dropped(self, request: Request, spider: Spider) -> None:
        """A dropped request has no results: its work is done at once."""
        site_id = request.meta.get("site_id")
        if spider is self and request.meta.get("gi_lane"):
            for held in self._lane.done(request.meta):
                self.crawler.engine.crawl(held)
        if spider is self and site_id is not None:
            self.crawler.signals.send_catch_log(
                gi_signals.work_done,
                markers=[_marker(site_id, request.meta)])

    def _release_renders(self, spider: Spider) -> None:
        """Renders still held when nothing else is left (a render request dropped on its way): now."""
        if spider is self and self._lane.held:
            for request in self._lane.drain():
                self.crawler.engine.crawl(request)
            raise DontCloseSpider

    @staticmethod
    def _headers_received(headers, body_length, request: Request, spider: Spider) -> None:
        """Link checks need the status only: stop GET downloads of large bodies once the headers are in.

        Not a body that may be complete already (HEAD, empty, or small enough to have come with the
        headers): Scrapy stops a download by closing its connection, and a complete answer's connection
        is back in Twisted's pool, maybe carrying the next request already, which Twisted then sends
        again on a new connection (the server sees it twice; a host one request over its limit)."""
        request.meta["gi_headers_received"] = True  # a later cancel is the size limit (see classify_failure)
        if not request.meta.get("headers_only") or request.method == "HEAD":
            return
        if not isinstance(body_length, int) or body_length > READ_WHOLE_BELOW:
            raise StopDownload(fail=False)

    def in_scope(self, site: Site, url: str) -> bool:
        return self._scope_test(site)(url)

    def _scope_test(self, site: Site) -> Callable[[str], bool]:
        """``in_scope`` for many URLs of one page: the run state's extra scope hosts are read once (at
        the first URL off the known hosts), not once per link (a Redis round trip each in a fleet)."""
        scope = self._scope.setdefault(site.id, set(site.hosts))
        extra: set[str] | None = None

        def test(url: str) -> bool:
            nonlocal extra
            host = host_key(url)
            if host in scope:
                return True
            if extra is None:
                extra = self.state.scope_hosts(site.id)
            if host in extra:  # the homepage redirected there (maybe elsewhere)
                scope.add(host)
                return True
            return False

        return test

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
            # the URL asked for (a browser follows redirects itself: then response.url is the last hop)
            target_url=normalize_url(redirects[0] if redirects else request.url),
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
        yield from self.blocks.revisions()  # provisional 403 verdicts the host's later answers overturned
        final = normalize_url(response.url)
        if final != check.target_url:
            yield LinkCheck(final, check.ok, check.status, check.error, check.blocked, check.method)

    # ---- callbacks -------------------------------------------------------------------------------
    def parse_page(self, response: Response) -> Iterator[Any]:
        results: Iterable[Any] = self._parse_page(response)
        if response.meta.get("gi_lane"):  # a render is done (or fell back to a static fetch): next one
            results = chain(self._lane.done(response.meta), results)
        home = response.meta.get("gi_companion_of")
        if home is not None:  # a homepage's frame: the homepage is inspected after it (companions)
            results = chain(results, self._frame_companion(response, home))
        return self._tracked(response.request, results)

    def _parse_page(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        site = self.registry.get(meta["site_id"])
        check = self._record(response)
        yield from self._checks_for(response, check)
        if meta.get("homepage"):
            self.state.homepage_fetched(site.id, check.ok and not check.blocked)
            host = host_key(response.url)
            if host not in site.hosts and any(www_variant(host, h) for h in site.hosts):
                # http://city.gov.cn/ → http://www.city.gov.cn/: the only widening a redirect may bring
                self.state.add_scope_host(site.id, host)
                self._scope.setdefault(site.id, set(site.hosts)).add(host)
        if not self.in_scope(site, response.url):
            # Redirected off the registered hosts: judged as a link, never crawled as this site's page.
            if meta.get("homepage"):
                self._incomplete(site.id, f"homepage redirects off the registered hosts to {host_key(response.url)}"
                                          " (list it in extra_hosts to crawl it)")
            return
        if check.blocked:
            self._count(meta, site.id, "blocked")
            return
        if not check.ok:
            self._count(meta, site.id, "errors")
            return
        if meta.get("gi_redirect_known"):
            return  # redirected to a page of the site already crawled: judged, not fetched again
        redirected = bool(meta.get("redirect_urls")) or normalize_url(response.url) != check.target_url
        if redirected and self.in_scope(site, response.url):
            # the redirect's target is a page of the site: claim it, so a link to it is not fetched again
            if self.state.claim_page(site.id, normalize_url(response.url)) is None and not meta.get("homepage"):
                return  # claimed meanwhile by a link: that request inspects it
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
            self._count(meta, site.id, "pages")
        text = self._bounded_text(site, response.url, response.text)
        try:
            # browsers' reading of early </html> (SSI headers); a page cut at PAGE_MAX_TEXT_CHARS as cut
            tree = page_tree(response) if text is response.text else Selector(text=text).root
            links = extract_links(tree, response.url)
        except Exception as exc:  # broken markup that lxml cannot even recover: a clear log line
            logger.warning("cannot parse %s: %s", response.url, exc)
            self._count(meta, site.id, "errors")
            return
        if any(link.kind in _UNREQUESTABLE for link in links):
            yield from self._malformed(site, response.url, [link for link in links if link.kind in _UNREQUESTABLE])
            links = [link for link in links if link.kind not in _UNREQUESTABLE]
        links = self._bounded_links(site, response.url, links)
        page = Page(
            url=response.url, site=site, status=response.status,
            headers=_headers(response),
            text=text, tree=tree, links=links, depth=meta.get("depth", 0),
            is_homepage=bool(meta.get("homepage")), referer=meta.get("from_page"),
            link_text=meta.get("link_text"), run=self.context, rendered=self.render.render_info(response),
            latency=meta.get("download_latency"),
        )
        if rerender:
            # The browser renders the body already fetched (no second download of the page); the
            # static copy's pages are followed now, its resources and checks from the rendered copy.
            # frames of the site are crawled as pages: the browser need not load them again
            frames = [link.url for link in links if link.tag in ("iframe", "frame") and self.in_scope(site, link.url)]
            yield from self._lane.offer(self._page_request(
                site, response.url, page.depth, page.is_homepage, priority=50, referer=page.referer,
                link_text=page.link_text, render=True, static=response, frames=frames))
            if page.is_homepage:  # its frames are claimed as companions of the rendered copy (fetched once)
                page = replace(page, links=[link for link in links if link.tag not in ("iframe", "frame")])
            yield from self._follow(page, pages_only=True)
            return
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("govinspect/pages")
        companions = companion_urls(page, lambda url: self.in_scope(site, url), page.rendered is not None,
                                    self.companions_max)
        request = self._companion_request(page, companions) if companions else None
        if request is not None:  # footer in a same-site iframe or document.write script: inspect once in
            yield request
        else:
            yield from self.inspectors.inspect_page(page)
        yield from self._follow(page)

    def _incomplete(self, site_id: str, reason: str) -> None:
        mark_incomplete(self.state, site_id, reason)

    def _bounded_text(self, site: Site, url: str, text: str) -> str:
        """At most ``PAGE_MAX_TEXT_CHARS`` of a page are parsed and inspected (megabytes of text)."""
        if not self.max_text or len(text) <= self.max_text:
            return text
        self.crawler.stats.inc_value("govinspect/text_chars_skipped", len(text) - self.max_text)
        logger.warning("page text beyond PAGE_MAX_TEXT_CHARS=%d not inspected on %s", self.max_text, url)
        self._incomplete(site.id, f"text beyond {self.max_text} characters not inspected on {url}")
        return text[: self.max_text]

    def _bounded_links(self, site: Site, url: str, links: list[Link]) -> list[Link]:
        """At most ``PAGE_MAX_LINKS`` links per page: inspection stays bounded (and the event loop
        responsive) on a page with 100k links."""
        if not self.max_links or len(links) <= self.max_links:
            return links
        skipped = len(links) - self.max_links
        logger.warning("%d links beyond PAGE_MAX_LINKS=%d skipped on %s", skipped, self.max_links, url)
        self.crawler.stats.inc_value("govinspect/links_skipped", skipped)
        self._incomplete(site.id, f"{skipped} links beyond the per-page limit of {self.max_links} skipped on {url}")
        return links[: self.max_links]

    def _checks_allowed(self, site: Site, n: int) -> int:
        """``SITE_MAX_LINK_CHECKS``: of ``n`` link checks a page needs, how many the site's budget allows
        (run-wide, one tally per page); beyond it targets are skipped (and counted)."""
        if not n or not self.max_checks:
            return n
        used = self.state.tally(LINK_CHECKS, site.id, n)
        before = used - n
        allowed = max(0, min(n, self.max_checks - before))
        if allowed < n:
            self.crawler.stats.inc_value("govinspect/link_checks_skipped", n - allowed)
            if before <= self.max_checks:  # this page crossed the budget: said once per site and run
                self._incomplete(site.id, f"link-check budget of {self.max_checks} exhausted")
        return allowed

    def _malformed(self, site: Site, page_url: str, links: list[Link]) -> Iterator[Any]:
        """Links whose URL cannot be requested: broken links (``malformed-url``; ``unsupported-scheme``
        for links to the visitor's own disk), never requests."""
        refs: dict[str, LinkRef] = {}
        errors: dict[str, str] = {}
        for link in links:
            # a pasted Windows path (C:\…) stays as written: normalised it would be unreadable (c:%5C…)
            drive = link.kind == LOCAL_FILE and not link.url.lower().startswith("file:")
            target = link.url if drive else normalize_url(link.url)
            refs.setdefault(target, LinkRef(site.id, page_url, target, link.tag, link.text))
            errors.setdefault(target, _UNREQUESTABLE[link.kind])
        yield PageLinks(site.id, page_url, list(refs.values()))
        targets = list(refs)
        for target, first in zip(targets, self.state.claim_targets(site.id, targets), strict=True):
            if first:  # judged here, once per run; the marker releases every site waiting for it
                yield LinkCheck(target_url=target, ok=False, status=None, error=errors[target], method="GET")
                yield WorkDone(site.id, target)

    # ---- homepage companions (crawler/companions.py) ------------------------------------------------
    # The homepage waits for its companions as a *home*: here the Page itself; a fleet worker keeps
    # it in the run state instead (crawler/fleet/spider.py), so that any worker can finish it.
    def _companion_request(self, page: Page, urls: list[str]) -> Request | None:
        """The next companion's request, one at a time; the last one's callback inspects the page.

        A frame document is a page of the site: it is claimed and fetched as that page (carrying the
        homepage along), so it is fetched once; a frame already claimed is crawled anyway and skipped
        here. Scripts are fetched for what they write (one pending unit each).
        """
        return self._companion_step(self._hold_homepage(page, urls), urls)

    def _companion_step(self, home: Any, urls: list[str]) -> Request | None:
        site, home_url, depth, frames = self._home_info(home)
        for n, url in enumerate(urls):
            rest = urls[n + 1:]
            if url in frames:
                request = self._companion_frame_request(home, site, strip_session_ids(url), depth + 1, home_url)
                if request is not None:
                    request.meta["gi_companion_of"] = home
                    request.meta["gi_companion_rest"] = rest
                    return request
                continue
            unit = self._work_unit("C", site.id, home_url, url)
            self._add_pending(site.id, unit)
            request = Request(url, callback=self._companion_done, errback=self._companion_failed, priority=60,
                              dont_filter=True, meta={"site_id": site.id, "kind": "companion", "page": home,
                                                      "rest": rest, "handle_httpstatus_list": ERROR_STATUSES})
            if unit is not None:
                request.meta["gi_unit"] = unit
            return request
        return None

    def _hold_homepage(self, page: Page, urls: list[str]) -> Any:
        """What companion requests carry to finish the homepage with (here: the page itself)."""
        return page

    def _home_info(self, home: Page) -> tuple[Site, str, int, set[str]]:
        """The held homepage's site, URL, depth and frame URLs."""
        return home.site, home.url, home.depth, {link.url for link in home.links if link.tag in ("iframe", "frame")}

    def _companion_frame_request(self, home: Any, site: Site, url: str, depth: int, referer: str) -> Request | None:
        """The frame's page request if this homepage claims the frame (None: claimed before)."""
        if not self.state.claim_page(site.id, normalize_url(url)):
            return None
        return self._page_request(site, url, depth, referer=referer)

    def _add_companion(self, home: Page, url: str, html: str) -> None:
        home.companions[url] = html

    def _homepage(self, home: Page) -> Page:
        """The held homepage with the companions it gathered, ready to inspect."""
        return home

    def _companion_done(self, response: Response) -> Iterator[Any]:
        home = response.meta["page"]
        if response.status < 400:
            self._add_companion(home, response.url, companion_html(response))
        return self._tracked(response.request, self._next_companion(home, response.meta["rest"]))

    def _companion_failed(self, failure: Failure) -> Iterator[Any]:
        meta = failure.request.meta
        return self._tracked(failure.request, self._next_companion(meta["page"], meta["rest"]))

    def _frame_companion(self, response: Response, home: Any) -> Iterator[Any]:
        """A homepage's frame, crawled as its own page, hands its document to the homepage."""
        if response.status < 400 and isinstance(response, TextResponse):
            self._add_companion(home, response.url, response.text)
        yield from self._next_companion(home, response.meta.get("gi_companion_rest") or [])

    def _next_companion(self, home: Any, rest: list[str]) -> Iterator[Any]:
        request = self._companion_step(home, rest) if rest else None
        if request is not None:
            yield request
        else:
            page = self._homepage(home)
            yield from self.inspectors.inspect_page(page)
            yield from self._late_attachments(page)

    def _late_attachments(self, page: Page) -> Iterator[Request]:
        """Attachments an inspector asked for only when the held homepage was inspected: its links were
        followed when it arrived, before its companions, when no inspector had looked at it yet (a flag
        shown on every homepage was then only link-checked, never analysed). Fetched now, once per run."""
        links = self.inspectors.wanted_attachments(page)
        if not links:
            return
        targets = ["A " + normalize_url(strip_session_ids(link.url)) for link in links]
        _, firsts, _ = self.state.claim_links(page.site.id, [], [(t, None) for t in targets], check_refused=False)
        for link, target, first in zip(links, targets, firsts, strict=True):
            if first:
                yield self._attachment_request(page.site, link, page, target)

    def _follow(self, page: Page, pages_only: bool = False) -> Iterator[Request]:
        """Requests for a page's links: in-scope pages crawled, attachments fetched, the rest checked.

        Claims go to the run state in one call (:meth:`RunState.claim_links`).
        """
        site = page.site
        # fetch wishes of inspectors (landing pages, the site's error page), once per run
        wishes = [] if pages_only else list(self.inspectors.wanted_fetches(page))
        wish_keys = ["F " + normalize_url(w.url) for w in wishes]
        attachments = set() if pages_only else {id(link) for link in self.inspectors.wanted_attachments(page)}
        wanted: list[tuple[Link, str, str]] = []  # (link, url, target) of pages to claim
        rest: list[tuple[Link, str, str]] = []  # links to check (or fetch as attachments)
        in_scope = self._scope_test(site)
        for link in page.links:
            url = strip_session_ids(link.url)
            target = normalize_url(url)
            if id(link) in attachments:
                rest.append((link, url, "A " + target))
            elif link.kind == PAGE and in_scope(url) and page.depth < self.max_depth:
                if not self.traps.is_trap(site.id, url):
                    wanted.append((link, url, target))
            elif not pages_only:
                rest.append((link, url, target))
        # one run-state call: pages claimed (and counted pending), fetch wishes and targets claimed once
        # per run (a link to a page of the site already claimed is judged by that page's own fetch), and
        # pages beyond the budget claimed as targets: still checked
        claims, firsts, late = self.state.claim_links(
            site.id, [target for _, _, target in wanted],
            [(key, None) for key in wish_keys]
            + [(target, None if target.startswith("A ") else target) for _, _, target in rest],
            check_refused=not pages_only)
        for wish, key, first in zip(wishes, wish_keys, firsts, strict=False):
            if first:
                yield self._fetch_request(site, wish, page, key)
        firsts = firsts[len(wish_keys):]
        for (link, url, _), taken in zip(wanted, claims, strict=True):
            if taken:
                yield self._page_request(site, url, page.depth + 1, referer=page.url, link_text=link.text,
                                         counted=True)
        refused = [item for item, taken in zip(wanted, claims, strict=True) if taken is False] if not pages_only else []
        todo = [item for item, first in zip(rest + refused, firsts + late, strict=True) if first]
        allowed = self._checks_allowed(site, sum(not target.startswith("A ") for _, _, target in todo))
        for link, url, target in todo:
            if target.startswith("A "):
                yield self._attachment_request(site, link, page, target)
            elif allowed > 0:
                allowed -= 1
                yield self._check_request(site, url, target, referer=page.url, link_text=link.text)
            else:  # skipped (counted): the target is released unjudged, the site is incomplete
                yield WorkDone(site.id, target)

    def page_failed(self, failure: Failure) -> Iterator[LinkCheck]:
        results: Iterable[Any] = self._page_failed(failure)
        if failure.request.meta.get("gi_lane"):
            results = chain(self._lane.done(failure.request.meta), results)
        home = failure.request.meta.get("gi_companion_of")
        if home is not None:
            results = chain(results, self._next_companion(home, failure.request.meta.get("gi_companion_rest") or []))
        return self._tracked(failure.request, results)

    def _page_failed(self, failure: Failure) -> Iterator[LinkCheck]:
        request = failure.request
        site_id = request.meta.get("site_id")
        if site_id is not None:
            self._count(request.meta, site_id, "errors")
            if request.meta.get("homepage"):
                self.state.homepage_fetched(site_id, False)
        yield self._failure_check(failure)

    def check_done(self, response: Response) -> Iterator[Any]:
        return self._tracked(response.request, self._check_done(response))

    def _check_done(self, response: Response) -> Iterator[Any]:
        if response.request.method == "HEAD" and response.status in (405, 501, 400, 403):
            # Many servers refuse HEAD (or a WAF treats it as odd): ask again with GET before judging.
            site = self.registry.get(response.meta["site_id"])
            response.meta["gi_handed_over"] = True  # the GET's results count the target off
            yield self._check_request(site, response.url, response.meta["gi_target"], method="GET",
                                      referer=response.meta.get("from_page"), link_text=response.meta.get("link_text"))
            return
        check = self._record(response)
        if check.blocked and response.meta.get("site_id") is not None:
            self._count(response.meta, response.meta["site_id"], "blocked")
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
        if not self.inspectors.wanted_attachments(page):
            return
        target = "A " + normalize_url(response.url)
        if self.state.claim_targets(site.id, [target])[0]:  # once per run; the site waits for it
            yield self._attachment_request(site, link, page, target)

    def check_failed(self, failure: Failure) -> Iterator[LinkCheck]:
        return self._tracked(failure.request, [self._failure_check(failure)])

    async def parse_attachment(self, response: Response) -> AsyncIterator[Any]:
        """Inspectors may scan off the crawl's thread (``LEAK_SCAN_PROCESSES``): their results are
        awaited, then the request's :class:`WorkDone` marker follows them, as :meth:`_tracked` does."""
        request = response.request
        site_id = request.meta.get("site_id")
        try:
            check = self._record(response)
            for item in self._checks_for(response, check):
                yield item
            if check.ok and not check.blocked:
                site = self.registry.get(site_id)
                attachment = attachment_from(response, site, self.context, response.meta.get("referer_page"),
                                             response.meta.get("link_text"))
                for item in await self.inspectors.inspect_attachment_async(attachment):
                    yield item
        except Exception:
            logger.exception("processing %s failed; the run does not count its site as completed", request.url)
            if site_id is not None:
                self.state.incr(site_id, "failures")
        if site_id is not None and not request.meta.get("gi_handed_over"):
            yield _marker(site_id, request.meta)

    def parse_fetched(self, response: Response) -> Iterator[Any]:
        return self._tracked(response.request, self._parse_fetched(response.request, response, None))

    def fetch_failed(self, failure: Failure) -> Iterator[Any]:
        return self._tracked(failure.request, self._parse_fetched(failure.request, None, failure))

    def _parse_fetched(self, request: Request, response: Response | None, failure: Failure | None) -> Iterator[Any]:
        error = classify_failure(failure)[0] if failure is not None else None
        yield from self.inspectors.inspect_fetched(self._fetched(request, response, error))

    def _fetched(self, request: Request, response: Response | None, error: str | None) -> Fetched:
        redirects = request.meta.get("redirect_urls") or []
        text = response.text if isinstance(response, TextResponse) else ""
        return Fetched(
            url=redirects[0] if redirects else request.url, final_url=response.url if response else request.url,
            site=self.registry.get(request.meta["site_id"]), purpose=request.meta.get("purpose", ""),
            referer=request.meta.get("referer_page") or "", status=response.status if response else None,
            headers=_headers(response) if response else {}, text=text, error=error, run=self.context,
        )


class RenderLane:
    """At most ``limit`` renders in Scrapy's scheduler and downloader at once; the rest wait here.

    Renders go first (priority 50) and each waits for one of the browser's ``RENDER_MAX_PAGES``: let
    into the downloader all at once, a few hundred of them would take every one of its
    ``CONCURRENT_REQUESTS`` and the static crawl would stop until the browser caught up. With a lane
    of twice the browser's pages the browser never waits for work and the crawl never waits for the
    browser. A render leaving (rendered, fallen back, failed, dropped) lets the next one in;
    ``limit`` 0: no lane.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.running = 0
        self.held: deque[Request] = deque()

    def offer(self, request: Request) -> Iterator[Request]:
        if not self.limit:
            yield request
            return
        request.meta["gi_lane"] = True
        if self.running < self.limit:
            self.running += 1
            yield request
        else:
            self.held.append(request)

    def done(self, meta: dict) -> Iterator[Request]:
        """The render of ``meta`` left the lane: the next one held (if any) takes its place."""
        if not meta.pop("gi_lane", None):
            return
        if self.held:
            yield self.held.popleft()
        else:
            self.running -= 1

    def drain(self) -> list[Request]:
        held, self.held = list(self.held), deque()
        self.running += len(held)
        return held


def _headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v[0].decode("latin-1") for k, v in response.headers.items() if v}


def _marker(site_id: str, meta: dict) -> WorkDone:
    """The request's :class:`WorkDone`: its target or unit, with the counters it added to (fleet units)."""
    return WorkDone(site_id, meta.get("gi_target"), meta.get("gi_unit"), tuple(meta.get("gi_counts", ())))
