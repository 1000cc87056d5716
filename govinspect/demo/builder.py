"""``ClusterBuilder``: the one object seeds talk to.

Seeds add pages, raw files, attachments and server behaviours, inject HTML into pages that the
generator renders later, and record what the crawl must find (manifest entries).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from govinspect.demo.files import make_attachment
from govinspect.demo.model import Article, Column, Entry, SiteSpec


@dataclass
class PageSpec:
    """A page rendered with its site's chrome; ``None`` fields fall back to the site's settings."""

    site: SiteSpec
    path: str
    title: str
    body: str
    metas: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    charset_header: bool | None = None
    charset_meta: bool | None = None
    chrome: bool = True  # False: ``body`` is the whole document


class ClusterBuilder:
    """Collects everything a cluster consists of before it is written to disk."""

    def __init__(
        self, sites: list[SiteSpec], *, seed: int, as_of: dt.date, pages_per_site: int, options: dict | None = None
    ):
        self.sites = sites
        self.seed = seed
        self.as_of = as_of
        self.pages_per_site = pages_per_site
        self.options: dict = dict(options or {})
        self.rng = random.Random(seed)
        self.files: dict[tuple[str, str], bytes] = {}
        self.pages: dict[tuple[str, str], PageSpec] = {}
        self.injections: dict[str, list[str]] = defaultdict(list)
        self.footer_links: dict[str, list[str]] = defaultdict(list)
        self.behaviours: dict[str, dict] = {}
        self.entries: list[Entry] = []

    # --- looking things up -------------------------------------------------------------------
    def site(self, role: str) -> SiteSpec | None:
        """The site playing ``role`` (city, county_a, jyj, down, ...), or None in a small cluster."""
        return next((s for s in self.sites if s.role == role), None)

    def up_sites(self) -> list[SiteSpec]:
        return [s for s in self.sites if not s.down]

    def article(self, site: SiteSpec, column_key: str | None = None, index: int = 0) -> tuple[Column, Article] | None:
        """The ``index``-th newest article of a column (first non-empty column by default)."""
        cols = [site.column(column_key)] if column_key else site.columns
        for col in cols:
            if col and col.articles:
                return col, col.articles[min(index, len(col.articles) - 1)]
        return None

    # --- adding content ----------------------------------------------------------------------
    def add_file(self, host: str, path: str, data: bytes | str) -> str:
        """A raw file served as is; returns its absolute URL."""
        self.files[(host, path)] = data.encode("utf-8") if isinstance(data, str) else data
        return f"http://{host}{path}"

    def add_page(self, site: SiteSpec, path: str, title: str, body: str, **kw) -> str:
        """A page with the site's header, navigation and footer; returns its absolute URL."""
        self.pages[(site.host, path)] = PageSpec(site, path, title, body, **kw)
        return site.abs(path)

    def add_attachment(self, host: str, path: str, title: str, lines: list[str]) -> str:
        """A .pdf/.xlsx/.docx file (by extension of ``path``); xlsx lines are tab-separated cells."""
        kind = path.rsplit(".", 1)[-1].lower()
        return self.add_file(host, path, make_attachment(kind, title, lines))

    def inject(self, url: str, html: str) -> None:
        """Append ``html`` to the main content of the page at ``url`` (rendered later)."""
        self.injections[url].append(html)

    def add_footer_link(self, site: SiteSpec, html: str) -> None:
        self.footer_links[site.host].append(html)

    def behave(self, host: str, path: str | None, **behaviour) -> None:
        """A server behaviour for ``host`` + ``path`` (``None``: every path of the host).

        Keys: status, location, delay, head_status, headers, body, content_type, charset,
        times/window (apply only to the first N requests per window), dynamic, user_agent (apply only
        to clients whose User-Agent contains it).
        """
        entry = self.behaviours.setdefault(host, {"paths": {}})
        if path is None:
            entry.setdefault("all", {}).update(behaviour)
        else:
            entry["paths"].setdefault(path, {}).update(behaviour)

    def not_found(self, host: str, status: int, body: str) -> None:
        """What this host answers for paths it does not have (default: 404 with a generic page)."""
        self.behaviours.setdefault(host, {"paths": {}})["not_found"] = {"status": status, "body": body}

    def host_charset(self, host: str, charset: str | None) -> None:
        """Charset the server appends to ``text/html`` Content-Type for this host (None: none)."""
        self.behaviours.setdefault(host, {"paths": {}})["charset"] = charset

    def expect(
        self,
        rule: str | None,
        site: SiteSpec | None,
        target_url: str | None = None,
        page_url: str | None = None,
        expect: str = "finding",
        note: str = "",
        **extra,
    ) -> None:
        """Record a manifest entry."""
        self.entries.append(Entry(rule, site.id if site else None, target_url, page_url, expect, note, extra))

    def site_for_url(self, url: str) -> SiteSpec | None:
        host = urlsplit(url).netloc
        return next((s for s in self.sites if s.host == host or host in s.extra_hosts), None)
