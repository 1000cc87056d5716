"""``leak.*``: personal data and secrecy markings in page text and in attachments.

Pages are scanned in their visible text. Attachments (xlsx, xls, docx, pdf, csv, …) are fetched by the
crawl when :meth:`LeakInspector.wants_attachment` says so, or arrive from CMS download endpoints the
crawl recognised by their answer; their format comes from the bytes, the ``Content-Disposition`` name,
the ``Content-Type`` and the URL (``govinspect.formats``). Each is scanned once per run: a cache by URL
and by content hash means a file linked from many pages, or published twice under different names, is
read once. Only masked values ever leave the detectors; log lines name the file and the problem only.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from govinspect import formats
from govinspect.findings import Observation
from govinspect.urls import host_key, is_government_host
from inspectors.base import ATTACHMENT, Attachment, Inspector, Link, Page
from inspectors.sensitive import (
    LEAK_CARD,
    LEAK_ID,
    LEAK_MARK,
    LEAK_PHONE,
    Chunk,
    Limits,
    RuleHits,
    Scanner,
    page_text,
    scanjob,
)
from inspectors.sensitive.detectors import might_leak
from inspectors.sensitive.formats import READERS

logger = logging.getLogger(__name__)

WHAT = {
    LEAK_ID: "公民身份号码",
    LEAK_PHONE: "手机号码名单",
    LEAK_CARD: "银行卡号",
    LEAK_MARK: "密级或内部资料标志",
}
FIX = {
    LEAK_ID: "请立即撤下或对身份证号做去标识化处理（如仅保留前6位和后4位）",
    LEAK_PHONE: "请撤下或对手机号做去标识化处理（如138****1234）",
    LEAK_CARD: "请立即撤下或对银行卡号做去标识化处理",
    LEAK_MARK: "请立即撤下并进行保密审查",
}


def _file_name(attachment: Attachment) -> str:
    """The served file's name: the Content-Disposition name, else the URL's last segment."""
    return formats.disposition_filename(attachment.disposition) or attachment.url.rsplit("/", 1)[-1]


def _extension(name: str) -> str:
    name = name.split("?", 1)[0]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


class LeakInspector(Inspector):
    enabled_setting = "INSPECT_LEAKS_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        s = self.settings
        self.scan_pages = s.getbool("LEAK_SCAN_PAGES")
        self.scan_attachments = s.getbool("LEAK_SCAN_ATTACHMENTS")
        # format names of govinspect.formats; empty: every format that has a reader
        self.formats = set(s.getlist("LEAK_ATTACHMENT_FORMATS")) or set(READERS)
        self.limits = Limits.from_settings(s)
        self.phone_min = s.getint("LEAK_PHONE_MIN_DISTINCT")
        self.id15_context = s.getbool("LEAK_ID15_REQUIRE_CONTEXT")
        self.max_samples = s.getint("LEAK_MAX_EVIDENCE_HITS")
        self.xlsx_reader = s.get("LEAK_XLSX_READER")
        # Per-run caches (an optimisation only: a worker without them scans again, same result).
        self._run_id: str | None = None
        self._urls: set[str] = set()
        self._by_hash: OrderedDict[str, dict[str, RuleHits] | None] = OrderedDict()
        # Scans in worker processes keep the crawl's thread free (0: scan on the crawl's thread).
        self.processes = s.getint("LEAK_SCAN_PROCESSES")
        self._pool: ProcessPoolExecutor | None = None
        signals = getattr(crawler, "signals", None)
        if signals is not None:
            from scrapy import signals as scrapy_signals

            signals.connect(self.close, signal=scrapy_signals.spider_closed)

    def _scanner(self, run) -> Scanner:
        return Scanner(run.as_of if run else None, self.phone_min, self.id15_context, self.max_samples)

    # ---- pages ---------------------------------------------------------------------------------------
    def inspect_page(self, page: Page) -> Iterator[Observation]:
        if not self.scan_pages or not might_leak(page.text):
            return
        text = page_text(page)
        scanner = self._scanner(page.run)
        scanner.scan(Chunk("", text, resolver=lambda off: f"第{text.count(chr(10), 0, off) + 1}行"))
        for rule, hits in scanner.results().items():
            yield self._observation(rule, hits, page.site.id, page.url, None, "网页正文")

    # ---- attachments ------------------------------------------------------------------------------
    def wants_attachment(self, link: Link, page: Page) -> bool:
        if not self.scan_attachments or link.kind != ATTACHMENT:
            return False
        fmt = link.format or (formats.url_format(link.url) or formats.UNKNOWN).name
        # unknown: a download endpoint whose headers said "a file" but not which; the bytes will tell
        if fmt != formats.UNKNOWN.name and fmt not in self.formats:
            return False
        host = host_key(link.url)
        return host in page.site.hosts or is_government_host(host) or (
            page.run is not None and page.run.registry.site_for_host(host) is not None)

    def inspect_attachment(self, attachment: Attachment) -> Iterator[Observation]:
        digest = self._first_sighting(attachment)
        if digest is None:
            return
        results = self._by_hash.get(digest)
        if results is None and digest not in self._by_hash:
            results = self._remember(digest, self.scan_attachment(attachment))
        yield from self._observations(attachment, results)

    async def inspect_attachment_async(self, attachment: Attachment) -> list[Observation]:
        """Like :meth:`inspect_attachment`, the scan running in a worker process (``LEAK_SCAN_PROCESSES``)."""
        if self.processes <= 0:
            return list(self.inspect_attachment(attachment))
        digest = self._first_sighting(attachment)
        if digest is None:
            return []
        results = self._by_hash.get(digest)
        if results is None and digest not in self._by_hash:
            future = self._executor().submit(scanjob.run, self._job(attachment))
            results = self._remember(digest, self._finish(await asyncio.wrap_future(future)))
        return list(self._observations(attachment, results))

    def scan_attachment(self, attachment: Attachment) -> dict[str, RuleHits] | None:
        """Scan one file within the limits (on this thread); problems are logged, never a crash."""
        return self._finish(scanjob.run(self._job(attachment)))

    def _first_sighting(self, attachment: Attachment) -> str | None:
        """The content hash of a file not yet seen by URL this run (None: already handled)."""
        run = attachment.run
        run_id = run.run_id if run else None
        if run_id != self._run_id:
            self._run_id, self._urls = run_id, set()
            self._by_hash.clear()
        if attachment.url in self._urls:
            return None
        self._urls.add(attachment.url)
        return hashlib.sha256(attachment.body).hexdigest()

    def _remember(self, digest: str, results: dict[str, RuleHits] | None) -> dict[str, RuleHits] | None:
        self._by_hash[digest] = results
        while len(self._by_hash) > 10_000:
            self._by_hash.popitem(last=False)
        return results

    def _job(self, attachment: Attachment) -> scanjob.ScanJob:
        return scanjob.ScanJob(
            url=attachment.url, body=attachment.body,
            ext=_extension(_file_name(attachment)) or formats.url_extension(attachment.url),
            content_type=attachment.content_type, disposition=attachment.disposition,
            truncated=attachment.truncated, as_of=attachment.run.as_of if attachment.run else None,
            limits=self.limits, formats=frozenset(self.formats), phone_min=self.phone_min,
            id15_context=self.id15_context, max_samples=self.max_samples, xlsx_reader=self.xlsx_reader,
        )

    @staticmethod
    def _finish(result: scanjob.ScanResult) -> dict[str, RuleHits] | None:
        for level, message in result.logs:
            logger.log(level, "%s", message)
        return result.hits

    def _observations(self, attachment: Attachment, results: dict[str, RuleHits] | None) -> Iterator[Observation]:
        if not results:
            return
        name = attachment.link_text or _file_name(attachment)
        for rule, hits in results.items():
            yield self._observation(rule, hits, attachment.site.id, attachment.referer, attachment.url,
                                    f"附件《{name}》")

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver: workers never inherit the crawl's threads, reactor or browser
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("forkserver"))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # ---- output ------------------------------------------------------------------------------------
    def _observation(self, rule: str, hits: RuleHits, site_id: str, page_url: str, target: str | None,
                     where: str) -> Observation:
        samples = [{"value": h.masked, "where": h.where} for h in hits.samples]
        distinct = len(hits.values)
        shown = "、".join(h.masked for h in hits.samples[:3])
        message = f"{where}含有{distinct}个{WHAT[rule]}（如{shown}），{FIX[rule]}。"
        evidence = {"count": hits.count, "distinct": distinct, "samples": samples, "source": where}
        return Observation(rule=rule, site_id=site_id, page_url=page_url, target_url=target,
                           message=message, evidence=evidence)

    def site_finished(self, site, view) -> Iterable[Observation]:
        return ()

