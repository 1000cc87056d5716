"""One default demo cluster and one proxy server per test module: building takes under a second,
but the server's ``times`` counters (429 then 200) need a fresh start per module.

``cluster`` uses only the seeds these tests are about, so other seeds (ads, leaks, images,
archives) can change the cluster without breaking exact assertions here; ``full_cluster`` uses
every registered seed and backs the tests that check the manifest is true whatever seeds exist.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from govinspect.demo import Cluster, ClusterServer, build_cluster


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: D401 - urllib hook
        return None


def make_opener(proxy_url: str, follow: bool = True) -> urllib.request.OpenerDirector:
    handlers: list = [urllib.request.ProxyHandler({"http": proxy_url, "https": proxy_url})]
    if not follow:
        handlers.append(_NoRedirect())
    return urllib.request.build_opener(*handlers)


def fetch(opener: urllib.request.OpenerDirector, url: str, method: str = "GET", timeout: float = 10) -> Fetched:
    """Status, headers and body through the proxy; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(url, method=method)
    try:
        with opener.open(req, timeout=timeout) as resp:
            return Fetched(resp.status, dict(resp.headers), resp.read(), resp.geturl())
    except urllib.error.HTTPError as err:
        return Fetched(err.code, dict(err.headers), err.read(), url)


MY_SEEDS = ["encodings", "availability", "identity", "freshness", "links", "traps"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Cluster:
    return build_cluster(tmp_path_factory.mktemp("demo") / "cluster", seed_names=MY_SEEDS)


@pytest.fixture(scope="module")
def full_cluster(tmp_path_factory) -> Cluster:
    return build_cluster(tmp_path_factory.mktemp("demo_full") / "cluster")


@pytest.fixture(scope="module")
def full_opener(full_cluster):
    with ClusterServer(full_cluster.root, max_delay=1.0) as srv:
        yield srv, make_opener(srv.proxy_url)


@pytest.fixture(scope="module")
def server(cluster):
    with ClusterServer(cluster.root, max_delay=1.0) as srv:
        yield srv


@pytest.fixture(scope="module")
def opener(server):
    return make_opener(server.proxy_url)


@pytest.fixture(scope="module")
def raw_opener(server):
    return make_opener(server.proxy_url, follow=False)
