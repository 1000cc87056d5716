"""The demo cluster's loopback proxy, counting what it serves: hits per URL and concurrency per host.

For the fleet tests and benchmark: "every page fetched exactly once" and "no host ever sees more than
its limit at once" are measured here, at the server, not believed from the crawler's logs.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from govinspect.demo import server as demo_server


class _CountingHandler(demo_server.ProxyHandler):
    def _serve(self, head: bool) -> None:
        srv = self.server
        target = self._target()
        host = target[0] if target else ""
        url = f"http://{host}{target[1]}{'?' + target[2] if target and target[2] else ''}" if target else self.path
        stats: ServerCounts = srv.counts
        stats.enter(self.command, host, url)
        try:
            if stats.latency:
                time.sleep(stats.latency)
            super()._serve(head)
        finally:
            stats.leave(host)


class ServerCounts:
    def __init__(self, latency: float = 0.0):
        self.latency = latency
        self.hits: Counter[tuple[str, str]] = Counter()
        self.active: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self.first: float | None = None
        self.last: float | None = None
        self._lock = threading.Lock()

    def enter(self, method: str, host: str, url: str) -> None:
        with self._lock:
            self.hits[(method, url)] += 1
            self.active[host] += 1
            self.peak[host] = max(self.peak[host], self.active[host])
            now = time.monotonic()
            self.first = self.first if self.first is not None else now
            self.last = now

    def leave(self, host: str) -> None:
        with self._lock:
            self.active[host] -= 1

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()
            self.peak.clear()
            self.first = self.last = None

    def gets(self) -> Counter[str]:
        return Counter({url: n for (method, url), n in self.hits.items() if method == "GET"})


class CountingClusterServer(demo_server.ClusterServer):
    """``ClusterServer`` whose handler counts; ``latency`` seconds are added to every answer."""

    def __init__(self, root: Path, *, latency: float = 0.0, **kwargs):
        super().__init__(root, **kwargs)
        self.counts = ServerCounts(latency)

    def start(self) -> CountingClusterServer:
        super().start()
        self._server.RequestHandlerClass = _CountingHandler
        self._server.counts = self.counts
        return self
