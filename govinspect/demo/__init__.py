"""Demo cluster: a generator of fictional Chinese government sites with seeded problems, and a
loopback HTTP proxy that serves them by host name, so crawls and tests never leave 127.0.0.1.

    cluster = build_cluster(tmp_path)            # registry.csv, manifest.json, behaviours.json, hosts/
    with ClusterServer(cluster.root) as srv:     # http_proxy=srv.proxy_url
        ...
"""

from govinspect.demo.generator import DEFAULT_AS_OF, Cluster, build_cluster
from govinspect.demo.server import ClusterServer

__all__ = ["DEFAULT_AS_OF", "Cluster", "ClusterServer", "build_cluster"]
