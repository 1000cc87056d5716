"""The store API on both backends: lifecycle, other modules' tables, and many writers at once."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from govinspect.findings import LinkCheck, LinkRef, Observation
from govinspect.registry import Site
from govinspect.store import FindingStore

SITE = Site(id="3416000001", name="测试", organizer="测试办", level="portal", url="http://a.gov.cn/")


def _obs(page: str, rule: str = "ad.commercial") -> Observation:
    return Observation(rule=rule, site_id=SITE.id, page_url=f"http://a.gov.cn/{page}", message="商业广告")


def _run(store: FindingStore, run_id: str, pages: list[str], completed: bool = True) -> dict[str, int]:
    store.start_run(run_id, "2026-11-27", {}, [SITE])
    for page in pages:
        store.add_observation(run_id, _obs(page), SITE.url)
    counts = store.finalize_site(run_id, SITE, completed, "done" if completed else "stopped")
    store.end_run(run_id, "finished" if completed else "incomplete")
    return counts


def _status(store: FindingStore) -> dict[str, str]:
    return {r["page_url"].rsplit("/", 1)[-1]: r["status"] for r in store.findings()}


def test_lifecycle(store_target, tmp_path):
    store = FindingStore(store_target, spool_dir=tmp_path / "spool")
    assert _run(store, "r1", ["a", "b"]) == {"new": 2, "seen": 0, "reopened": 0, "fixed": 0}
    assert _status(store) == {"a": "open", "b": "open"}
    assert _run(store, "r2", ["b"])["fixed"] == 1
    assert _status(store) == {"a": "fixed", "b": "open"}
    assert _run(store, "r3", [], completed=False)["fixed"] == 0  # an incomplete run fixes nothing
    assert _status(store) == {"a": "fixed", "b": "open"}
    assert _run(store, "r4", ["a", "b"])["reopened"] == 1
    assert _status(store) == {"a": "reopened", "b": "open"}
    assert store.finalize_site("r4", SITE, True) is None  # once only: a second fold is refused
    record = next(r for r in store.findings() if r["page_url"].endswith("/a"))
    assert isinstance(record["evidence"], dict) and record["referrers"] == ["http://a.gov.cn/a"]
    assert store.counts_by_status("r4") == {"open": 1, "reopened": 1}
    with pytest.raises(ValueError, match="already exists"):
        store.start_run("r1", "2026-11-27", {}, [SITE])
    store.close()


def test_run_view_links(store_target, tmp_path):
    store = FindingStore(store_target, spool_dir=tmp_path / "spool")
    store.start_run("r1", "2026-11-27", {}, [SITE])
    refs = [LinkRef(SITE.id, "http://a.gov.cn/", f"http://b.gov.cn/{t}", "a", t) for t in ("x", "y", "z")]
    store.add_refs("r1", refs + refs[:1])  # a duplicate reference is kept once
    store.add_checks("r1", [LinkCheck("http://b.gov.cn/x", ok=False, status=404),
                            LinkCheck("http://b.gov.cn/y", ok=False, status=403, blocked=True),
                            LinkCheck("http://b.gov.cn/z", ok=False, status=500)])
    store.add_checks("r1", [LinkCheck("http://b.gov.cn/z", ok=True, status=200),  # a success replaces a failure
                            LinkCheck("http://b.gov.cn/x", ok=False, status=410)])
    store.add_checks("r1", [LinkCheck("http://b.gov.cn/z", ok=False, status=503)])  # ... not the reverse
    view = store.view("r1")
    assert view.check("http://b.gov.cn/z").ok is True
    assert view.check("http://b.gov.cn/x").status == 410
    assert view.check("http://b.gov.cn/nope") is None
    broken = list(view.broken_refs(SITE.id))
    assert [(c.target_url, len(r)) for c, r in broken] == [("http://b.gov.cn/x", 1)]
    assert view.blocked_targets(SITE.id) == 1
    store.close()


def test_link_refs_for_some_targets_are_those_of_all(store_target, tmp_path):
    """Asked for some targets (a fold's failed ones), the references are exactly those of the whole
    list filtered: the first line of a target per page, a page written twice keeping its first lines,
    a target that is a prefix of another not mistaken for it."""
    store = FindingStore(store_target, spool_dir=tmp_path / "spool")
    store.start_run("r1", "2026-11-27", {}, [SITE])
    targets = ["http://b.gov.cn/x", "http://b.gov.cn/x?y", "http://b.gov.cn/z", "http://b.gov.cn/w"]
    for n, page in enumerate(["http://a.gov.cn/", "http://a.gov.cn/p.html", "http://a.gov.cn/q.html"]):
        store.add_refs("r1", [LinkRef(SITE.id, page, t, "a", f"{page}-{t}") for t in targets[n:]])
    store.add_refs("r1", [LinkRef(SITE.id, "http://a.gov.cn/", "http://b.gov.cn/x", "img", "again")])
    every = list(store.link_refs("r1", SITE.id))
    for wanted in ({"http://b.gov.cn/x"}, {"http://b.gov.cn/x?y", "http://b.gov.cn/w"}, set(targets),
                   {"http://b.gov.cn/nope"}, {t: None for t in targets[1:]}.keys()):
        assert list(store.link_refs("r1", SITE.id, targets=wanted)) == [r for r in every if r.target_url in wanted]
    first = next(store.link_refs("r1", SITE.id, targets={"http://b.gov.cn/x"}))
    assert (first.page_url, first.tag, first.text) == ("http://a.gov.cn/", "a", "http://a.gov.cn/-http://b.gov.cn/x")
    assert store.view("r1").referrers(SITE.id, "http://b.gov.cn/x?y") == [
        ("http://a.gov.cn/", "http://a.gov.cn/-http://b.gov.cn/x?y"),
        ("http://a.gov.cn/p.html", "http://a.gov.cn/p.html-http://b.gov.cn/x?y")]
    store.close()


def test_observations_written_together_are_written_as_one_by_one(store_target, tmp_path):
    """A fold's conclusions go in one commit: same rows, same order, same fingerprints as one by one."""
    store = FindingStore(store_target, spool_dir=tmp_path / "spool")
    store.start_run("r1", "2026-11-27", {}, [SITE])
    store.start_run("r2", "2026-11-27", {}, [SITE])
    batch = [_obs("a"), _obs("b", "link.broken"), _obs("a")]
    singles = [store.add_observation("r1", obs, SITE.url) for obs in batch]
    assert store.add_observations("r2", batch, SITE.url) == singles
    assert store.add_observations("r2", iter([]), SITE.url) == []
    rows = {run: [(r["fingerprint"], r["rule"], r["page_url"], r["message"]) for r in store.query(
        "SELECT * FROM observations WHERE run_id=? ORDER BY id", (run,))] for run in ("r1", "r2")}
    assert rows["r1"] == rows["r2"] and len(rows["r1"]) == 3
    store.close()


MODULE_SCHEMA = """
CREATE TABLE IF NOT EXISTS probe_results (
  id INTEGER PRIMARY KEY, host TEXT NOT NULL, checked_at TEXT NOT NULL, ms REAL, ok INTEGER NOT NULL,
  UNIQUE (host, checked_at)
);
CREATE INDEX IF NOT EXISTS probe_results_host ON probe_results (host);
"""


def test_other_modules_tables(store_target, tmp_path):
    """The API other modules use for their own tables works the same on both backends."""
    store = FindingStore(store_target, spool_dir=tmp_path / "spool")
    store.apply_schema(MODULE_SCHEMA)
    store.apply_schema(MODULE_SCHEMA)  # idempotent
    upsert = ("INSERT INTO probe_results (host, checked_at, ms, ok) VALUES (?,?,?,?)"
              " ON CONFLICT (host, checked_at) DO UPDATE SET ms=excluded.ms, ok=excluded.ok")
    assert store.execute(upsert, ("a.gov.cn", "t1", 12.5, True)) == 1
    store.execute(upsert, ("a.gov.cn", "t1", 80.25, False))
    store.executemany(upsert, [("b.gov.cn", "t1", 1.0, 1), ("c.gov.cn", "t1", None, 0)])
    store.append(upsert, [("d.gov.cn", "t1", 2.0, 1)])
    rows = store.query("SELECT host, ms, ok FROM probe_results WHERE host LIKE ? ORDER BY host", ("%.gov.cn",))
    assert rows == [{"host": "a.gov.cn", "ms": 80.25, "ok": 0}, {"host": "b.gov.cn", "ms": 1.0, "ok": 1},
                    {"host": "c.gov.cn", "ms": None, "ok": 0}, {"host": "d.gov.cn", "ms": 2.0, "ok": 1}]
    ids = [r["id"] for r in store.query("SELECT id FROM probe_results ORDER BY id")]
    assert len(set(ids)) == 4 and all(isinstance(i, int) for i in ids)  # automatic ids on both
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute("DELETE FROM probe_results WHERE host=?", ("a.gov.cn",))
        assert db.query("SELECT COUNT(*) AS n FROM probe_results")[0]["n"] == 3
        raise RuntimeError("roll back")
    assert store.query("SELECT COUNT(*) AS n FROM probe_results") == [{"n": 4}]  # rolled back
    with store.transaction() as db:
        db.execute("DELETE FROM probe_results WHERE host=?", ("a.gov.cn",))
    assert store.query("SELECT COUNT(*) AS n FROM probe_results") == [{"n": 3}]
    row = store.db.execute("SELECT host, ok FROM probe_results ORDER BY host").fetchone()
    assert row[0] == row["host"] == row["HOST"] == "b.gov.cn" and dict(row) == {"host": "b.gov.cn", "ok": 1}
    store.close()


# ---- several processes at once ------------------------------------------------------------------
def _writer(target: str, spool: str, worker: int, barrier) -> None:
    store = FindingStore(target, spool_dir=spool)
    barrier.wait()
    for i in range(40):
        store.add_observation("fleet", _obs(f"w{worker}-{i}"), SITE.url)
        if i % 10 == 0:  # overlapping link batches in every worker
            store.add_refs("fleet", [LinkRef(SITE.id, f"http://a.gov.cn/{k}", f"http://b.gov.cn/{k}", "a", "t")
                                     for k in range(30)])
            store.add_checks("fleet", [LinkCheck(f"http://b.gov.cn/{k}", ok=k % 2 == 0, status=200)
                                       for k in range(30)])
    store.close()


def _folder(target: str, spool: str, barrier, results) -> None:
    store = FindingStore(target, spool_dir=spool)
    barrier.wait()
    results.append(store.finalize_site("fleet", SITE, True, "done"))
    store.close()


def test_many_processes_write_and_fold_once(store_target, tmp_path):
    """4 processes write at once; 3 then fold the same site at once: it is folded exactly once."""
    store = FindingStore(store_target, spool_dir=tmp_path / "spool")
    store.start_run("fleet", "2026-11-27", {}, [SITE])
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    procs = [ctx.Process(target=_writer, args=(store_target, str(tmp_path / "spool"), w, barrier)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert store.query("SELECT COUNT(*) AS n FROM observations")[0]["n"] == 160
    assert sum(1 for _ in store.link_refs("fleet")) == 30
    assert store.query("SELECT COUNT(*) AS n FROM link_checks WHERE ok=1")[0]["n"] == 15

    with ctx.Manager() as manager:
        results = manager.list()
        barrier = ctx.Barrier(3)
        procs = [ctx.Process(target=_folder, args=(store_target, str(tmp_path / "spool"), barrier, results))
                 for _ in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
            assert p.exitcode == 0
        counts = list(results)
    assert [c["new"] for c in counts if c is not None] == [160]  # one fold; the others are refused
    assert counts.count(None) == 2
    findings = list(store.findings())
    assert len(findings) == 160 and {f["status"] for f in findings} == {"open"}
    store.close()


def test_a_live_run_elsewhere_is_not_recovered(store_target, tmp_path):
    """A run still going in another process (on another machine, with PostgreSQL) is not
    'interrupted'; once its process is gone, it is."""
    pg_url = store_target
    import signal
    import subprocess
    import sys
    import textwrap

    from tests.support.cli import clean_env

    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from govinspect.registry import Site
        from govinspect.store import FindingStore
        store = FindingStore({pg_url!r}, spool_dir={str(tmp_path / "spool")!r})
        store.start_run("elsewhere", "2026-11-27", {{}}, [Site(id="3416000001", name="测试", organizer="测试办",
                        level="portal", url="http://a.gov.cn/")])
        print("started", flush=True)
        sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=clean_env())
    try:
        assert child.stdout.readline().strip() == "started"
        store = FindingStore(pg_url, spool_dir=tmp_path / "spool")
        assert store.run_is_live("elsewhere") and store.recover_interrupted() == []
        assert store.runs()[0]["status"] == "running"
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        deadline = time.monotonic() + 10  # the server sees the closed connection at once, or nearly
        while store.run_is_live("elsewhere") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert store.recover_interrupted() == ["elsewhere"]
        assert store.runs()[0]["status"] == "interrupted"
        store.close()
    finally:
        child.kill()


def test_evidence_screenshots_travel_in_the_store(store_target, tmp_path):
    """A fleet worker writes a screenshot on its own disk; the lists are issued on another machine,
    which reads it from the store. A leak's screenshot is never brought back (pixels are not masked)."""
    from PIL import Image

    from govinspect.rectify.thumbs import local_screenshots, thumbnail

    shots = tmp_path / "worker" / "screenshots"
    shots.mkdir(parents=True)
    ad, leak = shots / "ad-commercial-1.png", shots / "leak-id-number-1.png"
    Image.new("RGB", (300, 200), (200, 30, 30)).save(ad)
    Image.new("RGB", (300, 200), (30, 30, 200)).save(leak)
    store = FindingStore(store_target, spool_dir=tmp_path / "spool")
    store.start_run("r1", "2026-11-27", {}, [SITE])
    store.add_observation("r1", Observation(rule="ad.commercial", site_id=SITE.id, page_url="http://a.gov.cn/x",
                                            message="商业广告", screenshot=str(ad)), SITE.url)
    store.add_observation("r1", Observation(rule="leak.id-number", site_id=SITE.id, page_url="http://a.gov.cn/y",
                                            message="身份证号", screenshot=str(leak)), SITE.url)
    store.finalize_site("r1", SITE, True, "done")
    store.end_run("r1", "finished")
    original = ad.read_bytes()
    Image.new("RGB", (300, 200), (0, 200, 0)).save(ad)  # a later capture under the same name wins
    store.add_evidence_file("r1", str(ad))
    latest = ad.read_bytes()
    assert latest != original
    ad.unlink()
    leak.unlink()  # the issuing machine has neither file
    issuer = tmp_path / "issuer"
    lst = local_screenshots({"entries": store.findings()}, store, issuer)
    by_rule = {e["rule"]: e for e in lst["entries"]}
    assert by_rule["ad.commercial"]["screenshot"] == str(issuer / ad.name)
    assert (issuer / ad.name).read_bytes() == latest and thumbnail(by_rule["ad.commercial"]["screenshot"], "ad.commercial")
    assert by_rule["leak.id-number"]["screenshot"] == str(leak) and not (issuer / leak.name).exists()
    assert store.evidence_file(leak.name) is None and store.evidence_file("never-written.png") is None
    store.close()
