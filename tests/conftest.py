"""Shared fixtures: one real crawl of the whole bundled demo cluster, through its loopback proxy."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from subprocess import CompletedProcess

import pytest

DEMO_AS_OF = date(2026, 11, 20)


@dataclass
class DemoCrawl:
    cluster: object  # govinspect.demo.Cluster
    store: Path
    result: CompletedProcess
    db: sqlite3.Connection


@pytest.fixture(scope="session")
def demo_crawl(tmp_path_factory) -> DemoCrawl:
    """The demo cluster with every seed, crawled once by ``govinspect crawl`` as a scheduler would."""
    from govinspect.demo.generator import build_cluster
    from govinspect.demo.server import ClusterServer
    from tests.support.cli import clean_env, govinspect

    tmp = tmp_path_factory.mktemp("demo-crawl")
    cluster = build_cluster(tmp / "cluster", as_of=DEMO_AS_OF)
    store = tmp / "store.sqlite3"
    # The seeded hanging URL is held 3 s (the server caps its delay), beyond a 1.5 s timeout.
    with ClusterServer(tmp / "cluster", max_delay=3.0) as server:
        # availability probes before the crawl, as `govinspect demo` makes them (seeds/probes.py)
        from govinspect.demo.seeds.probes import DEMO_PROBE_ROUNDS

        probes = govinspect("probe", "--registry", str(cluster.registry_path), "--store", str(store),
                            "--count", str(DEMO_PROBE_ROUNDS), "--interval", "0.1", "-s", "PROBE_TIMEOUT=1.5",
                            env=clean_env(http_proxy=server.proxy_url), timeout=120)
        assert probes.returncode == 0, probes.stderr[-3000:]
        result = govinspect(
            "crawl", "--registry", str(cluster.registry_path), "--store", str(store),
            "--as-of", DEMO_AS_OF.isoformat(), "--run-id", "demo-1",
            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "DOWNLOAD_TIMEOUT=1.5", "-s", "RETRY_TIMES=1",
            "-s", "PROGRESS_INTERVAL=0", "-s", "RENDER_LOOPBACK_ONLY=true",
            env=clean_env(http_proxy=server.proxy_url), timeout=600,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite3.connect(store)
    db.row_factory = sqlite3.Row
    return DemoCrawl(cluster, store, result, db)


# ---- store backends: every store test runs on SQLite and on PostgreSQL ----------------------------
@pytest.fixture
def pg_url():
    """A fresh, empty database on the PostgreSQL test server (skips when there is none)."""
    from tests.support.pg import create_database, drop_database, server_url

    url = create_database(server_url())
    yield url
    drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request, tmp_path) -> str:
    """The ``--store`` value of a new, empty store: a SQLite file, or a PostgreSQL database URL."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite3")
    return request.getfixturevalue("pg_url")
