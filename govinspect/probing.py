"""``govinspect probe``: availability probes of every registered homepage (the national rule).

One GET per homepage per round, the sites' start times spread evenly over the interval (so no host
sees a burst and the probes sample the whole day), at most ``PROBE_TIMEOUT`` seconds each (15 s, the
national rule's), through the standard proxy variables (``http_proxy``, ``https_proxy``,
``no_proxy``). Each probe is stored at once (``govinspect/monitoring.py``); ``site.availability-low``
judges them at the end of the next crawl. Blocking urllib in a few threads is enough: a probe round is
a handful of requests a minute, and it keeps the probe verb free of the crawl's reactor.
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

from w3lib.encoding import html_to_unicode

from govinspect.monitoring import Probe, add_probes, prune_probes, utc_iso
from govinspect.registry import Site
from inspectors.availability import AnswerClassifier


@dataclass
class ProbeConfig:
    timeout: float
    max_bytes: int
    concurrency: int
    user_agent: str

    @classmethod
    def from_settings(cls, settings) -> ProbeConfig:
        return cls(settings.getfloat("PROBE_TIMEOUT"), settings.getint("PROBE_MAX_BYTES"),
                   settings.getint("PROBE_CONCURRENCY"), settings.get("PROBE_USER_AGENT"))


def _error_code(exc: BaseException) -> str:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, socket.gaierror):
        return "dns"
    if isinstance(reason, ConnectionRefusedError):
        return "refused"
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(reason, ssl.SSLError | ssl.CertificateError):
        return "tls"
    return "connection"


def probe_site(site: Site, config: ProbeConfig, classifier: AnswerClassifier,
               opener: urllib.request.OpenerDirector | None = None) -> Probe:
    """One probe of one homepage: never raises, every failure is an outcome."""
    opener = opener or urllib.request.build_opener()  # ProxyHandler from the environment, no_proxy honoured
    request = urllib.request.Request(site.url, headers={"User-Agent": config.user_agent, "Accept": "text/html,*/*"})
    started = time.monotonic()
    status: int | None = None
    body = b""
    content_type = ""
    try:
        try:
            response = opener.open(request, timeout=config.timeout)
        except urllib.error.HTTPError as exc:  # 4xx/5xx answers are answers
            response = exc
        with response:
            status = response.status if hasattr(response, "status") else response.code
            content_type = response.headers.get("Content-Type", "")
            while len(body) < config.max_bytes:
                if time.monotonic() - started > config.timeout:
                    raise TimeoutError("body not complete within the timeout")
                chunk = response.read(min(65536, config.max_bytes - len(body)))
                if not chunk:
                    break
                body += chunk
    except Exception as exc:  # transport failures: DNS, refused, timeout, TLS, reset
        latency = int((time.monotonic() - started) * 1000)
        return Probe(site.id, site.url, False, _error_code(exc), status, latency)
    latency = int((time.monotonic() - started) * 1000)
    if latency > config.timeout * 1000:
        return Probe(site.id, site.url, False, "timeout", status, latency)
    if content_type and "html" not in content_type.lower():  # answered with something else: not blank
        ok, outcome = (status is not None and status < 500), "ok" if status and status < 500 else f"http-{status}"
    else:
        ok, outcome = classifier.classify(status, body=html_to_unicode(content_type, body)[1] if body else "")
    return Probe(site.id, site.url, ok, outcome, status, latency)


def run_probes(sites: list[Site], config: ProbeConfig, classifier: AnswerClassifier,
               record: Callable[[list[Probe]], None], count: int | None, interval: float,
               log: TextIO = sys.stderr, stop: threading.Event | None = None) -> int:
    """Probe every site ``count`` times (None: until ``stop``), one round per ``interval`` seconds.

    Site *i* of a round starts at ``i * interval / len(sites)`` into the round. Returns the probes made.
    """
    stop = stop or threading.Event()
    made = 0
    if not sites:
        return 0
    step = interval / len(sites)
    t0 = time.monotonic()
    round_no = 0
    with ThreadPoolExecutor(max_workers=max(1, config.concurrency), thread_name_prefix="probe") as pool:
        while count is None or round_no < count:
            futures: list[Future] = []
            for i, site in enumerate(sites):
                due = t0 + round_no * interval + i * step
                if stop.wait(max(0.0, due - time.monotonic())):
                    break
                future = pool.submit(probe_site, site, config, classifier)
                # stored as soon as it is made: a probe process killed mid-round keeps what it measured
                future.add_done_callback(lambda f: record([f.result()]))
                futures.append(future)
            probes = [f.result() for f in futures]
            made += len(probes)
            failed = sum(1 for p in probes if not p.ok)
            log.write(f"probe round {round_no + 1}: {len(probes)} homepages, {failed} failed\n")
            round_no += 1
            if stop.is_set():
                break
            if count is not None and round_no >= count:
                break
    return made


def store_recorder(store) -> Callable[[Iterable[Probe]], None]:
    """Writes probes into a :class:`govinspect.store.FindingStore` from any probe thread."""
    lock = threading.Lock()

    def record(probes: Iterable[Probe]) -> None:
        with lock:
            add_probes(store, probes)
    return record


def probe_command(registry, settings, count: int | None, interval: float | None, out: TextIO = sys.stdout) -> int:
    """The ``probe`` verb: probe, store, and print each site's availability over the window."""
    from govinspect.api import new_run_id
    from govinspect.locks import run_lock
    from govinspect.store import FindingStore

    config = ProbeConfig.from_settings(settings)
    classifier = AnswerClassifier.from_settings(settings)
    interval = settings.getfloat("PROBE_INTERVAL") if interval is None else interval
    stop = threading.Event()
    # one prober per store (per fleet with Redis): a second one exits 3 (LockHeld) naming the holder
    with run_lock(settings, "probe-" + new_run_id(), kind="probe"):
        store = FindingStore.from_settings(settings)
        keep = timedelta(days=settings.getint("PROBE_KEEP_DAYS"))
        prune_probes(store, utc_iso(datetime.now(UTC) - keep))
        try:
            run_probes(list(registry), config, classifier, store_recorder(store), count, interval, stop=stop)
        except KeyboardInterrupt:
            stop.set()
        print_availability(store, out, settings.getint("AVAILABILITY_WINDOW_DAYS"), [s.id for s in registry])
        store.close()
    return 0


def print_availability(store, out: TextIO, window_days: int, site_ids: list[str] | None = None,
                       until: str | None = None) -> None:
    """Per site: probes, failures and availability over the ``window_days`` before ``until`` (default now)."""
    from govinspect.monitoring import availability_by_site

    end = datetime.fromisoformat(until) if until else datetime.now(UTC)
    stats = availability_by_site(store, utc_iso(end - timedelta(days=window_days)), utc_iso(end))
    ids = site_ids if site_ids is not None else sorted(stats)
    if not ids:
        return
    out.write(f"\nAvailability (homepage probes, {window_days} days to {utc_iso(end)}):\n")
    for site_id in ids:
        s = stats.get(site_id)
        if not s:
            out.write(f"  {site_id}  no probes\n")
            continue
        per_day = s["probes"] / window_days
        out.write(f"  {site_id}  {s['availability']:.2%} available, {s['failed']}/{s['probes']} probes failed,"
                  f" {per_day:.1f} probes/day\n")
