"""The run state interface: everything a run must share between the components (and the processes) doing it.

A crawl used to keep its per-site state on the spider and in process memory, so only the process
that crawled a site could judge it. :class:`RunState` is that state made explicit, with two
backends (``memory`` for one process, ``redis`` for a fleet) that behave the same; every operation
that decides something (claim a page, claim a link target, count down pending work, claim a site's
finalisation) is atomic in both.

Pure module: the standard library only, so :mod:`govinspect.vocabulary` can name it.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: per-site counters that :meth:`RunState.incr` accepts
COUNTERS = frozenset({"pages", "errors", "blocked", "trapped", "failures"})

JSON = Any  # a value that json.dumps accepts


def check_counter(counter: str) -> None:
    if counter not in COUNTERS:
        raise ValueError(f"unknown counter {counter!r}")


def check_counts(counts: Sequence[Sequence[str]] | None) -> None:
    """Every counter named in ``counts`` (per unit, see :meth:`RunState.done_units`) is known."""
    for counters in counts or ():
        for counter in counters:
            check_counter(counter)


@dataclass
class SiteProgress:
    """A snapshot of one site's progress in a run (read from the run state, never written back)."""

    site_id: str
    max_pages: int
    pages_scheduled: int = 0
    pages: int = 0
    errors: int = 0
    blocked: int = 0
    trapped: int = 0
    failures: int = 0
    pending: int = 0
    budget_exhausted: bool = False
    homepage_ok: bool = False
    homepage_done: bool = False
    finalised: bool = False

    @property
    def done(self) -> bool:
        """All work for the site is finished: its homepage was answered and nothing is pending."""
        return self.homepage_done and self.pending <= 0

    def completion(self, close_reason: str) -> tuple[bool, str]:
        """Whether the run completed this site, with the reason when it did not."""
        if close_reason != "finished":
            return False, f"run ended early ({close_reason})"
        if not self.homepage_ok:
            return False, "homepage not fetched"
        if self.budget_exhausted:
            return False, f"page budget of {self.max_pages} exhausted"
        if self.failures:
            return False, f"{self.failures} page(s) could not be processed"
        if not self.done:
            return False, "work still pending"
        return True, "completed"


class RunState(ABC):
    """Shared state of one run (``run_id``). Every method is safe to call from any process of the run.

    Sites are declared once by :meth:`begin`. Work is counted per site: each request a site is waiting
    for adds one to its *pending* count and takes it off when its results are stored, so a site is
    done (:meth:`is_done`) when its homepage was answered and nothing is pending, wherever the work ran.
    """

    run_id: str

    # ---- the run ----------------------------------------------------------------------------------------
    @abstractmethod
    def begin(self, budgets: Mapping[str, int]) -> None:
        """Declare the run's sites with their page budgets; idempotent (a second call changes nothing)."""

    @abstractmethod
    def site_ids(self) -> list[str]:
        """The sites declared by :meth:`begin`."""

    # ---- pages (the site's own, crawled) ----------------------------------------------------------------
    @abstractmethod
    def claim_pages(self, site_id: str, urls: Sequence[str]) -> list[bool | None]:
        """Reserve pages of the budget, in order: True scheduled (the caller fetches it), None seen
        before, False out of budget (and the site's budget is then marked exhausted)."""

    def claim_page(self, site_id: str, url: str) -> bool | None:
        return self.claim_pages(site_id, [url])[0]

    @abstractmethod
    def pages_seen(self, site_id: str, urls: Sequence[str]) -> list[bool]:
        """Whether each URL was claimed as a page of the site."""

    # ---- link targets (checked once per run, whatever site links them) ----------------------------------
    @abstractmethod
    def claim_targets(self, site_id: str, keys: Sequence[str]) -> list[bool]:
        """For each target key: True when this caller must fetch it (first claim of the run).

        Unless the target is already resolved, the site is registered as waiting for it (one pending
        unit per site and target, also for the claimant), so a site that links a target another site
        checks is not done before that check is stored.
        """

    def claim_target(self, site_id: str, key: str) -> bool:
        return self.claim_targets(site_id, [key])[0]

    @abstractmethod
    def target_done(self, key: str) -> list[str]:
        """The target's outcome is stored: release every site waiting for it (returns their ids).
        Idempotent: a second call releases nothing."""

    @abstractmethod
    def waiting_targets(self, site_id: str) -> list[str]:
        """The unresolved targets the site waits for (what a dead worker left undone, for the log)."""

    @abstractmethod
    def waits_for(self, site_id: str, keys: Sequence[str]) -> list[bool]:
        """Whether the site waits for each target: it claimed it (counted pending) and the target's
        outcome is not stored yet."""

    # ---- one call per crawled page --------------------------------------------------------------------
    def claim_links(self, site_id: str, pages: Sequence[str], targets: Sequence[tuple[str, str | None]],
                    check_refused: bool = True) -> tuple[list[bool | None], list[bool], list[bool]]:
        """What a crawled page's links need, in one call (one round trip in Redis).

        1. ``pages`` are claimed as by :meth:`claim_pages`; each one taken adds a pending unit.
        2. ``targets`` — ``(key, url)`` — are claimed as by :meth:`claim_targets`, except those whose
           ``url`` (when not None) is a page of the site already claimed: those are judged by the
           page's own fetch (result False, no waiting).
        3. With ``check_refused``, the pages refused by the budget are claimed as targets too (key =
           their URL): beyond the budget, links are still checked.

        Returns the page results, the target results, and the results for the refused pages in order.
        """
        taken = self.claim_pages(site_id, pages)
        if taken.count(True):
            self.add_pending(site_id, taken.count(True))
        urls = [url for _, url in targets if url is not None]
        seen = iter(self.pages_seen(site_id, urls)) if urls else iter(())
        keep = [url is None or not next(seen) for _, url in targets]
        wanted = [key for (key, _), k in zip(targets, keep, strict=True) if k]
        refused = [url for url, t in zip(pages, taken, strict=True) if t is False] if check_refused else []
        firsts = iter(self.claim_targets(site_id, wanted + refused))
        target_results = [next(firsts) if k else False for k in keep]
        return taken, target_results, list(firsts)

    def targets_done(self, keys: Sequence[str]) -> list[str]:
        """:meth:`target_done` for many targets at once; returns the released sites (each once)."""
        released: list[str] = []
        for key in keys:
            released.extend(self.target_done(key))
        return ordered_unique(released)

    # ---- pending work and counters ----------------------------------------------------------------------
    @abstractmethod
    def add_pending(self, site_id: str, n: int = 1) -> None: ...

    @abstractmethod
    def done_pending(self, site_id: str, n: int = 1) -> int:
        """Take ``n`` off the site's pending count; returns what is left."""

    @abstractmethod
    def incr(self, site_id: str, counter: str, n: int = 1) -> int:
        """Add to one of :data:`COUNTERS`; returns the new value."""

    @abstractmethod
    def homepage_fetched(self, site_id: str, ok: bool) -> None:
        """The homepage was answered (``ok``: fetched and usable, or failed/blocked)."""

    @abstractmethod
    def progress(self, site_id: str) -> SiteProgress: ...

    def progress_all(self) -> dict[str, SiteProgress]:
        return {site_id: self.progress(site_id) for site_id in self.site_ids()}

    def is_done(self, site_id: str) -> bool:
        return self.progress(site_id).done

    # ---- scope (hosts a site's pages live on, grown by the homepage's redirect) -------------------------
    @abstractmethod
    def add_scope_host(self, site_id: str, host: str) -> None: ...

    @abstractmethod
    def scope_hosts(self, site_id: str) -> set[str]: ...

    # ---- crawler traps ----------------------------------------------------------------------------------
    @abstractmethod
    def trap_variant(self, site_id: str, path: str, query: str, limit: int) -> bool:
        """Admit one query variant of a path: True if known or still under ``limit`` variants."""

    # ---- data components keep until a site ends (inspectors concluding in another process) --------------
    @abstractmethod
    def put(self, namespace: str, key: str, value: JSON) -> None:
        """Store a JSON value (replacing any earlier one)."""

    @abstractmethod
    def get(self, namespace: str, key: str) -> JSON | None: ...

    @abstractmethod
    def get_many(self, namespace: str, keys: Sequence[str]) -> list[JSON | None]: ...

    # ---- waiting rooms: items that wait for a key's result, whichever process produces it ---------------
    # (page contexts waiting for an image's analysis, pages held until a site's error page is learned,
    # referrers waiting for a landing page's verdict)
    @abstractmethod
    def wait_for(self, namespace: str, items: Sequence[tuple[str, JSON]], limit: int = 0) -> dict[str, JSON]:
        """For each ``(key, item)``: when the key has a result (:meth:`resolve`), the result is returned
        (in the dict, under the key) and the item is not kept; otherwise the item waits for it (at most
        ``limit`` items per key when ``limit`` > 0, the rest are dropped). Atomic with :meth:`resolve`:
        an item is either handed to the resolver or answered here, never lost."""

    @abstractmethod
    def resolve(self, namespace: str, key: str, result: JSON) -> tuple[bool, list[JSON]]:
        """Store the key's result and hand over the items waiting for it: ``(True, items)``.

        The first result stays: a later call changes nothing and returns ``(False, items)`` with the
        items handed over before, so a request redone after its worker was killed (between taking the
        items and storing what they gave) still gets them. Items are kept until :meth:`purge`."""

    @abstractmethod
    def results(self, namespace: str, keys: Sequence[str]) -> dict[str, JSON]:
        """The results of the keys that have one (a result may be None: the key is present)."""

    # ---- claims within a budget per group ---------------------------------------------------------------
    @abstractmethod
    def claim_within(self, namespace: str, group: str, keys: Sequence[str], limit: int) -> list[bool]:
        """For each key: True when it was claimed before (by any group) or is claimed now, while
        ``group`` has claimed fewer than ``limit`` keys (0: no limit); False when over the budget."""

    def wait_or_claim(self, namespace: str, items: Sequence[tuple[str, JSON]], limit: int,
                      claims: str, group: str, claim_limit: int) -> tuple[dict[str, JSON], dict[str, bool]]:
        """:meth:`wait_for`, then :meth:`claim_within` (``claims`` namespace) for the keys left
        without a result, in one call (one round trip in Redis): a page waits for the verdicts on its
        links and asks for the fetches that give them. Returns the results and, per key still
        waiting (in order), whether it is claimed."""
        results = self.wait_for(namespace, items, limit)
        waiting = list(dict.fromkeys(key for key, _ in items if key not in results))
        return results, dict(zip(waiting, self.claim_within(claims, group, waiting, claim_limit), strict=True))

    @abstractmethod
    def claimed(self, namespace: str, keys: Sequence[str]) -> list[bool]:
        """Whether each key was claimed (:meth:`claim_within`)."""

    @abstractmethod
    def tally(self, namespace: str, key: str, n: int = 1) -> int:
        """Add ``n`` to a run-wide count (per key); returns the new value."""

    # ---- finalisation -----------------------------------------------------------------------------------
    @abstractmethod
    def claim_finalisation(self, site_id: str) -> bool:
        """True exactly once per site and run: the caller folds the site."""

    @abstractmethod
    def finalised_sites(self) -> set[str]: ...

    @abstractmethod
    def claim_run_end(self) -> bool:
        """True exactly once per run: the caller closes the run record."""

    # ---- lifecycle --------------------------------------------------------------------------------------
    @abstractmethod
    def purge(self) -> None:
        """Forget the run (its state is no longer needed: every site was folded)."""

    def expire(self, seconds: int) -> None:  # noqa: B027 - only a shared backend outlives the run's processes
        """Let the run's state go ``seconds`` from now (a finished fleet run, listed until then)."""

    def close(self) -> None:  # noqa: B027 - optional hook: the memory backend holds no connection
        """Release connections (the state itself stays until :meth:`purge`)."""

    # ---- units of work (fleet: a request redone after its worker died is counted once) ----------------
    @abstractmethod
    def add_units(self, site_id: str, units: Sequence[str]) -> int:
        """Count each named unit of work pending once per run, however often it is added (a page
        redone after a worker died adds its follow-ups again). Returns how many were new."""

    @abstractmethod
    def done_units(self, site_id: str, units: Sequence[str], counts: Sequence[Sequence[str]] | None = None) -> int:
        """Take each named unit off the site's pending count once per run, however often it is
        done (a redone request is done twice), adding one to each of its ``counts`` (counter names,
        aligned with ``units``) the first time. Returns how many were new."""

    def done_units_left(self, site_id: str, units: Sequence[str],
                        counts: Sequence[Sequence[str]] | None = None) -> int:
        """:meth:`done_units`, returning the site's pending count afterwards (above 0: the site is not
        done, known without another read; a backend answers in the same step)."""
        self.done_units(site_id, units, counts)
        return self.progress(site_id).pending

    def count_off(self, targets: Sequence[str], pages: Mapping[str, int],
                  units: Mapping[str, tuple[Sequence[str], Sequence[Sequence[str]]]]) -> dict[str, int]:
        """Work done, counted off together (one round trip in Redis): ``targets`` resolved (as by
        :meth:`targets_done`), ``pages[site]`` plain units (:meth:`done_pending`), ``units[site]`` =
        (names, counts) named units (:meth:`done_units`). Returns each touched site's pending count
        afterwards: only a site at 0 or below can be done."""
        released = self.targets_done(targets) if targets else []
        left: dict[str, int] = {}
        for site_id, n in pages.items():
            left[site_id] = self.done_pending(site_id, n)
        for site_id, (names, counts) in units.items():
            left[site_id] = self.done_units_left(site_id, names, counts)
        for site_id in released:
            if site_id not in left:
                left[site_id] = self.progress(site_id).pending
        return left

    @abstractmethod
    def open_units(self, site_id: str) -> list[str]:
        """The named units of the site counted pending and not done yet (what a dead worker lost)."""

    @abstractmethod
    def drop(self, namespace: str) -> None:
        """Forget every value :meth:`put` under ``namespace`` (data no longer needed)."""


def dumps(value: JSON) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def loads(text: str | bytes | None) -> JSON | None:
    return None if text is None else json.loads(text)


def ordered_unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
