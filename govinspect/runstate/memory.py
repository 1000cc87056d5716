"""The in-process run state: one process does the whole run (``RUN_STATE_BACKEND = "memory"``)."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

from govinspect.runstate.base import JSON, RunState, SiteProgress, check_counter, check_counts, dumps, loads


class MemoryRunState(RunState):
    """Dicts and sets behind one lock (Scrapy's callbacks run on one thread, the store's on others)."""

    def __init__(self, run_id: str):
        self.run_id = run_id
        self._lock = threading.RLock()
        self._sites: dict[str, SiteProgress] = {}
        self._seen: dict[str, set[str]] = defaultdict(set)
        self._scope: dict[str, set[str]] = defaultdict(set)
        self._claimed: set[str] = set()
        self._resolved: set[str] = set()
        self._waiting: dict[str, set[str]] = defaultdict(set)
        self._variants: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._data: dict[str, dict[str, str]] = defaultdict(dict)
        self._finalised: set[str] = set()
        self._ended = False
        # waiting rooms: results kept as JSON text like the Redis backend (so what one process makes
        # must be serialisable too); the items waiting are kept as given (many per page: a JSON round
        # trip each would cost the single-process crawl; the Redis tests check they serialise)
        self._results: dict[str, dict[str, str]] = defaultdict(dict)
        self._rooms: dict[tuple[str, str], list[JSON]] = defaultdict(list)
        self._handed: dict[tuple[str, str], list[JSON]] = {}
        self._claims: dict[str, set[str]] = defaultdict(set)
        self._claim_counts: dict[tuple[str, str], int] = defaultdict(int)
        self._tallies: dict[tuple[str, str], int] = defaultdict(int)

    def _site(self, site_id: str) -> SiteProgress:
        site = self._sites.get(site_id)
        if site is None:  # a site not declared by begin(): no budget
            site = self._sites[site_id] = SiteProgress(site_id, 0)
        return site

    def begin(self, budgets: Mapping[str, int]) -> None:
        with self._lock:
            for site_id, max_pages in budgets.items():
                self._sites.setdefault(site_id, SiteProgress(site_id, int(max_pages)))

    def site_ids(self) -> list[str]:
        with self._lock:
            return list(self._sites)

    def claim_pages(self, site_id: str, urls: Sequence[str]) -> list[bool | None]:
        out: list[bool | None] = []
        with self._lock:
            site, seen = self._site(site_id), self._seen[site_id]
            for url in urls:
                if url in seen:
                    out.append(None)
                elif site.max_pages and site.pages_scheduled >= site.max_pages:
                    site.budget_exhausted = True
                    out.append(False)
                else:
                    seen.add(url)
                    site.pages_scheduled += 1
                    out.append(True)
        return out

    def pages_seen(self, site_id: str, urls: Sequence[str]) -> list[bool]:
        with self._lock:
            seen = self._seen[site_id]
            return [url in seen for url in urls]

    def claim_targets(self, site_id: str, keys: Sequence[str]) -> list[bool]:
        out = []
        with self._lock:
            site = self._site(site_id)
            for key in keys:
                if key in self._resolved:
                    out.append(False)
                    continue
                waiting = self._waiting[key]
                if site_id not in waiting:
                    waiting.add(site_id)
                    site.pending += 1
                first = key not in self._claimed
                self._claimed.add(key)
                out.append(first)
        return out

    def target_done(self, key: str) -> list[str]:
        with self._lock:
            if key in self._resolved:
                return []
            self._resolved.add(key)
            sites = sorted(self._waiting.pop(key, ()))
            for site_id in sites:
                self._site(site_id).pending -= 1
            return sites

    def waiting_targets(self, site_id: str) -> list[str]:
        with self._lock:
            return sorted(key for key, sites in self._waiting.items() if site_id in sites and key not in self._resolved)

    def waits_for(self, site_id: str, keys: Sequence[str]) -> list[bool]:
        with self._lock:
            return [key not in self._resolved and site_id in self._waiting.get(key, ()) for key in keys]

    def add_pending(self, site_id: str, n: int = 1) -> None:
        with self._lock:
            self._site(site_id).pending += n

    def done_pending(self, site_id: str, n: int = 1) -> int:
        with self._lock:
            site = self._site(site_id)
            site.pending -= n
            return site.pending

    def incr(self, site_id: str, counter: str, n: int = 1) -> int:
        check_counter(counter)
        with self._lock:
            site = self._site(site_id)
            value = getattr(site, counter) + n
            setattr(site, counter, value)
            return value

    def homepage_fetched(self, site_id: str, ok: bool) -> None:
        with self._lock:
            site = self._site(site_id)
            site.homepage_done = True
            site.homepage_ok = site.homepage_ok or ok

    def progress(self, site_id: str) -> SiteProgress:
        with self._lock:
            return replace(self._site(site_id), finalised=site_id in self._finalised)

    def add_scope_host(self, site_id: str, host: str) -> None:
        with self._lock:
            self._scope[site_id].add(host)

    def scope_hosts(self, site_id: str) -> set[str]:
        with self._lock:
            return set(self._scope[site_id])

    def trap_variant(self, site_id: str, path: str, query: str, limit: int) -> bool:
        with self._lock:
            variants = self._variants[(site_id, path)]
            if query in variants:
                return True
            if len(variants) >= limit:
                return False
            variants.add(query)
            return True

    def put(self, namespace: str, key: str, value: JSON) -> None:
        with self._lock:
            self._data[namespace][key] = dumps(value)

    def get(self, namespace: str, key: str) -> JSON | None:
        with self._lock:
            return loads(self._data[namespace].get(key))

    def get_many(self, namespace: str, keys: Sequence[str]) -> list[JSON | None]:
        with self._lock:
            data = self._data[namespace]
            return [loads(data.get(k)) for k in keys]

    def wait_for(self, namespace: str, items: Sequence[tuple[str, JSON]], limit: int = 0) -> dict[str, JSON]:
        out: dict[str, JSON] = {}
        with self._lock:
            results = self._results[namespace]
            for key, item in items:
                if key in results:
                    out[key] = loads(results[key])
                    continue
                room = self._rooms[(namespace, key)]
                if limit <= 0 or len(room) < limit:
                    room.append(item)
        return out

    def resolve(self, namespace: str, key: str, result: JSON) -> tuple[bool, list[JSON]]:
        with self._lock:
            results = self._results[namespace]
            if key in results:
                return False, list(self._handed.get((namespace, key), ()))
            results[key] = dumps(result)
            items = self._rooms.pop((namespace, key), [])
            if items:
                self._handed[(namespace, key)] = items
            return True, list(items)

    def results(self, namespace: str, keys: Sequence[str]) -> dict[str, JSON]:
        with self._lock:
            results = self._results[namespace]
            return {k: loads(results[k]) for k in keys if k in results}

    def claim_within(self, namespace: str, group: str, keys: Sequence[str], limit: int) -> list[bool]:
        out = []
        with self._lock:
            claims = self._claims[namespace]
            for key in keys:
                if key in claims:
                    out.append(True)
                elif limit > 0 and self._claim_counts[(namespace, group)] >= limit:
                    out.append(False)
                else:
                    claims.add(key)
                    self._claim_counts[(namespace, group)] += 1
                    out.append(True)
        return out

    def claimed(self, namespace: str, keys: Sequence[str]) -> list[bool]:
        with self._lock:
            claims = self._claims[namespace]
            return [k in claims for k in keys]

    def tally(self, namespace: str, key: str, n: int = 1) -> int:
        with self._lock:
            self._tallies[(namespace, key)] += n
            return self._tallies[(namespace, key)]

    def claim_finalisation(self, site_id: str) -> bool:
        with self._lock:
            if site_id in self._finalised:
                return False
            self._finalised.add(site_id)
            return True

    def finalised_sites(self) -> set[str]:
        with self._lock:
            return set(self._finalised)

    def claim_run_end(self) -> bool:
        with self._lock:
            first, self._ended = not self._ended, True
            return first

    def purge(self) -> None:
        with self._lock:
            self._seen.clear()
            self._claimed.clear()
            self._resolved.clear()
            self._waiting.clear()
            self._variants.clear()
            self._data.clear()
            self._results.clear()
            self._rooms.clear()
            self._handed.clear()
            self._claims.clear()
            self._claim_counts.clear()
            self._tallies.clear()

    # ---- units of work ----------------------------------------------------------------------------
    def add_units(self, site_id: str, units: Sequence[str]) -> int:
        return self._once(site_id, units, "added", 1)

    def done_units(self, site_id: str, units: Sequence[str], counts: Sequence[Sequence[str]] | None = None) -> int:
        return self._once(site_id, units, "done", -1, counts)

    def _once(self, site_id: str, units: Sequence[str], kind: str, sign: int,
              counts: Sequence[Sequence[str]] | None = None) -> int:
        check_counts(counts)
        with self._lock:
            seen = self.__dict__.setdefault("_units", defaultdict(set))[(site_id, kind)]
            site = self._site(site_id)
            new = 0
            for unit, counters in zip(units, counts or [()] * len(units), strict=True):
                if unit in seen:
                    continue
                seen.add(unit)
                new += 1
                for counter in counters:
                    setattr(site, counter, getattr(site, counter) + 1)
            site.pending += sign * new
            return new

    def open_units(self, site_id: str) -> list[str]:
        with self._lock:
            units = self.__dict__.get("_units", {})
            return sorted(units.get((site_id, "added"), set()) - units.get((site_id, "done"), set()))

    def drop(self, namespace: str) -> None:
        with self._lock:
            self._data.pop(namespace, None)
