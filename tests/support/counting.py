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
    """Each request is an interval: from when it was read to just *before* its answer is written. A
    client cannot send its next request to a host before it has the answer, so intervals that a
    client (or a fleet) keeps apart never overlap here, whatever the server's threads do afterwards."""

    _answered: float | None = None

    def _send(self, *args, **kwargs) -> None:
        self._answered = time.monotonic()
        super()._send(*args, **kwargs)
        self._written = True

    def _serve(self, head: bool) -> None:
        target = self._target()
        host = target[0] if target else ""
        url = f"http://{host}{target[1]}{'?' + target[2] if target[2] else ''}" if target else self.path
        stats: ServerCounts = self.server.counts
        started = time.monotonic()
        entry = stats.enter(self.command, url, self.client_address)
        self._answered, self._written, outcome = None, False, ""
        try:
            if stats.latency:
                time.sleep(stats.latency)
            super()._serve(head)
        except BaseException as exc:
            outcome = type(exc).__name__
            raise
        finally:
            stats.interval(host, started, self._answered or time.monotonic())
            stats.outcome(entry, outcome or ("written" if self._written else "not answered"))


class ServerCounts:
    def __init__(self, latency: float = 0.0):
        self.latency = latency
        self.hits: Counter[tuple[str, str]] = Counter()
        self.intervals: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.log: list[list] = []  # [time, method, url, client port, outcome]
        self.first: float | None = None
        self.last: float | None = None
        self._lock = threading.Lock()

    def enter(self, method: str, url: str, peer: tuple | None = None) -> int:
        with self._lock:
            self.hits[(method, url)] += 1
            # who asked, on which connection, when, and how it ended: tells a client's resend after a
            # lost answer from two requests (two connections, maybe two workers)
            self.log.append([time.monotonic(), method, url, peer[1] if peer else None, ""])
            now = time.monotonic()
            self.first = self.first if self.first is not None else now
            self.last = now
            return len(self.log) - 1

    def outcome(self, entry: int, how: str) -> None:
        with self._lock:
            if entry < len(self.log):
                self.log[entry][4] = how

    def interval(self, host: str, start: float, end: float) -> None:
        with self._lock:
            self.intervals[host].append((start, end))

    @property
    def peak(self) -> dict[str, int]:
        """Most requests any host had at once (a request ends as its answer starts going out)."""
        with self._lock:
            spans = {h: list(v) for h, v in self.intervals.items()}
        peaks = {}
        for host, items in spans.items():
            events = sorted([(s, 1) for s, _ in items] + [(e, -1) for _, e in items], key=lambda x: (x[0], x[1]))
            active = best = 0
            for _, step in events:
                active += step
                best = max(best, active)
            peaks[host] = best
        return peaks

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()
            self.intervals.clear()
            self.log.clear()
            self.first = self.last = None

    def requests_for(self, url: str) -> list[list]:
        """Every request for ``url``: [time, method, url, client port, outcome]."""
        with self._lock:
            return [entry for entry in self.log if entry[2] == url]

    def on_connection(self, port: int | None) -> list[list]:
        """Every request that came on the client connection with this port, in order."""
        with self._lock:
            return [entry for entry in self.log if entry[3] == port]

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
