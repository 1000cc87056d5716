"""``registry.unregistered-site``: links to hosts inside the cluster's own domains that nobody registered.

A subdomain of a registered portal's domain (``bbs.example-city.gov.cn`` under
``www.example-city.gov.cn``) that is neither a registered site nor a site's ``extra_hosts`` is a
website the supervising office does not know about. Hosts outside those domains (national and
provincial portals, filing services) are never findings. One observation per page and origin; the
store keys findings by the origin ``scheme://host[:port]``.
"""

from __future__ import annotations

from collections.abc import Iterator

from govinspect.findings import Observation
from govinspect.registry import Registry
from govinspect.urls import host_key, origin
from inspectors.base import Inspector, Page

# Registrable suffixes a portal domain must never widen to (a registry listing www.gov.cn as a portal
# must not make every government host part of the cluster).
PUBLIC_SUFFIXES = frozenset({"gov.cn", "com.cn", "net.cn", "org.cn", "edu.cn", "cn", "com", "net", "org", "政务"})


def cluster_domains(registry: Registry) -> set[str]:
    """The cluster's own domains, without public suffixes."""
    return {d for d in registry.cluster_domains() if d and d not in PUBLIC_SUFFIXES and "." in d}


def in_domains(host: str, domains: set[str]) -> str | None:
    """The cluster domain ``host`` (no port) belongs to, or None."""
    for domain in domains:
        if host == domain or host.endswith("." + domain):
            return domain
    return None


def is_unregistered(host_with_port: str, registry: Registry, domains: set[str]) -> bool:
    """Inside a cluster domain, not a registered host or extra host, and not the bare portal domain."""
    host = host_with_port.split(":", 1)[0]
    domain = in_domains(host, domains)
    if domain is None or registry.site_for_host(host_with_port) is not None:
        return False
    # The bare domain (example-city.gov.cn) is the portal's alias when www.<domain> is registered.
    if host == domain and host_with_port == host and registry.site_for_host("www." + domain) is not None:
        return False
    return True


class UnregisteredSiteInspector(Inspector):
    """Reports links from crawled pages to unregistered hosts of the cluster's domains."""

    enabled_setting = "INSPECT_UNREGISTERED_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        # host → unregistered?, for one registry: a page's links repeat a handful of hosts, and every
        # page of the run the same ones (an optimisation only: the verdict is a function of the two)
        self._registry: Registry | None = None
        self._domains: set[str] = set()
        self._verdicts: dict[str, bool] = {}

    def _unregistered(self, key: str, registry: Registry) -> bool:
        if registry is not self._registry:
            self._registry, self._domains, self._verdicts = registry, cluster_domains(registry), {}
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = is_unregistered(key, registry, self._domains)
        return verdict

    def inspect_page(self, page: Page) -> Iterator[Observation]:
        if page.run is None:
            return
        registry = page.run.registry
        domains = cluster_domains(registry) if registry is not self._registry else self._domains
        if not domains:
            return
        seen: set[str] = set()
        for link in page.links:
            key = host_key(link.url)
            if not self._unregistered(key, registry):
                continue
            target = origin(link.url)
            if target in seen:
                continue
            seen.add(target)
            yield Observation(
                rule="registry.unregistered-site", site_id=page.site.id, page_url=page.url, target_url=target,
                message=f"页面链接的{target}属于本站群域名但未登记，请将该网站纳入登记管理或删除该链接。",
                evidence={"host": key, "link_url": link.url, "link_text": link.text, "tag": link.tag},
            )
