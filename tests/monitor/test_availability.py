"""site.availability-low: how a homepage answer counts, and the 3 % / 5 % lines over stored probes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from govinspect.monitoring import Probe, add_probes, utc_iso
from govinspect.store import FindingStore
from inspectors.availability import AvailabilityInspector
from tests.inspectors.helpers import CITY, make_inspector, make_page

HOME = ("<html><head><title>示例市人民政府</title></head><body><h1>示例市人民政府</h1>"
        "<ul><li><a href='/a.html'>市政府召开常务会议</a></li><li><a href='/b.html'>关于系统维护的通知</a></li></ul>"
        + "<p>" + "示例市人民政府门户网站" * 60 + "</p></body></html>")


@pytest.fixture(scope="module")
def inspector():
    return make_inspector(AvailabilityInspector)


@pytest.mark.parametrize(("status", "body", "outcome"), [
    (503, "<html><body><h1>503</h1></body></html>", "http-503"),
    (200, "<html><head><title>系统维护中</title></head><body><p>网站维护中，请稍后访问。</p></body></html>", "maintenance"),
    (200, "<html><head><title>示例市</title></head><body><p>系统维护中</p></body></html>", "maintenance"),
    (200, "<html><head><title>示例市人民政府</title></head><body>  </body></html>", "blank"),
    (200, "", "blank"),
])
def test_failures(inspector, status, body, outcome):
    assert inspector.classifier.classify(status, body=body) == (False, outcome)


@pytest.mark.parametrize("body", [
    HOME,  # a notice *about* maintenance in a full homepage is no maintenance page
    "<html><head><title>示例市</title></head><body><div id='app'></div><script src='/app.js'></script></body></html>",
])
def test_decoys_are_available(inspector, body):
    assert inspector.classifier.classify(200, body=body) == (True, "ok")


def test_transport_errors_and_404(inspector):
    assert inspector.classifier.classify(None, error="timeout") == (False, "timeout")
    assert inspector.classifier.classify(404, body="<html><body>not found</body></html>")[0] is True


def test_crawl_homepage_becomes_a_probe(inspector):
    page = make_page(HOME, url=CITY.url)
    [probe] = list(inspector.inspect_page(page))
    assert (probe.ok, probe.source, probe.site_id) == (True, "crawl", CITY.id)
    assert list(inspector.inspect_page(make_page(HOME))) == []  # not the homepage


def _probes(total: int, failed: int) -> list[dict]:
    now = datetime.now(UTC)
    return [{"ok": i >= failed, "outcome": "timeout" if i < failed else "ok", "source": "probe",
             "probed_at": utc_iso(now - timedelta(minutes=i))} for i in range(total)]


@pytest.mark.parametrize(("total", "failed", "severity"), [
    (100, 2, None), (100, 3, "high"), (140, 6, "high"), (100, 5, "critical"), (140, 7, "critical"),
])
def test_thresholds(inspector, total, failed, severity):
    found = list(inspector.judge(CITY, _probes(total, failed)))
    assert [o.severity for o in found] == ([severity] if severity else [])
    if found:
        ev = found[0].evidence
        assert (ev["probes"], ev["failed"], ev["expected_per_day"]) == (total, failed, 20)
        assert ev["below_expected"] is (total < 140) and ev["probes_per_day"] == round(total / 7, 1)
        assert ("每天20次" in found[0].message) is (total < 140)


def test_enough_probes_are_not_reported_as_too_few(inspector):
    [obs] = inspector.judge(CITY, _probes(7 * 20, 7))
    assert obs.evidence["below_expected"] is False and "少于" not in obs.message


def test_window_is_real_time_from_the_store(inspector, store_target):
    """The probes table on SQLite and PostgreSQL: only the last 7 days of real time count."""
    store = FindingStore(store_target)
    now = datetime.now(UTC)
    old = [Probe(CITY.id, CITY.url, False, "timeout", probed_at=utc_iso(now - timedelta(days=8, minutes=i)))
           for i in range(50)]
    recent = [Probe(CITY.id, CITY.url, i >= 4, "ok" if i >= 4 else "http-503",
                    probed_at=utc_iso(now - timedelta(hours=i))) for i in range(100)]
    add_probes(store, old + recent)
    [obs] = inspector.site_finished(CITY, store.view("r1"))
    assert (obs.evidence["probes"], obs.evidence["failed"], obs.severity) == (100, 4, "high")
    store.close()


def test_availability_by_site_and_referrers_sql(store_target):
    """The summary's figures and the referrer query (link_refs) in the common SQL subset."""
    from govinspect.findings import LinkRef
    from govinspect.monitoring import availability_by_site, referrers

    store = FindingStore(store_target)
    now = datetime.now(UTC)
    add_probes(store, [Probe(CITY.id, CITY.url, i % 4 != 0, "ok", probed_at=utc_iso(now - timedelta(hours=i)))
                       for i in range(8)])
    stats = availability_by_site(store, utc_iso(now - timedelta(days=7)), utc_iso(now))
    assert stats == {CITY.id: {"probes": 8, "failed": 2, "availability": 0.75}}
    store.start_run("r1", "2026-11-01", {}, [CITY])
    store.add_refs("r1", [LinkRef(CITY.id, CITY.url + f"p{i}.html", CITY.url + "x.html", "a", f"文{i}")
                          for i in range(3)])
    assert referrers(store, "r1", CITY.id, CITY.url + "x.html", 2) == [
        (CITY.url + "p0.html", "文0"), (CITY.url + "p1.html", "文1")]
    store.close()


def test_old_probes_are_pruned(store_target):
    from govinspect.monitoring import prune_probes

    store = FindingStore(store_target)
    now = datetime.now(UTC)
    add_probes(store, [Probe(CITY.id, CITY.url, True, "ok", probed_at=utc_iso(now - timedelta(days=d)))
                       for d in (1, 100, 500)])
    assert prune_probes(store, utc_iso(now - timedelta(days=400))) == 1
    assert len(store.query("SELECT * FROM probes")) == 2
    store.close()
