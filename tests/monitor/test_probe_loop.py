"""The probe loop: one request per homepage per round, spread over the interval; timeouts; refusals."""

from __future__ import annotations

import time

from govinspect.config import build_settings
from govinspect.probing import ProbeConfig, probe_site, run_probes
from govinspect.registry import Site
from inspectors.availability import AnswerClassifier
from tests.support.server import Route, RouteServer

HOME = ("<html><head><title>首页</title></head><body>" + "<p>政务公开</p>" * 20 + "</body></html>").encode()


def _setup(**settings):
    s = build_settings(extra=settings)
    return ProbeConfig.from_settings(s), AnswerClassifier.from_settings(s)


def _site(i: int, url: str) -> Site:
    return Site(id=f"34169900{i:02d}", name=f"站{i}", organizer="x", level="department", url=url)


def test_rounds_are_spread_over_the_interval(monkeypatch):
    config, classifier = _setup()
    starts: list[tuple[str, float]] = []
    import govinspect.probing as probing

    real = probing.probe_site

    def timed(site, *args):
        starts.append((site.id, time.monotonic()))
        return real(site, *args)

    monkeypatch.setattr(probing, "probe_site", timed)
    with RouteServer({f"/s{i}/": Route(HOME) for i in range(4)}) as server:
        sites = [_site(i, f"{server.url}/s{i}/") for i in range(4)]
        recorded = []
        made = run_probes(sites, config, classifier, recorded.extend, count=2, interval=0.8)
        hits = list(server.hits)
    assert made == 8 and len(recorded) == 8 and all(p.ok for p in recorded)
    assert sorted(hits) == sorted([("GET", f"/s{i}/") for i in range(4)] * 2)  # one request per homepage a round
    t0 = starts[0][1]
    offsets = [t - t0 for _, t in starts]
    expected = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4]
    assert all(abs(o - e) < 0.15 for o, e in zip(offsets, expected, strict=True)), offsets  # scheduled, not bursts
    assert [sid for sid, _ in starts] == [s.id for s in sites] * 2


def test_slow_homepage_is_a_timeout():
    config, classifier = _setup(PROBE_TIMEOUT=0.5)
    with RouteServer({"/": Route(HOME, delay=2.0)}) as server:
        started = time.monotonic()
        probe = probe_site(_site(1, server.url + "/"), config, classifier)
    assert (probe.ok, probe.outcome) == (False, "timeout") and time.monotonic() - started < 1.9


def test_refused_port():
    config, classifier = _setup(PROBE_TIMEOUT=3)
    refused = probe_site(_site(2, "http://127.0.0.1:9/"), config, classifier)
    assert (refused.ok, refused.outcome) == (False, "refused")
