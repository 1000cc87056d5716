"""Two `govinspect crawl` processes, each in its own working directory with a config that names no
SQLite file, sharing only a PostgreSQL database (the multi-machine case on one box), produce one
set of findings: the same as one process crawling everything into SQLite.

The fleet mode (Redis queues, one fold per site) is tested with the workers; here the two
processes overlap on one site, which both fold concurrently into the same findings.
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import ExitStack

from govinspect.store import FindingStore
from tests.support.cli import FAST, LINKS_ONLY, clean_env, govinspect, write_registry
from tests.support.server import Route, RouteServer, html

SITES = ["3416000001", "3416000002", "3416000003"]


def _servers(stack: ExitStack) -> list[RouteServer]:
    servers = []
    for n in range(len(SITES)):
        routes = {"/": Route(html(f'<a href="/ok.html">ok</a><a href="/gone{n}.html">失效</a>'
                                  f'<a href="/a{n}.html">a</a>')),
                  "/ok.html": Route(html('<a href="/gone-shared.html">失效</a>')),
                  f"/a{n}.html": Route(html('<a href="/gone-shared.html">失效</a><a href="/ok.html">ok</a>'))}
        servers.append(stack.enter_context(RouteServer(routes)))
    return servers


def _findings(target: str, spool) -> set[tuple]:
    store = FindingStore(target, spool_dir=spool)
    try:
        return {(r["fingerprint"], r["rule"], r["site_id"], r["page_url"], r.get("target_url"), r["status"],
                 r["occurrences"], tuple(r.get("referrers", []))) for r in store.findings()}
    finally:
        store.close()


def test_two_machines_share_only_the_database(tmp_path, pg_url):
    with ExitStack() as stack:
        servers = _servers(stack)
        registry = write_registry(tmp_path / "registry.csv", [
            {"id": sid, "name": f"站点{n}", "organizer": "测试办", "url": srv.url + "/"}
            for n, (sid, srv) in enumerate(zip(SITES, servers, strict=True))])

        machines = []
        for name, sites in (("a", SITES[:2]), ("b", SITES[1:])):
            home = tmp_path / name
            home.mkdir()
            (home / "govinspect.toml").write_text(
                f'GOVINSPECT_STORE = "{pg_url}"\nSTORE_SPOOL_DIR = "spool"\n', encoding="utf-8")
            cmd = [sys.executable, "-m", "govinspect.cli", "crawl", "--registry", str(registry),
                   "--sites", ",".join(sites), "--run-id", f"run-{name}", "--settings-file", "govinspect.toml",
                   *FAST, *LINKS_ONLY]
            machines.append((home, subprocess.Popen(cmd, cwd=home, env=clean_env(), text=True,
                                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
        for _, proc in machines:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err[-3000:]

        reference = tmp_path / "reference.sqlite3"
        single = govinspect("crawl", "--registry", str(registry), "--store", str(reference), "--run-id", "single",
                            *FAST, *LINKS_ONLY, cwd=tmp_path)
        assert single.returncode == 0, single.stderr[-3000:]

    for home, _ in machines:
        assert not list(home.rglob("*.sqlite3*")), f"{home} has a SQLite file"
    shared = _findings(pg_url, tmp_path / "spool")
    expected = _findings(str(reference), tmp_path / "spool")
    assert {f[2] for f in shared} == set(SITES)
    assert {f[1] for f in shared} == {"link.broken"} and len(shared) == 3 * 2  # own + shared broken link per site
    # Same findings, field by field, apart from the run that last saw them.
    assert shared == expected
    store = FindingStore(pg_url, spool_dir=tmp_path / "spool")
    runs = {r["run_id"]: r["status"] for r in store.runs()}
    assert runs == {"run-a": "finished", "run-b": "finished"}
    assert {r["site_id"] for r in store.run_sites("run-a")} == set(SITES[:2])
    store.close()
