"""Turning fetch outcomes (responses and failures) into :class:`LinkCheck` verdicts.

Web application firewalls answer crawlers with 403/429 or a JavaScript challenge page: those are
*blocked*, counted in the run summary, and never reported as broken links. But 403 is not always a
WAF: a host that serves the crawler's other requests normally and answers 403 on one linked page,
with no challenge page and no WAF headers, has a broken link for a visitor too. :class:`BlockJudge`
keeps that distinction and says which way each 403 went (``LinkCheck.error`` and the log).
"""

from __future__ import annotations

import re
from dataclasses import replace

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.internet import error as twisted_errors
from twisted.python.failure import Failure

from crawler.addresses import BLOCKED_ADDRESS, BlockedAddress, BlockedAddressLookup
from govinspect.findings import LinkCheck

BLOCK_STATUSES = frozenset({403, 429})
# Lower-case, searched in a lower-cased body (``bytes.lower`` touches ASCII letters only, as IGNORECASE
# on bytes does): a case-blind alternation tried at every position cost ~0.5 ms per page; the copy and
# a case-sensitive search ~0.06 ms.
_CHALLENGE_LOWERED = re.compile(
    rb"(?:__jsl_clearance|_waf_|waf\.|cdn_sec|yunsuo_session|challenge-platform|cf-browser-verification|"
    rb"just a moment\.\.\.|\xe5\xae\x89\xe5\x85\xa8\xe9\xaa\x8c\xe8\xaf\x81|"  # 安全验证
    rb"\xe8\xae\xbf\xe9\x97\xae\xe9\xaa\x8c\xe8\xaf\x81|"  # 访问验证
    rb"\xe8\xaf\xb7\xe5\xbc\x80\xe5\x90\xaf ?javascript|"  # 请开启JavaScript
    rb"\xe8\xaf\xb7\xe5\x90\xaf\xe7\x94\xa8 ?javascript)"  # 请启用JavaScript
)


_SCRIPT_TAG = re.compile(rb"<script", re.IGNORECASE)


def is_challenge(response: Response) -> bool:
    """A small page whose only job is a bot challenge (WAF), not content."""
    body = response.body
    return len(body) < 20000 and _SCRIPT_TAG.search(body) is not None and \
        _CHALLENGE_LOWERED.search(body.lower()) is not None


def is_blocked(response: Response) -> bool:
    return response.status in BLOCK_STATUSES or (response.status == 200 and is_challenge(response))


# Headers that WAF and anti-DDoS services in front of Chinese government sites add (name, or name=value
# pattern): 网站卫士 (wzws), 360 网站卫士, 百度云加速, 知道创宇加速乐 (jsl), 安全狗, 云锁, 长亭 SafeLine,
# Cloudflare, Sucuri, Imperva, Akamai's reference ids.
_WAF_HEADER_NAMES = (b"cf-ray", b"x-sucuri-id", b"x-iinfo", b"x-via-jsl", b"x-safe-firewall", b"wzws-ray",
                     b"x-360wzb", b"x-powered-by-360wzb", b"x-powered-by-anquanbao", b"x-waf-uuid", b"x-waf-event-info",
                     b"x-yd-waf-info", b"x-safedog")
_WAF_SERVER = re.compile(rb"wzws|yunjiasu|cloudflare|safedog|yundun|jiasule|jsl|anquanbao|360wzb|waf|safeline|"
                         rb"yunsuo|sucuri|akamaighost|incapsula|bigip|denyall|secure", re.IGNORECASE)
_BLOCK_WORDS = ("防火墙", "安全狗", "云锁", "拦截", "阻断", "非法请求", "威胁")
# block pages come in UTF-8 and GBK alike
_BLOCK_PAGE = re.compile(
    b"|".join([rb"\bwaf\b", rb"firewall", rb"access denied by", rb"request blocked", rb"security policy"]
              + [re.escape(w.encode(enc)) for w in _BLOCK_WORDS for enc in ("utf-8", "gbk")]),
    re.IGNORECASE,
)


def waf_signature(response: Response) -> str | None:
    """What says a WAF answered (a header, a challenge or block page), or None."""
    headers = response.headers
    for name in _WAF_HEADER_NAMES:
        if name in headers:
            return f"WAF header {name.decode()}"
    for name in (b"Server", b"X-Powered-By", b"Via", b"X-Cache"):
        value = headers.get(name) or b""
        if value and _WAF_SERVER.search(value):
            return f"WAF header {name.decode()}: {value.decode('latin-1')[:40]}"
    body = response.body[:20000] if response.body else b""
    if body and _CHALLENGE_LOWERED.search(body.lower()):
        return "challenge page"
    if body and _BLOCK_PAGE.search(body):
        return "WAF block page"
    return None


class BlockJudge:
    """Blocked or broken, per answer, remembering which hosts answer the crawler normally.

    * 429 and challenge pages: blocked.
    * 403 with a WAF signature (headers, challenge or block page): blocked.
    * 403 from a host that has already answered this run's other requests normally: broken.
    * 403 from a host that has not (yet) answered anything normally: blocked (it may refuse the crawler),
      revised to broken as soon as that host answers another request normally (:meth:`revisions`), so
      the verdict does not depend on which answer arrived first.
    """

    NOT_YET = "403 blocked: host has answered nothing else normally"

    def __init__(self) -> None:
        self.hosts_ok: set[str] = set()
        self._held: dict[str, list[LinkCheck]] = {}
        self._revised: list[LinkCheck] = []

    def hold(self, host: str, check: LinkCheck) -> None:
        """Remember a provisional "blocked" 403 of a host not yet seen answering normally."""
        if check.error == self.NOT_YET:
            if host in self.hosts_ok:
                self._revised.append(self._broken(check))
            else:
                self._held.setdefault(host, []).append(check)

    def revisions(self) -> list[LinkCheck]:
        """Provisional verdicts turned into broken links since the last call (to be stored again)."""
        out, self._revised = self._revised, []
        return out

    @staticmethod
    def _broken(check: LinkCheck) -> LinkCheck:
        return replace(check, ok=False, blocked=False,
                       error="403 broken: host answers other requests, no WAF signature")

    def judge(self, response: Response, host: str) -> tuple[bool, str | None]:
        """(blocked, why): why says which way a 403 went, for the record and the log."""
        status = response.status
        if status == 429:
            return True, "rate limited (429)"
        if status == 200 and is_challenge(response):
            return True, "challenge page"
        if status == 403:
            signature = waf_signature(response)
            if signature:
                return True, f"403 blocked: {signature}"
            if host in self.hosts_ok:
                return False, "403 broken: host answers other requests, no WAF signature"
            return True, "403 blocked: host has answered nothing else normally"
        if status < 400:
            self.hosts_ok.add(host)
            self._revised.extend(self._broken(c) for c in self._held.pop(host, ()))
        return False, None


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
