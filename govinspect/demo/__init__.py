"""Demo cluster: a generator of fictional Chinese government sites with seeded problems, and a
loopback HTTP proxy that serves them by host name, so crawls and tests never leave 127.0.0.1.

    cluster = build_cluster(tmp_path)            # registry.csv, manifest.json, behaviours.json, hosts/
    with ClusterServer(cluster.root) as srv:     # http_proxy=srv.proxy_url
        ...

Names are imported lazily so ``python -m govinspect.demo.server`` does not import itself twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govinspect.demo.generator import DEFAULT_AS_OF, Cluster, build_cluster
    from govinspect.demo.server import ClusterServer

__all__ = ["DEFAULT_AS_OF", "Cluster", "ClusterServer", "build_cluster"]


def __getattr__(name: str) -> Any:
    if name == "ClusterServer":
        from govinspect.demo.server import ClusterServer

        return ClusterServer
    if name in ("DEFAULT_AS_OF", "Cluster", "build_cluster"):
        from govinspect.demo import generator

        return getattr(generator, name)
    raise AttributeError(name)
