"""``identity.domain-nonstandard``, ``identity.superior-link-missing``, ``identity.annual-report-missing``:
what a site's registration and homepage must say about where it stands in the cluster.

* Domain (指引): a government site lives under ``.gov.cn`` (or ``.政务``), never on a bare IP address,
  and a department or township site (``IDENTITY_SUBDOMAIN_LEVELS``) under its parent portal's domain
  (``jyj.city.gov.cn`` under ``www.city.gov.cn``). Judged on the registered homepage URL.
* Superior link: a site with a registry ``parent`` links the parent's homepage from its homepage with
  a visible ``a``/``area`` link. A site-group dropdown (``<select>``) does not count: a visitor does not
  see the parent portal named there.
* Annual report (国办函〔2018〕12号): from ``IDENTITY_ANNUAL_REPORT_FROM`` (1 February) the homepage
  links the previous year's 政府网站工作年度报表. A link naming a report and only other years does not
  count; a report link that names no year at all counts (it usually leads to the reports column).

All three are judged on the homepage, so a site whose homepage could not be fetched is left to
``site.unreachable``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import urlsplit

from govinspect.findings import Observation
from govinspect.registry import Site
from govinspect.urls import host_key, normalize_url
from inspectors.base import Inspector, Page
from inspectors.dates import nfkc
from inspectors.identity import is_hidden

_ROOT_PATH = re.compile(r"^/?(?:(?:index|default|home)\.(?:s?html?|jsp|php|aspx?))?$", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def hostname(url: str) -> str:
    """The host of a URL without port, lower-cased, IDNA (``xn--``) labels decoded to Unicode."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if "xn--" in host:
        try:
            host = host.encode("ascii").decode("idna")
        except UnicodeError:
            pass
    return host


def portal_domain(host: str) -> str:
    """The domain a portal's children live under: ``city.gov.cn`` for ``www.city.gov.cn``."""
    return host[4:] if host.startswith("www.") else host


def _in_select_or_hidden(el) -> bool:
    node = el
    while node is not None:
        if isinstance(node.tag, str) and (node.tag.lower() in ("select", "option", "head") or is_hidden(node)):
            return True
        node = node.getparent()
    return False


class SiteIdentityInspector(Inspector):
    enabled_setting = "INSPECT_SITE_IDENTITY_ENABLED"

    def __init__(self, crawler):
        super().__init__(crawler)
        s = self.settings
        self.suffixes = tuple(x.lower() for x in s.getlist("IDENTITY_GOV_SUFFIXES"))
        self.subdomain_levels = frozenset(s.getlist("IDENTITY_SUBDOMAIN_LEVELS"))
        month, day = (int(x) for x in s.get("IDENTITY_ANNUAL_REPORT_FROM").split("-"))
        self.report_from = (month, day)
        self.report_words = tuple(nfkc(w) for w in s.getlist("IDENTITY_ANNUAL_REPORT_WORDS"))

    def inspect_page(self, page: Page) -> Iterator[Observation]:
        if not page.is_homepage:
            return
        parent = page.run.registry.get(page.site.parent) if page.run and page.site.parent else None
        yield from self._domain(page, parent)
        if parent is not None:
            yield from self._superior(page, parent)
        yield from self._annual_report(page)

    def _obs(self, page: Page, rule: str, message: str, **evidence) -> Observation:
        return Observation(rule=rule, site_id=page.site.id, page_url=page.url, message=message,
                           evidence={"url": page.site.url, **evidence})

    # ---- domain --------------------------------------------------------------------------------
    def domain_problems(self, site: Site, parent: Site | None) -> list[str]:
        host = hostname(site.url)
        try:
            ipaddress.ip_address(host.strip("[]"))
            return ["ip-address"]
        except ValueError:
            pass
        problems = []
        if not host.endswith(self.suffixes):
            problems.append("not-government-suffix")
        if parent is not None and site.level in self.subdomain_levels:
            domain = portal_domain(hostname(parent.url))
            if host != domain and not host.endswith("." + domain):
                problems.append("not-under-parent")
        return problems

    def _domain(self, page: Page, parent: Site | None) -> Iterator[Observation]:
        problems = self.domain_problems(page.site, parent)
        if not problems:
            return
        host = hostname(page.site.url)
        why = []
        if "ip-address" in problems:
            why.append("使用IP地址访问")
        if "not-government-suffix" in problems:
            why.append(f"未使用{'或'.join(self.suffixes)}域名")
        if "not-under-parent" in problems:
            why.append(f"不在上级门户网站域名{portal_domain(hostname(parent.url))}之下")
        yield self._obs(page, "identity.domain-nonstandard",
                        f"网站域名“{host}”不规范（{'；'.join(why)}），请按《政府网站发展指引》使用规范的政府网站域名。",
                        host=host, problems=problems,
                        parent_domain=portal_domain(hostname(parent.url)) if parent else None)

    # ---- superior link -------------------------------------------------------------------------
    def _superior(self, page: Page, parent: Site) -> Iterator[Observation]:
        wanted = normalize_url(parent.url)
        for link in page.links:
            if link.tag not in ("a", "area") or link.element is None:
                continue
            target = normalize_url(link.url)
            if target != wanted and not (host_key(target) in parent.hosts and _ROOT_PATH.match(urlsplit(target).path)):
                continue
            if not _in_select_or_hidden(link.element):
                return
        yield self._obs(page, "identity.superior-link-missing",
                        f"首页未链接上级门户网站“{parent.name}”（{parent.url}），请在首页页头或页脚设置链接。",
                        parent_id=parent.id, parent_url=parent.url)

    # ---- annual report -------------------------------------------------------------------------
    def _annual_report(self, page: Page) -> Iterator[Observation]:
        as_of = page.run.as_of if page.run else date.today()
        if (as_of.month, as_of.day) < self.report_from:
            return
        year = as_of.year - 1
        other_years: set[int] = set()
        for link in page.links:
            if link.tag not in ("a", "area"):
                continue
            label = nfkc(" ".join(x for x in (link.text, link.element.get("title") if link.element is not None
                                                   else None) if x))
            if not any(w in label for w in self.report_words):
                continue
            years = {int(y) for y in _YEAR.findall(label)} or {int(y) for y in _YEAR.findall(link.url)}
            if not years or year in years:
                return
            other_years |= years
        shown = sorted(other_years)
        extra = f"（首页仅链接了{'、'.join(f'{y}年度' for y in shown)}的报表）" if shown else ""
        yield self._obs(page, "identity.annual-report-missing",
                        f"首页未链接{year}年度政府网站工作年度报表{extra}，请于每年1月31日前在首页公开上一年度报表。",
                        year=year, other_years=shown, as_of=as_of.isoformat())
