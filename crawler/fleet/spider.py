"""The cluster spider as a fleet worker: seeds come from the run's queue, every request is acknowledged.

* ``start()`` yields nothing. Scrapy >= 2.13 starts spiders with the ``start()`` coroutine, which
  scrapy-redis 0.9 predates (its ``RedisSpider`` only overrides ``start_requests``); a worker that
  inherited the cluster spider's ``start()`` would queue every homepage again. Seeds are queued by
  ``govinspect seed`` and turned into homepage requests here (:meth:`fleet_seed_request`).
* Each callback and errback ends its output with a :class:`~crawler.fleet.ack.FleetAck`: once every
  earlier output is handled (the links it found are in the shared queue), ``request_done`` goes to
  the scheduler, which acknowledges the request with the site's progress. A worker killed before
  that point has the request requeued by the others.
* A request done again after its worker died is counted once: pages, renders and companion scripts
  are named units of work (``meta["gi_unit"]``), added to and counted off the run state once per
  run, and queued once per run (crawler/fleet/queue.py).
* Homepage companions (footers in same-site iframes or ``document.write`` scripts): the homepage
  waits for them in the run state (crawler/fleet/homepages.py), not in the requests' meta, so any
  worker can finish and inspect it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter

from crawler.fleet import homepages
from crawler.fleet import signals as fleet_signals
from crawler.fleet.ack import FleetAck
from crawler.fleet.connection import client_from_settings
from crawler.fleet.keys import RunKeys
from crawler.fleet.queue import ACK_META, REDO_META, UNIT_META
from crawler.fleet.scheduler import SEED_META
from crawler.spiders.cluster import ClusterSpider
from crawler.traps import strip_session_ids
from govinspect import signals as gi_signals
from govinspect.registry import Site
from govinspect.urls import normalize_url
from govinspect.vocabulary import PAGE, FetchWish, Page

logger = logging.getLogger(__name__)


class FleetClusterSpider(ClusterSpider):
    name = "cluster"
    render_lane = False  # every request goes to the shared queue (a dead worker's are redone)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs) -> FleetClusterSpider:
        worker: FleetClusterSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(worker.fleet_seed_request, signal=fleet_signals.seed_popped)
        s = crawler.settings
        worker._dupefilter = RFPDupeFilter(client_from_settings(s), RunKeys(s["FLEET_RUN_ID"]).dupefilter)
        crawler.signals.connect(worker._site_finalized, signal=gi_signals.site_finalized)
        return worker

    def _in_dupefilter(self, request: Request) -> bool:
        fingerprint = self._dupefilter.request_fingerprint(request)
        return bool(self._dupefilter.server.sismember(self._dupefilter.key, fingerprint))

    async def start(self) -> AsyncIterator[Request]:
        return
        yield  # an async generator that yields nothing

    def fleet_seed_request(self, seed: Request) -> Request:
        """The homepage request of a seed; ``seed`` claimed the page and counted it pending in the
        run state, so a seed requeued after a kill does not count it twice."""
        site = self.registry.get(seed.meta[SEED_META])
        url = strip_session_ids(site.url)
        request = self._page_request(site, url, depth=0, homepage=True, priority=seed.priority, counted=True)
        request.meta[ACK_META] = seed.meta.get(ACK_META)
        if seed.meta.get(REDO_META):
            request.meta[REDO_META] = True
        return request

    def _acked(self, meta: dict, output: Iterable[Any] | None) -> Iterator[Any]:
        if meta.get(REDO_META):
            output = self._under_redo_claims(output or (), meta.get("gi_unit") or meta.get("gi_target") or "")
        try:
            yield from output or ()
        except Exception:
            self._ack(meta)
            raise
        # the last output: acknowledged once everything before it was handled (crawler/fleet/ack.py)
        yield FleetAck(meta)

    def _ack(self, meta: dict) -> None:
        self.crawler.signals.send_catch_log(fleet_signals.request_done, meta=meta)

    def _under_redo_claims(self, output: Iterable[Any], url: str = "") -> Iterator[Any]:
        """Run a redone request's callback with the run state seen as :class:`_RedoClaims`: whatever
        the dead worker claimed (and counted pending) but never queued is claimed again here.

        Every claim of the callback — links, fetch wishes, malformed links, attachments an inspector
        asked for late, files a checked link announced — happens inside a step of its generator, so
        the state is swapped around each step (steps of different callbacks never interleave: they run
        on the reactor's thread, synchronously)."""
        steps = iter(output)
        redo = _RedoClaims(self.state, self._in_dupefilter)
        while True:
            real, self.state = self.state, redo
            try:
                item = next(steps)
            except StopIteration:
                logger.info("redone after its worker died: %s (%d claims of that worker taken again)",
                            url, redo.retaken)
                return
            finally:
                self.state = real
            yield item

    def parse_page(self, response):
        self._mark_redo(response.meta.get("gi_companion_of"), response.meta)
        return self._acked(response.meta, super().parse_page(response))

    def _follow(self, page: Page, pages_only: bool = False) -> Iterator[Request]:
        yield from super()._follow(page, pages_only)
        if isinstance(self.state, _RedoClaims) and not pages_only:
            yield from self._lost_follow_ups(page, self.state)

    def _lost_follow_ups(self, page: Page, redo: _RedoClaims) -> Iterator[Request]:
        """A redone page may sort a link differently from the first time: an inspector that did not
        want an image then (checked: key ``url``) may want it now (fetched: ``A url``), or the reverse.
        Targets the dead worker claimed under the other key wait all the same: request them too."""
        links: dict[str, Any] = {}
        for link in page.links:
            if link.kind == PAGE:
                continue
            target = normalize_url(strip_session_ids(link.url))
            for key in (target, "A " + target):
                if key not in redo.taken_keys:
                    links.setdefault(key, link)
        keys = list(links)
        waiting = [key for key, waits in zip(keys, redo.waits_for(page.site.id, keys), strict=True)
                   if waits and redo.unqueued(key)]
        for key in waiting:
            link = links[key]
            if key.startswith("A "):
                yield self._attachment_request(page.site, link, page, key)
            else:
                yield self._check_request(page.site, strip_session_ids(link.url), key, referer=page.url,
                                          link_text=link.text)
        redo.retaken += len(waiting)

    def page_failed(self, failure):
        self._mark_redo(failure.request.meta.get("gi_companion_of"), failure.request.meta)
        return self._acked(failure.request.meta, super().page_failed(failure))

    def check_done(self, response):
        return self._acked(response.meta, super().check_done(response))

    def check_failed(self, failure):
        return self._acked(failure.request.meta, super().check_failed(failure))

    async def parse_attachment(self, response):
        """Attachments may be scanned off the crawl's thread (an async callback): acked the same way."""
        try:
            async for item in super().parse_attachment(response):
                yield item
        except Exception:
            self._ack(response.meta)
            raise
        yield FleetAck(response.meta)

    def parse_fetched(self, response):
        return self._acked(response.meta, super().parse_fetched(response))

    def fetch_failed(self, failure):
        return self._acked(failure.request.meta, super().fetch_failed(failure))

    def _fetch_request(self, site: Site, wish: FetchWish, page: Page, target: str):
        request = super()._fetch_request(site, wish, page, target)
        request.meta[UNIT_META] = target  # queued once per run, also when the page is redone
        return request

    # ---- units of work -------------------------------------------------------------------------------
    def _work_unit(self, kind: str, *parts: str) -> str:
        return " ".join((kind, *parts))

    # ---- homepage companions: the homepage waits in the run state ------------------------------------
    def _hold_homepage(self, page: Page, urls: list[str]) -> dict[str, Any]:
        cut = bool(self.max_text) and len(page.text) >= self.max_text
        self.state.put(homepages.namespace(page.site.id), homepages.PAGE_KEY, homepages.page_record(page, cut))
        return {"site_id": page.site.id, "url": page.url, "depth": page.depth, "urls": list(urls),
                "frames": sorted({link.url for link in page.links if link.tag in ("iframe", "frame")}),
                "redo": isinstance(self.state, _RedoClaims)}

    def _home_info(self, home):
        if isinstance(home, Page):
            return super()._home_info(home)
        return self.registry.get(home["site_id"]), home["url"], home["depth"], set(home["frames"])

    def _companion_frame_request(self, home, site: Site, url: str, depth: int, referer: str) -> Request | None:
        # claimed and counted in one step (a kill between the two would leave it claimed, uncounted)
        taken = self.state.claim_links(site.id, [normalize_url(url)], [], check_refused=False)[0][0]
        if taken is None and not isinstance(home, Page) and home.get("redo"):
            # redoing a dead worker's step: the frame it claimed (and counted) but never queued is its
            taken = not self._in_dupefilter(Request(url))
        if not taken:
            return None
        return self._page_request(site, url, depth, referer=referer, counted=True)

    def _add_companion(self, home, url: str, html: str) -> None:
        if isinstance(home, Page):
            return super()._add_companion(home, url, html)
        self.state.put(homepages.namespace(home["site_id"]), url, html)

    def _homepage(self, home) -> Page:
        if isinstance(home, Page):
            return super()._homepage(home)
        ns = homepages.namespace(home["site_id"])
        site = self.registry.get(home["site_id"])
        page = homepages.page_from_record(self.state.get(ns, homepages.PAGE_KEY), site, self.context,
                                          self.max_links)
        for url, html in zip(home["urls"], self.state.get_many(ns, home["urls"]), strict=True):
            if html is not None:
                page.companions[url] = html
        return page

    def _companion_done(self, response):
        self._mark_redo(response.meta.get("page"), response.meta)
        return self._acked(response.meta, super()._companion_done(response))

    def _companion_failed(self, failure):
        self._mark_redo(failure.request.meta.get("page"), failure.request.meta)
        return self._acked(failure.request.meta, super()._companion_failed(failure))

    @staticmethod
    def _mark_redo(home: Any, meta: dict) -> None:
        if isinstance(home, dict):
            home["redo"] = bool(meta.get(REDO_META))

    def _site_finalized(self, site: Site, **kwargs: Any) -> None:
        """The site is folded: its held homepage is no longer needed."""
        self.state.drop(homepages.namespace(site.id))


class _RedoClaims:
    """The run state as seen while redoing a request a dead worker had taken: what that worker
    claimed (and counted pending) but never queued is claimed again for this request, so it is not
    lost; what it did queue stays claimed by it.

    "Never queued": no fingerprint in the run's duplicate filter. A target counts only while the site
    still waits for it (unresolved): whatever made the first claim decide — a page of the site
    claimed meanwhile under the same URL, another site's check — the site's pending unit for it is
    only released by checking it.
    """

    def __init__(self, state: Any, seen: Any):
        self._state = state
        self._seen = seen  # fingerprints already in the run's duplicate filter: Request -> bool
        self.retaken = 0  # claims taken again (for the log)
        self.taken_keys: set[str] = set()  # target keys this redo requests (claimed now or again)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._state, name)

    def claim_links(self, site_id: str, pages: list[str], targets: list[tuple[str, str | None]],
                    check_refused: bool = True):
        taken, firsts, late = self._state.claim_links(site_id, pages, targets, check_refused)
        again = [t is None and not self._seen(Request(url)) for url, t in zip(pages, taken, strict=True)]
        self.retaken += sum(again)
        taken = [True if a else t for a, t in zip(again, taken, strict=True)]
        keys = [key for key, _ in targets]
        firsts = [f or key.startswith("F ") for key, f in zip(keys, self._again(site_id, keys, firsts), strict=True)]
        refused = [url for url, t in zip(pages, taken, strict=True) if t is False] if check_refused else []
        late = self._again(site_id, refused, late)
        return taken, firsts, late

    def claim_targets(self, site_id: str, keys: list[str]) -> list[bool]:
        """Fetch wishes (``F`` keys, here or among :meth:`claim_links`' targets) are fetched without a
        duplicate filter: each is asked for again, and the queue takes it only if its unit was never
        queued (crawler/fleet/queue.py)."""
        firsts = self._state.claim_targets(site_id, keys)
        return [f or key.startswith("F ") for key, f in zip(keys, self._again(site_id, keys, firsts), strict=True)]

    def _again(self, site_id: str, keys: list[str], firsts: list[bool]) -> list[bool]:
        """``firsts``, plus the targets the site still waits for whose request was never queued."""
        open_keys = [key for key, first in zip(keys, firsts, strict=True) if not first and not key.startswith("F ")]
        if not open_keys:
            self.taken_keys.update(key for key, first in zip(keys, firsts, strict=True) if first)
            return list(firsts)
        waits = dict(zip(open_keys, self._state.waits_for(site_id, open_keys), strict=True))
        out = [first or (waits.get(key, False) and self.unqueued(key))
               for key, first in zip(keys, firsts, strict=True)]
        self.retaken += sum(out) - sum(firsts)
        self.taken_keys.update(key for key, taken in zip(keys, out, strict=True) if taken)
        return out

    def unqueued(self, key: str) -> bool:
        """No request for the target key is in the run's duplicate filter (a malformed URL: never)."""
        try:
            request = Request(key[2:]) if key.startswith("A ") else Request(key, method="HEAD")
        except ValueError:
            return True
        return not self._seen(request)
