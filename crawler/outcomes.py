"""Turning fetch outcomes (responses and failures) into :class:`LinkCheck` verdicts.

Web application firewalls answer crawlers with 403/429 or a JavaScript challenge page: those are
*blocked*, counted in the run summary, and never reported as broken links.
"""

from __future__ import annotations

import re

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.internet import error as twisted_errors
from twisted.python.failure import Failure

from crawler.addresses import BLOCKED_ADDRESS, BlockedAddress, BlockedAddressLookup

BLOCK_STATUSES = frozenset({403, 429})
_CHALLENGE = re.compile(
    rb"(?:__jsl_clearance|_waf_|waf\.|cdn_sec|yunsuo_session|challenge-platform|cf-browser-verification|"
    rb"Just a moment\.\.\.|\xe5\xae\x89\xe5\x85\xa8\xe9\xaa\x8c\xe8\xaf\x81|"  # 安全验证
    rb"\xe8\xae\xbf\xe9\x97\xae\xe9\xaa\x8c\xe8\xaf\x81|"  # 访问验证
    rb"\xe8\xaf\xb7\xe5\xbc\x80\xe5\x90\xaf ?JavaScript|"  # 请开启JavaScript
    rb"\xe8\xaf\xb7\xe5\x90\xaf\xe7\x94\xa8 ?JavaScript)",  # 请启用JavaScript
    re.IGNORECASE,
)


_SCRIPT_TAG = re.compile(rb"<script", re.IGNORECASE)


def is_challenge(response: Response) -> bool:
    """A small page whose only job is a bot challenge (WAF), not content (no lower-cased copy)."""
    body = response.body
    return len(body) < 20000 and _SCRIPT_TAG.search(body) is not None and _CHALLENGE.search(body) is not None


def is_blocked(response: Response) -> bool:
    return response.status in BLOCK_STATUSES or (response.status == 200 and is_challenge(response))


def classify_failure(failure: Failure) -> tuple[str, str]:
    """(error code, human detail) for a failed download: dns, refused, timeout, tls, redirect-loop…"""
    exc = failure.value
    detail = f"{type(exc).__name__}: {exc}"[:300]
    # Scrapy re-raises Twisted's errors as its own Download* subclasses: match by class name too.
    names = " ".join(cls.__name__ for cls in type(exc).__mro__).lower()
    if isinstance(exc, BlockedAddress | BlockedAddressLookup):
        return BLOCKED_ADDRESS, detail  # never requested: SSRF defence (crawler/addresses.py)
    if "max size" in str(exc).lower() or "maxsize" in str(exc).lower():
        return "too-large", detail  # the server answered; we refused to download that much
    request = getattr(failure, "request", None)
    if "cancelled" in names and request is not None and request.meta.get("gi_headers_received"):
        # A body without Content-Length that grew past DOWNLOAD_MAXSIZE: Scrapy cancels the download
        # with an empty DownloadCancelledError. The server answered: too large, not unreachable.
        return "too-large", detail or "body larger than the download limit"
    if isinstance(exc, twisted_errors.DNSLookupError) or "dnslookup" in names:
        return "dns", detail
    if isinstance(exc, twisted_errors.ConnectionRefusedError) or "connectionrefused" in names:
        return "refused", detail
    if isinstance(exc, twisted_errors.TimeoutError | twisted_errors.TCPTimedOutError) or "timeout" in names \
            or "timedout" in names:
        return "timeout", detail
    if isinstance(exc, IgnoreRequest):
        request = getattr(failure, "request", None)
        redirects = list((request.meta.get("redirect_urls") if request is not None else None) or [])
        if "redirect loop" in str(exc).lower():
            return "redirect-loop", detail
        if "redirect" in str(exc).lower():
            if request is not None:
                redirects.append(request.url)
            loop = len(set(redirects)) < len(redirects)
            return ("redirect-loop" if loop else "too-many-redirects"), detail
        return "ignored", detail
    name = type(exc).__name__.lower()
    if "ssl" in name or "tls" in name or "certificate" in str(exc).lower():
        return "tls", detail
    if "timeout" in name or "timed out" in str(exc).lower():
        return "timeout", detail
    return "connection", detail
