"""``build_cluster``: write a deterministic demo cluster of Chinese government sites to disk.

Layout of ``out_dir``: ``registry.csv`` (shared/spec/registry.md), ``behaviours.json`` (what the
server does besides serving files), ``manifest.json`` (what a crawl must find) and
``hosts/<host>/<path>`` (``:`` in ``host:port`` written as ``_``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from govinspect.demo import html, seeds, text
from govinspect.demo.builder import ClusterBuilder, PageSpec
from govinspect.demo.content import add_archive, add_external_hosts, add_statics, materialize
from govinspect.demo.model import HOMEPAGE_STALE_DAYS, SiteSpec
from govinspect.demo.sites import plan_sites

DEFAULT_AS_OF = dt.date(2026, 11, 20)
REGISTRY_HEADER = ("id", "name", "organizer", "level", "url", "parent", "archive_paths", "extra_hosts", "render")
_MARK_RULES = {
    "icp": "identity.icp-missing",
    "psb": "identity.psb-missing",
    "conac": "identity.conac-missing",
    "site_code": "identity.site-code-missing",
}


@dataclass
class Cluster:
    """What ``build_cluster`` wrote; paths are inside ``root``."""

    root: Path
    sites: list[SiteSpec]
    entries: list[dict]
    page_count: int  # HTML pages written on reachable registered sites
    file_count: int
    hosts: list[str] = field(default_factory=list)

    @property
    def registry_path(self) -> Path:
        return self.root / "registry.csv"

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    @property
    def behaviours_path(self) -> Path:
        return self.root / "behaviours.json"

    def site(self, role: str) -> SiteSpec | None:
        return next((s for s in self.sites if s.role == role), None)

    def expected(self, rule: str | None = None, expect: str | None = None) -> list[dict]:
        """Manifest entries filtered by rule and/or expect."""
        return [
            e for e in self.entries if (rule is None or e["rule"] == rule) and (expect is None or e["expect"] == expect)
        ]


def host_dir(host: str) -> str:
    """Directory name of a ``host[:port]`` under ``hosts/``."""
    return host.lower().replace(":", "_")


def build_cluster(
    out_dir: Path,
    *,
    sites: int | None = None,
    pages_per_site: int = 30,
    seed: int = 2026,
    as_of: dt.date = DEFAULT_AS_OF,
    hang_seconds: float = 20.0,
    seed_names: Sequence[str] | None = None,
) -> Cluster:
    """Build the cluster in ``out_dir`` (its ``hosts/`` tree is replaced) and return what was written.

    ``sites=None`` gives the default eight sites. ``pages_per_site`` articles per site on average,
    the down site's share spread over the others, so reachable sites hold at least
    ``sites * pages_per_site`` pages (list pages and homepages come on top). ``hang_seconds`` is
    the delay of the one URL that hangs; ``seed_names`` picks seed modules (default: ``seeds.SEEDS``).
    """
    out_dir = Path(out_dir)
    specs = plan_sites(sites)
    b = ClusterBuilder(
        specs, seed=seed, as_of=as_of, pages_per_site=pages_per_site,
        # sized clusters (benchmarks, small tests) keep exactly ``sites`` sites: seeds add none
        options={"hang_seconds": hang_seconds, "fixed_site_count": sites is not None},
    )
    modules = seeds.load(seed_names)
    for mod in modules:
        if hasattr(mod, "plan"):
            mod.plan(b)
    up = len(b.up_sites()) or 1
    budget = -(-pages_per_site * len(specs) // up)  # the down site's share goes to the others
    for i, site in enumerate(specs):
        materialize(b, site, i, budget)
    add_external_hosts(b)
    for site in b.up_sites():
        add_statics(b, site)
    city = b.site("city")
    if city and not city.down:
        add_archive(b, city)
    for mod in modules:
        if hasattr(mod, "apply"):
            mod.apply(b)
    for site in specs:
        if "charset" not in b.behaviours.get(site.host, {}):
            b.host_charset(site.host, site.encoding.upper() if site.charset_header else None)
    _derive_expectations(b)
    page_count = _render(b)
    _write(out_dir, b)
    return Cluster(
        out_dir,
        specs,
        [e.to_json() for e in b.entries],
        page_count,
        len(b.files),
        sorted({h for h, _ in b.files} | set(b.behaviours)),
    )


def _render(b: ClusterBuilder) -> int:
    """Render every page into ``b.files``; returns the number of HTML pages on reachable sites."""
    group = html.site_group_select(b.sites)
    footers = {s.host: html.footer(s, group, "".join(b.footer_links.get(s.host, ()))) for s in b.sites}
    count = 0
    for site in b.sites:
        if site.down:
            _emit(b, footers, PageSpec(site, "/index.html", site.name, html.home_body(site), _metas(site, "首页")))
            continue
        for spec in _site_pages(b, site):
            _emit(b, footers, spec)
            count += 1
    for spec in b.pages.values():
        if not spec.site.down:
            _emit(b, footers, spec)
            count += 1
    return count


def _metas(site: SiteSpec, column: str | None = None, column_type: str | None = None) -> dict[str, str]:
    metas = {"SiteName": site.shown_name, "SiteDomain": site.host, "SiteIDCode": site.id}
    if column:
        metas["ColumnName"] = column
        metas["ColumnType"] = column_type or column
    return metas


def _site_pages(b: ClusterBuilder, site: SiteSpec):
    yield PageSpec(site, "/index.html", site.shown_name, html.home_body(site), _metas(site, "首页"))
    for col in site.columns:
        pages = len(col.list_paths)
        for n, path in enumerate(col.list_paths):
            rows = col.articles[n * 20 : (n + 1) * 20]
            yield PageSpec(
                site,
                path,
                f"{col.name}_{site.shown_name}",
                html.list_body(col, n, pages, rows),
                _metas(site, col.name, col.column_type),
            )
        for art in col.articles:
            metas = _metas(site, col.name, col.column_type)
            metas.update(
                {
                    "ArticleTitle": art.title,
                    "PubDate": f"{art.date.isoformat()} 09:30",
                    "ContentSource": site.shown_name,
                }
            )
            yield PageSpec(
                site,
                art.path,
                f"{art.title}_{site.shown_name}",
                html.article_body(site, col, art, text.paragraphs(b.rng, 2)),
                metas,
            )


def _emit(b: ClusterBuilder, footers: dict[str, str], spec: PageSpec) -> None:
    site = spec.site
    encoding = spec.encoding or site.encoding
    declare = site.charset_meta if spec.charset_meta is None else spec.charset_meta
    body = spec.body
    extra = b.injections.get(site.abs(spec.path)) or (
        b.injections.get(site.abs("/")) if spec.path == "/index.html" else None
    )
    if extra:
        body += "".join(extra)
    if spec.chrome:
        label = ((site.charset_label if spec.encoding is None else None) or encoding) if declare else None
        metas = {k: v for k, v in spec.metas.items() if k not in site.omit_metas}
        doc = html.document(
            site, title=spec.title, body=body, metas=metas, charset_label=label, chrome_footer=footers[site.host]
        )
    else:
        doc = body
    b.files[(site.host, spec.path)] = doc.encode(encoding, errors="xmlcharrefreplace")
    if spec.charset_header is not None:
        b.behave(site.host, spec.path, charset=encoding.upper() if spec.charset_header else "")


def _derive_expectations(b: ClusterBuilder) -> None:
    """Manifest entries that follow from the planned data: availability, identity, freshness."""
    for down in (s for s in b.sites if s.down):
        b.expect("site.unreachable", down, target_url=down.url, note="homepage answers 503")
        for site in b.up_sites():
            b.expect(
                "link.broken",
                site,
                target_url=down.url,
                page_url=site.url,
                note="站群导航 option to a site that answers 503",
                link_kind="option[value]",
            )
    for site in b.up_sites():
        home = site.url
        for mark in sorted(site.missing_marks):
            b.expect(_MARK_RULES[mark], site, page_url=home)
        if "site_code" not in site.missing_marks and site.display_code and site.display_code != site.id:
            b.expect("identity.site-code-missing", site, page_url=home, note=f"shows {site.display_code}")
        if site.name not in site.shown_name:
            b.expect("identity.name-mismatch", site, page_url=home, note=f"pages say {site.shown_name}")
        if site.level in ("portal", "county") and not site.has_emblem:
            b.expect("identity.emblem-missing", site, page_url=home)
        newest = []
        for col in site.columns:
            if not col.articles:
                b.expect("freshness.column-empty", site, page_url=site.abs(col.list_paths[0]), column=col.name)
                continue
            newest.append(col.newest_age)
            if col.threshold is not None and col.newest_age > col.threshold:
                b.expect(
                    "freshness.column-stale",
                    site,
                    page_url=site.abs(col.list_paths[0]),
                    column=col.name,
                    newest=col.articles[0].date.isoformat(),
                    threshold_days=col.threshold,
                )
        if newest and min(newest) > HOMEPAGE_STALE_DAYS:
            b.expect("freshness.homepage-stale", site, page_url=home, newest_age_days=min(newest))


def _write(out_dir: Path, b: ClusterBuilder) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    hosts_root = out_dir / "hosts"
    if hosts_root.exists():
        shutil.rmtree(hosts_root)
    made: set[str] = set()
    for (host, path), data in b.files.items():
        target = os.path.join(hosts_root, host_dir(host), path.lstrip("/"))
        parent = os.path.dirname(target)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        with open(target, "wb") as fh:
            fh.write(data)
    (out_dir / "registry.csv").write_text(_registry_csv(b.sites), encoding="utf-8")
    behaviours = {"version": 1, "hosts": dict(sorted(b.behaviours.items()))}
    (out_dir / "behaviours.json").write_text(json.dumps(behaviours, ensure_ascii=False, indent=1), encoding="utf-8")
    manifest = {
        "version": 1,
        "seed": b.seed,
        "as_of": b.as_of.isoformat(),
        "pages_per_site": b.pages_per_site,
        "sites": [{"id": s.id, "role": s.role, "url": s.url, "encoding": s.encoding, "down": s.down} for s in b.sites],
        "entries": [e.to_json() for e in b.entries],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def _registry_csv(sites: list[SiteSpec]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(REGISTRY_HEADER)
    for s in sites:
        writer.writerow(
            [
                s.id,
                s.name,
                s.organizer,
                s.level,
                s.url,
                s.parent or "",
                ";".join(s.archive_paths),
                ";".join(s.extra_hosts),
                s.render,
            ]
        )
    return buf.getvalue()
