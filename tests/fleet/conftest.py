"""Fleet fixtures: a generated cluster behind the counting proxy, and its single-process baseline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from govinspect.demo.generator import Cluster, build_cluster
from tests.fleet.helpers import (
    AS_OF,
    FLEET_SEEDS,
    HANG_CAP,
    REDIS_URL,
    SETTINGS,
    cli,
    findings,
    gets,
    redis_client,
    site_completion,
    site_counts,
)
from tests.support.cli import clean_env
from tests.support.counting import CountingClusterServer


@dataclass
class Baseline:
    cluster: Cluster
    server: CountingClusterServer
    gets: dict
    findings: set
    completion: dict  # site -> (completed, reason)
    counts: dict  # site -> (pages, errors, blocked)


@pytest.fixture
def redis_db():
    client = redis_client(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Baseline:
    """The cluster crawled once by the single-process ``crawl`` (no Redis), counted at the server."""
    tmp = tmp_path_factory.mktemp("fleet")
    cluster = build_cluster(tmp / "cluster", sites=4, pages_per_site=8, seed_names=FLEET_SEEDS)
    server = CountingClusterServer(cluster.root, max_delay=HANG_CAP, latency=0.01).start()
    store = tmp / "single.sqlite3"
    result = cli("crawl", "--registry", str(cluster.registry_path), "--store", str(store), "--as-of", AS_OF,
                 "--run-id", "single", *SETTINGS, env=clean_env(http_proxy=server.proxy_url))
    assert result.returncode == 0, result.stderr[-3000:]
    base = Baseline(cluster, server, gets(server), findings(store), site_completion(store, "single"),
                    site_counts(store, "single"))
    yield base
    server.stop()


@pytest.fixture
def served(baseline: Baseline) -> CountingClusterServer:
    """The baseline's server with its counters (and ``times``-limited behaviours) reset."""
    baseline.server.counts.reset()
    baseline.server.reset()
    return baseline.server


def seed(cluster: Cluster, store: Path, env: dict, run_id: str, *extra: str):
    return cli("seed", "--registry", str(cluster.registry_path), "--store", str(store), "--as-of", AS_OF,
               "--run-id", run_id, *SETTINGS, *extra, env=env)
