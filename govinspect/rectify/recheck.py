"""The targeted re-check (复核) of one rectification list.

:func:`build_plan` lists the pages (each entry's page and referrers) and targets its entries
concern and the inspectors that produce their rules. :func:`run_recheck` crawls just that with the
project's settings (same politeness, proxies, rendering) through ``crawler.spiders.recheck`` and
``pipelines.recheck``, in a child process (a Twisted reactor runs once per process, and the caller
may already have crawled). :func:`conclude` (called by the pipeline) decides each entry: seen again
→ still open; not seen and its page fetched → the finding becomes ``fixed`` (``findings.md``) and
so does the entry; page not fetched → still open, unverified.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import tempfile
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

from govinspect.findings import now_iso
from govinspect.rectify.tables import Tables
from govinspect.registry import Registry, Site, load_registry
from govinspect.urls import normalize_url

logger = logging.getLogger(__name__)

# Which inspector (by dotted path, as in INSPECTORS) produces which rule, for the rules a crawl of
# the entries' own pages can judge again. A rule not listed here (or mapped to ()) is not re-checked
# by a targeted crawl: its entry stays open, reported as awaiting a full run (FULL_RUN_ONLY says why),
# until a complete run marks the finding fixed. That is the safe default for rules added later whose
# inspectors need the whole site (running the wrong inspector would "fix" by absence).
# tests/rectify checks every rule of rules.md is either here or in FULL_RUN_ONLY.
RULE_INSPECTORS: dict[str, tuple[str, ...]] = {
    "site.unreachable": ("inspectors.reachability.ReachabilityInspector",),
    "link.broken": ("inspectors.links.BrokenLinkInspector",),
    "ad.network": ("inspectors.ads_network.AdNetworkInspector",),
    "ad.commercial": ("inspectors.ads_commercial.AdCommercialInspector",),
    "ad.hidden-link": ("inspectors.hidden_links.HiddenLinkInspector",),
    "image.flag-misuse": ("inspectors.images.ImageInspector",),
    "image.emblem-misuse": ("inspectors.images.ImageInspector",),
    "image.map-no-approval": ("inspectors.images.ImageInspector",),
    "archive.unlabeled": ("inspectors.archives.ArchiveInspector",),
    "leak.id-number": ("inspectors.leaks.LeakInspector",),
    "leak.phone": ("inspectors.leaks.LeakInspector",),
    "leak.bank-card": ("inspectors.leaks.LeakInspector",),
    "leak.classified-marking": ("inspectors.leaks.LeakInspector",),
    "identity.icp-missing": ("inspectors.identity.IdentityInspector",),
    "identity.psb-missing": ("inspectors.identity.IdentityInspector",),
    "identity.conac-missing": ("inspectors.identity.IdentityInspector",),
    "identity.site-code-missing": ("inspectors.identity.IdentityInspector",),
    "identity.name-mismatch": ("inspectors.identity.IdentityInspector",),
    "identity.emblem-missing": ("inspectors.identity_emblem.EmblemMissingInspector",
                                "inspectors.images.ImageInspector"),
    "freshness.homepage-stale": ("inspectors.freshness.FreshnessInspector",),
    "freshness.column-stale": ("inspectors.freshness.FreshnessInspector",),
    "freshness.column-empty": ("inspectors.freshness.FreshnessInspector",),
    "registry.unregistered-site": ("inspectors.unregistered.UnregisteredSiteInspector",),
    # issue 10 rules; what each re-fetches: see _entry_pages
    "site.availability-low": ("inspectors.availability.AvailabilityInspector",),
    "link.soft-404": ("inspectors.soft404.Soft404Inspector",),
    "link.hijacked-external": ("inspectors.hijacked.HijackedExternalInspector",),
    "security.injected-content": ("inspectors.injected.InjectedContentInspector",),
    "interaction.unanswered": ("inspectors.interaction.InteractionInspector",),
    "interaction.reply-fields-missing": ("inspectors.interaction.InteractionInspector",),
    "identity.meta-missing": ("inspectors.identity_meta.MetaTagInspector",),
    "identity.domain-nonstandard": ("inspectors.identity_site.SiteIdentityInspector",),
    "identity.superior-link-missing": ("inspectors.identity_site.SiteIdentityInspector",),
    "identity.annual-report-missing": ("inspectors.identity_site.SiteIdentityInspector",),
}
# Rules a targeted re-check cannot judge, and why (the entry waits for the next complete run).
FULL_RUN_ONLY: dict[str, str] = {
    "policy.repost-late": "the child site's copy may be on any of its pages, and the parent portal's key-policy"
                          " columns decide which items count: only a complete run of both sites can judge it",
}
# The rules judged on the site's homepage, whatever page the entry names: site-level rules of the
# homepage (availability: the homepage answer is one more probe, then the 7-day window is judged as a
# complete run would judge it now).
HOMEPAGE_RULES = {"site.unreachable", "site.availability-low", "identity.domain-nonstandard",
                  "identity.superior-link-missing", "identity.annual-report-missing"}
# The check_note of an entry a targeted re-check cannot judge (shown on the list's documents).
FULL_RUN_NOTE = "待完整检查复核"


def inspectors_for(rule_id: str) -> tuple[str, ...]:
    return RULE_INSPECTORS.get(rule_id, ())


def full_run_reason(rule_id: str) -> str:
    return FULL_RUN_ONLY.get(rule_id, "no targeted re-check is defined for this rule")


def _entry_pages(e: dict[str, Any], site: Site) -> tuple[list[str], str | None]:
    """(the pages a re-check of entry ``e`` fetches, why it cannot be re-checked or None)."""
    rule, evidence = e["rule"], e.get("evidence") or {}
    pages = [e["page_url"], *(e.get("referrers") or [])]
    if rule in HOMEPAGE_RULES:
        return [site.url], None
    if rule == "link.soft-404":
        # the site's error page is learned from the homepage (a fetch wish); the target is fetched as a page
        # only while a re-fetched page still links it
        return [*pages, site.url], None
    if rule == "interaction.unanswered":
        # the message's own page or list (page_url) and the lists that showed it
        return [*pages, *(evidence.get("listed_on") or [])], None
    if rule == "interaction.reply-fields-missing":
        examples = evidence.get("examples") or []
        if int(evidence.get("messages_incomplete") or 0) > len(examples):
            return [], (f"{evidence.get('messages_incomplete')} incomplete messages, {len(examples)} named in the"
                        " evidence: the others are found only by a complete run")
        return [urldefrag(x["message"])[0] for x in examples if x.get("message")], None
    if rule == "identity.meta-missing" and int(e.get("occurrences") or 0) > len(set(pages)):
        return [], (f"seen on {e['occurrences']} pages, {len(set(pages))} recorded: the others are found only by"
                    " a complete run")
    return pages, None


# ---- registry snapshot --------------------------------------------------------------------------------
def remember_sites(tables: Tables, registry: Registry) -> None:
    """Keep each site's registry row, so a later re-check crawls it with the same scope and policy."""
    with tables.transaction():
        for site in registry:
            tables.execute("INSERT INTO rectify_sites (site_id, data) VALUES (?, ?) ON CONFLICT (site_id)"
                           " DO UPDATE SET data=excluded.data", (site.id, json.dumps(asdict(site), ensure_ascii=False)))


def sites_for(tables: Tables, site_ids: set[str], registry: Registry | None) -> tuple[list[Site], list[str]]:
    """The sites to re-check: from the registry given, else the remembered rows, else the run records."""
    sites, notes = [], []
    remembered = {r["site_id"]: r["data"] for r in tables.query("SELECT site_id, data FROM rectify_sites")}
    for sid in sorted(site_ids):
        site = registry.get(sid) if registry is not None else None
        if site is None and sid in remembered:
            data = json.loads(remembered[sid])
            data["archive_paths"] = tuple(data.get("archive_paths") or ())
            data["extra_hosts"] = tuple(data.get("extra_hosts") or ())
            site = Site(**data)
        if site is None:
            rows = tables.query("SELECT site_name, organizer, site_url FROM run_sites WHERE site_id=? AND"
                                " site_url IS NOT NULL ORDER BY run_id DESC", (sid,))
            if not rows:
                notes.append(f"site {sid}: not in the registry nor in any run; its entries stay open")
                continue
            r = rows[0]
            site = Site(id=sid, name=r["site_name"] or sid, organizer=r["organizer"] or "", level="department",
                        url=r["site_url"])
            notes.append(f"site {sid}: no registry row (pass --registry); re-checked from its homepage URL only")
        sites.append(site)
    return sites, notes


def context_sites(tables: Tables, registry: Registry | None, sites: list[Site]) -> list[Site]:
    """Every site the re-check's run knows (its registry), not only the re-checked ones: a site is judged
    among its neighbours as the crawl judged it (its parent's homepage for the superior link and the
    domain, registered hosts for hidden and unregistered links). Only planned sites are fetched."""
    known: dict[str, Site] = {s.id: s for s in registry} if registry is not None else {}
    if registry is None:
        remembered, _ = sites_for(tables, {r["site_id"] for r in tables.query("SELECT site_id FROM rectify_sites")},
                                  None)
        known.update({s.id: s for s in remembered})
    known.update({s.id: s for s in sites})
    return list(known.values())


# ---- plan ---------------------------------------------------------------------------------------------
def build_plan(lst: dict[str, Any], sites: list[Site], enabled: dict[str, Any],
               link_texts: dict[str, str] | None = None) -> dict[str, Any]:
    """What to fetch and which inspectors to run for the open entries of ``lst``.

    ``link_texts``: the text of a link that led to each page in the crawl that found it (archive and
    column detection read it), so the re-check sees the page as the crawl did."""
    by_id = {s.id: s for s in sites}
    plan_sites: dict[str, dict[str, Any]] = {}
    entries, inspectors, skipped, full_run, reasons = [], {}, [], [], {}
    for e in lst["entries"]:
        if e["status"] == "fixed" or e["site_id"] not in by_id:
            continue
        paths = inspectors_for(e["rule"])
        pages, why = _entry_pages(e, by_id[e["site_id"]]) if paths else ([], full_run_reason(e["rule"]))
        if why:
            full_run.append(e["fingerprint"])
            reasons[e["fingerprint"]] = why
            continue
        if any(p not in enabled or enabled[p] is None for p in paths):
            skipped.append(e["fingerprint"])
            continue
        for p in paths:
            inspectors[p] = enabled[p]
        site = plan_sites.setdefault(e["site_id"], {"pages": [], "targets": [], "files": [], "link_texts": {},
                                                    "page_targets": []})
        for url in pages:
            if url and url not in site["pages"]:
                site["pages"].append(url)
                text = (link_texts or {}).get(normalize_url(url))
                if text:
                    site["link_texts"][url] = text
        if e.get("target_url") and e["target_url"] not in site["targets"]:
            site["targets"].append(e["target_url"])
            if e["rule"].startswith("leak."):
                site["files"].append({"url": e["target_url"], "page": e["page_url"]})
        if e["rule"] == "link.soft-404" and e.get("target_url"):
            site["page_targets"].append(e["target_url"])
        previous = (e.get("evidence") or {}).get("previous_run")
        if e["rule"] == "security.injected-content" and previous:
            # a new script/iframe host is judged against the baseline its finding was judged against: the
            # run that found it (the latest complete run) has the host, so it would never look new again
            site.setdefault("baseline_run", previous)
        entries.append({"fingerprint": e["fingerprint"], "site_id": e["site_id"], "pages": pages})
    return {"number": lst["number"], "sites": plan_sites, "entries": entries, "skipped": skipped,
            "full_run": full_run, "full_run_reasons": reasons,
            "fingerprints": [e["fingerprint"] for e in entries], "inspectors": inspectors}


def link_texts(store: Any, tables: Tables, lst: dict[str, Any], max_runs: int = 5) -> dict[str, str]:
    """For each page of the list's entries, the text of a link to it, from the link records of the
    latest runs of its site that have any (``store.link_refs``; a re-check records none of its own)."""
    wanted = {normalize_url(u) for e in lst["entries"] for u in [e["page_url"], *(e.get("referrers") or [])] if u}
    out: dict[str, str] = {}
    for site_id in sorted({e["site_id"] for e in lst["entries"]}):
        runs = tables.query("SELECT s.run_id FROM run_sites s JOIN runs r ON r.run_id = s.run_id WHERE s.site_id=?"
                            " ORDER BY r.started_at DESC", (site_id,))
        used = 0
        for row in runs:
            found = False
            for ref in store.link_refs(row["run_id"], site_id):
                found = True
                if ref.text and ref.target_url in wanted:
                    out.setdefault(ref.target_url, ref.text)
            used += found
            if used >= max_runs or wanted <= set(out):
                break
    return out


# ---- concluding (in the crawl process, from the pipeline) -----------------------------------------------
def conclude(store: Any, run_id: str, site_id: str, plan: dict[str, Any], finished: bool) -> list[str]:
    """Decide the planned entries of one site after its re-check; returns the fingerprints now fixed."""
    tables = Tables(store)
    seen = {r["fingerprint"] for r in tables.query(
        "SELECT DISTINCT fingerprint FROM observations WHERE run_id=? AND site_id=?", (run_id, site_id))}
    view = store.view(run_id)
    now = now_iso()
    fixed = []
    with tables.transaction():
        for entry in plan["entries"]:
            if entry["site_id"] != site_id:
                continue
            fp = entry["fingerprint"]
            checks = [view.check(normalize_url(u)) for u in entry["pages"]]
            fetched = any(c is not None and c.ok and not c.blocked for c in checks)
            if fp in seen:
                status, note = "open", "复核仍存在"
            elif not finished:
                status, note = "open", "复核未完成"
            elif not fetched:
                status, note = "open", "页面无法访问，未能复核"
            else:
                status, note = "fixed", "复核通过"
            if status == "fixed":
                fixed.append(fp)
                tables.execute("UPDATE findings SET status='fixed', fixed_at=?, updated_at=? WHERE"
                               " fingerprint=? AND status IN ('open','reopened')", (now, now, fp))
                tables.execute("UPDATE rectify_entries SET status='fixed', fixed_at=?, fixed_by='recheck',"
                               " checked_at=?, check_note=? WHERE number=? AND fingerprint=?",
                               (now, now, note, plan["number"], fp))
            else:
                tables.execute("UPDATE rectify_entries SET checked_at=?, check_note=? WHERE number=? AND"
                               " fingerprint=?", (now, note, plan["number"], fp))
    return fixed


# ---- running ------------------------------------------------------------------------------------------
def recheck_settings(base: Any, plan_path: Path, inspectors: dict[str, Any]) -> dict[str, Any]:
    """The overrides of a re-check run: the plan, only the planned inspectors, the re-check pipeline and
    finaliser, and a run state of its own in memory (one short run in one process)."""
    pipelines = dict(base.getdict("ITEM_PIPELINES"))
    order = pipelines.pop("pipelines.store.StorePipeline", 300)
    pipelines["pipelines.recheck.RecheckPipeline"] = order
    return {"RECHECK_PLAN": str(plan_path), "INSPECTORS": inspectors, "ITEM_PIPELINES": pipelines,
            "RUN_FINALISER": "pipelines.recheck.RecheckFinaliser", "RUN_STATE_BACKEND": "memory"}


def _crawl_child(settings_args: tuple, extra: dict[str, Any], sites: list[dict], run_id: str, as_of: str) -> None:
    """The re-check run, in the child process: the steps of :func:`govinspect.api.run_crawl` (no run
    lock: an on-demand run) with the re-check spider."""
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.recheck import RecheckSpider
    from govinspect.api import crawl_settings, prepare_run
    from govinspect.config import build_settings
    from govinspect.rectify.plan import load_plan
    from govinspect.runstate import open_run_state
    from govinspect.store import FindingStore
    from govinspect.vocabulary import RunContext

    settings_file, overrides, base_extra = settings_args
    settings = build_settings(settings_file, overrides, {**base_extra, **extra})
    # INSPECTORS/ITEM_PIPELINES replace the defaults whole (not merged into them)
    for key in ("INSPECTORS", "ITEM_PIPELINES"):
        settings.set(key, extra[key], priority="cmdline")
    registry = Registry([Site(**{**s, "archive_paths": tuple(s["archive_paths"]),
                                 "extra_hosts": tuple(s["extra_hosts"])}) for s in sites])
    day = date.fromisoformat(as_of)
    planned = [site for site in registry if site.id in load_plan(extra["RECHECK_PLAN"])["sites"]]
    store = FindingStore.from_settings(settings)
    try:
        prepare_run(store, settings, Registry(planned), run_id, day)  # the run's sites: the re-checked ones
    finally:
        store.close()
    budget = settings.getint("MAX_PAGES_PER_SITE")
    state = open_run_state(settings, run_id)
    try:
        state.begin({site.id: budget for site in planned})
        context = RunContext(run_id=run_id, as_of=day, registry=registry, state=state, max_pages=budget,
                             owner=True)
        process = CrawlerProcess(crawl_settings(settings, context))
        process.crawl(process.create_crawler(RecheckSpider))
        process.start()
        state.purge()
    finally:
        state.close()


def run_recheck(settings_args: tuple, settings: Any, plan: dict[str, Any], sites: list[Site], run_id: str,
                as_of: date, timeout: float | None = None) -> int:
    """Crawl the plan in a child process; returns its exit code (0 when it ran)."""
    with tempfile.TemporaryDirectory(prefix="govinspect-recheck-") as tmp:
        plan_path = Path(tmp) / "plan.json"
        plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        extra = recheck_settings(settings, plan_path, plan["inspectors"])
        wanted = [asdict(s) for s in sites]  # the run's registry; only the plan's sites are fetched and folded
        ctx = multiprocessing.get_context("spawn")
        child = ctx.Process(target=_crawl_child, args=(settings_args, extra, wanted, run_id, as_of.isoformat()),
                            name=f"recheck-{run_id}")
        child.start()
        child.join(timeout)
        if child.is_alive():
            child.terminate()
            child.join()
            return 1
        return child.exitcode or 0


def check_list(settings: Any, settings_args: tuple, number: str, today: date,
               registry: Registry | None = None) -> tuple[dict[str, Any], int, list[str]]:
    """Re-check list ``number`` now (unless closed): returns the list after, the crawl's exit code, warnings.

    ``settings_args`` = (settings file, ``-s`` overrides, extra settings) rebuild the same settings in
    the crawl's process. Raises LookupError for an unknown number.
    """
    from govinspect.rectify.lists import load_list, refresh
    from govinspect.runner import new_run_id
    from govinspect.store import FindingStore

    store = FindingStore.from_settings(settings)
    code, warnings = 0, []
    try:
        tables = Tables(store)
        refresh(store, [number])  # fixes a full run saw already count
        lst = load_list(tables, number)
        if lst["status"] != "open":
            return lst, 0, warnings
        site_ids = {e["site_id"] for e in lst["entries"] if e["status"] != "fixed"}
        sites, warnings = sites_for(tables, site_ids, registry)
        occurrences = {r["fingerprint"]: r["occurrences"] for r in tables.query(
            "SELECT f.fingerprint, f.occurrences FROM findings f JOIN rectify_entries e ON e.fingerprint ="
            " f.fingerprint WHERE e.number=?", (number,))}
        for e in lst["entries"]:
            e["occurrences"] = occurrences.get(e["fingerprint"])
        plan = build_plan(lst, sites, settings.getdict("INSPECTORS"), link_texts(store, tables, lst))
        warnings += [f"entry {fp}: its inspector is switched off; left open" for fp in plan["skipped"]]
        warnings += [f"entry {fp}: awaiting a full run ({plan['full_run_reasons'][fp]})" for fp in plan["full_run"]]
        mark_awaiting_full_run(tables, number, plan["full_run"])
        if plan["entries"]:
            known = context_sites(tables, registry, sites)
            store.close()  # the crawl's process writes; reopened below
            code = run_recheck(settings_args, settings, plan, known, "recheck-" + new_run_id(), today,
                               settings.getfloat("RECTIFY_RECHECK_TIMEOUT"))
            store = FindingStore.from_settings(settings)
            tables = Tables(store)
        refresh(store, [number])
        with tables.transaction():
            tables.execute("UPDATE rectify_lists SET last_checked=? WHERE number=?", (today.isoformat(), number))
        return load_list(tables, number), code, warnings
    finally:
        store.close()


def mark_awaiting_full_run(tables: Tables, number: str, fingerprints: list[str]) -> None:
    """Say on the entry (documents, ``rectify check``) that only a complete run can decide it."""
    now = now_iso()
    with tables.transaction():
        for fp in fingerprints:
            tables.execute("UPDATE rectify_entries SET checked_at=?, check_note=? WHERE number=? AND fingerprint=?"
                           " AND status <> 'fixed'", (now, FULL_RUN_NOTE, number, fp))


def registry_from(path: str | None) -> Registry | None:
    return load_registry(path) if path else None
