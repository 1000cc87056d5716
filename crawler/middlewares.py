"""Downloader middlewares: page decoding, 429 Retry-After, and cookies without internet lookups."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import scrapy.downloadermiddlewares.cookies as scrapy_cookies
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from tldextract import TLDExtract

from crawler.encoding import detect_encoding
from govinspect.urls import normalize_url
from govinspect.vocabulary import RunContext

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Scrapy's cookie middleware asks tldextract for public suffixes, and tldextract downloads the Public
# Suffix List on first use. These machines have no internet (and government networks often none
# either): use the snapshot that ships inside tldextract, and never fetch.
scrapy_cookies._split_domain = TLDExtract(
    suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True, include_psl_private_domains=True
)


class OfflineCookiesMiddleware(CookiesMiddleware):
    """Scrapy's cookie handling with the bundled public-suffix snapshot (see the module note)."""


class EncodingMiddleware:
    """Re-decode HTML responses whose encoding is undeclared or wrong (GBK served as UTF-8…)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EncodingMiddleware:
        return cls()

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        encoding, declared = detect_encoding(response.body, content_type)
        if encoding == response.encoding:
            return response
        if not declared:
            request.meta["govinspect_detected_encoding"] = encoding
        cls = HtmlResponse if isinstance(response, HtmlResponse) else type(response)
        return response.replace(cls=cls, encoding=encoding)


class RetryAfterMiddleware:
    """Retry 429 answers after the server's ``Retry-After`` (capped), a few times, then give up.

    A 429 that persists is reported as *blocked* by the spider, never as a broken link.
    """

    def __init__(self, max_retries: int, max_delay: float, default_delay: float):
        self.max_retries = max_retries
        self.max_delay = max_delay
        self.default_delay = default_delay

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        s = crawler.settings
        return cls(
            s.getint("RETRY_AFTER_MAX_TIMES"),
            s.getfloat("RETRY_AFTER_MAX_DELAY"),
            s.getfloat("RETRY_AFTER_DEFAULT_DELAY"),
        )

    def _delay(self, response: Response) -> float:
        raw = response.headers.get(b"Retry-After", b"").decode("latin-1").strip()
        try:
            delay = float(raw)
        except ValueError:
            delay = self.default_delay  # an HTTP-date or garbage: be patient but bounded
        return max(0.0, min(delay, self.max_delay))

    async def process_response(self, request: Request, response: Response, spider=None):
        if response.status != 429 or request.meta.get("dont_retry"):
            return response
        tries = request.meta.get("retry_after_times", 0)
        if tries >= self.max_retries:
            return response
        delay = self._delay(response)
        logger.debug("429 from %s, retrying after %.1fs", request.url, delay)
        await asyncio.sleep(delay)
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = tries + 1
        return retry


class LoopAwareRedirectMiddleware(RedirectMiddleware):
    """Redirects that report loops at once and are never swallowed by the duplicate filter.

    Scrapy copies ``dont_filter`` onto the redirected request, so the second hop of a loop
    (``/a`` → ``/b`` → ``/a``) is silently dropped as a duplicate and the link is never judged.
    """

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        """A page that redirects to a page of its site already claimed by the run is not fetched again:
        the redirect itself goes to the callback (``gi_redirect_known``), which judges the link.

        A 3xx without ``Location`` shows its body to a visitor (browsers do not move): not an error.
        Scrapy leaves such an answer alone and its HttpError middleware would then fail the request (3xx
        is not a success status); allowing that one status for this request passes it through.
        """
        if 300 <= response.status < 400 and b"Location" not in response.headers:
            allowed = request.meta.get("handle_httpstatus_list") or []
            if response.status not in allowed:
                request.meta["handle_httpstatus_list"] = [*allowed, response.status]
            return response
        result = super().process_response(request, response)
        if (isinstance(result, Request) and request.meta.get("kind") == "page"
                and not request.meta.get("homepage") and request.meta.get("site_id")):
            context = RunContext.of(self.crawler.settings)
            if context is not None and context.state is not None and context.state.pages_seen(
                request.meta["site_id"], [normalize_url(result.url)]
            )[0]:
                request.meta["gi_redirect_known"] = result.url
                # let the redirect answer through to the callback (HttpErrorMiddleware drops 3xx otherwise)
                request.meta["handle_httpstatus_list"] = [*request.meta.get("handle_httpstatus_list", ()),
                                                          response.status]
                return response
        return result

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if redirected.url in chain:
            raise IgnoreRequest(f"redirect loop: {' -> '.join([*chain, redirected.url])}")
        redirected = super()._redirect(redirected, request, reason)
        redirected.dont_filter = True
        return redirected
