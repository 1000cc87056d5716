"""SSRF defence in the crawl: a resolver and a downloader middleware applying ``govinspect.addresses``.

* :class:`GuardedResolver` (``TWISTED_DNS_RESOLVER``) resolves like Scrapy's caching resolver and
  refuses names that resolve to a forbidden address — at connect time, so a name that changes its
  answer between a check and the connection (DNS rebinding) cannot slip through.
* :class:`AddressGuardMiddleware` refuses, before download, every request whose host is a literal
  forbidden address in any spelling, and (when no proxy is used) every host name the resolver
  refuses, with :class:`BlockedAddress`. Redirects pass through it again, so a redirect into the
  intranet is refused like a link.

A refused request is judged ``error="blocked-address"``, not inspected and *not* a broken link (a
public site's visitors cannot tell; a hostile site must not learn anything either). It is counted
(``govinspect/blocked_address``) and logged once per target.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.error import DNSLookupError

from govinspect.addresses import AddressPolicy, literal_ip
from govinspect.urls import host_key

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

BLOCKED_ADDRESS = "blocked-address"


class BlockedAddress(IgnoreRequest):
    """The request's destination is an address the crawler may not request (see the module note)."""


class BlockedAddressLookup(DNSLookupError):
    """Raised by the resolver for a name that resolves to a forbidden address."""


def policy_from_settings(settings: BaseSettings) -> AddressPolicy:
    return AddressPolicy(
        allow=settings.getlist("NETWORK_ALLOW"),
        always_block=settings.getlist("NETWORK_ALWAYS_BLOCK"),
        site_hosts=settings.getlist("NETWORK_SITE_HOSTS"),
    )


def proxy_hosts(env: Any = os.environ) -> set[str]:
    """Host names of the configured proxies: the resolver must resolve them, wherever they live."""
    hosts = set()
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        for value in (env.get(name), env.get(name.upper())):
            if value:
                hosts.add((urlsplit(value if "://" in value else "http://" + value).hostname or "").lower())
    return hosts - {""}


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to forbidden addresses.

    Names of registered sites (``NETWORK_SITE_HOSTS``) and of the proxies may resolve anywhere.
    """

    def __init__(self, reactor: Any, cache_size: int, timeout: float, policy: AddressPolicy,
                 trusted_names: set[str]):
        super().__init__(reactor, cache_size, timeout)
        self.policy = policy
        self.trusted_names = trusted_names

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> GuardedResolver:
        s = crawler.settings
        cache_size = s.getint("DNSCACHE_SIZE") if s.getbool("DNSCACHE_ENABLED") else 0
        trusted = {(urlsplit("http://" + h).hostname or "").lower() for h in s.getlist("NETWORK_SITE_HOSTS")}
        return cls(reactor, cache_size, s.getfloat("DNS_TIMEOUT"), policy_from_settings(s),
                   trusted | proxy_hosts())

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:  # noqa: N802 - Twisted's name
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    def _check(self, address: str, name: str) -> str:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return address
        trusted = name.lower().rstrip(".") in self.trusted_names
        reason = self.policy.never(ip) if trusted else self.policy.refusal(ip)
        if reason:
            raise BlockedAddressLookup(name, reason)
        return address


class AddressGuardMiddleware:
    """Refuses requests to forbidden addresses before they are downloaded (after ``HttpProxyMiddleware``)."""

    def __init__(self, crawler: Crawler, policy: AddressPolicy):
        self.crawler = crawler
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawler, policy_from_settings(crawler.settings))

    def _refuse(self, request: Request, reason: str) -> None:
        logger.warning("not requested (%s): %s", reason, request.url)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("govinspect/blocked_address")
        raise BlockedAddress(f"{BLOCKED_ADDRESS}: {reason}")

    async def process_request(self, request: Request, spider: Any = None) -> None:
        try:
            host = urlsplit(request.url).hostname
        except ValueError:
            return None
        if not host:
            return None
        key = host_key(request.url)
        ip = literal_ip(host)
        if ip is not None:
            reason = self.policy.refusal(ip, key)
            if reason:
                self._refuse(request, reason)
            return None
        if request.meta.get("proxy") or key in self.policy.site_hosts:
            return None  # the proxy resolves the name; registered hosts may live anywhere
        from twisted.internet import reactor

        try:
            await maybe_deferred_to_future(reactor.resolve(host))
        except BlockedAddressLookup as exc:
            self._refuse(request, str(exc.args[-1]) if exc.args else "internal address")
        except Exception:  # noqa: BLE001 - an unresolvable name fails at download, classified as dns
            return None
        return None
