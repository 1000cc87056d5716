"""A loopback HTTP server with scripted routes, for tests that need exact server behaviour.

Routes map a path (with query) to a :class:`Route`: status, headers, body, a delay (to simulate a
server that hangs), a different status for HEAD, or a redirect. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    delay: float = 0.0
    head_status: int | None = None
    location: str | None = None
    gate: threading.Event | None = None  # held until the test sets it (at most 120 s)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RouteServer

    def log_message(self, format, *args):  # noqa: A002 - quiet test output
        pass

    def _serve(self, head: bool) -> None:
        self.server.hits.append((self.command, self.path))
        # counted as active until just before the answer goes out: a client cannot send its next
        # request before it has this answer, so requests a client keeps apart never overlap here
        with self.server.enter():
            route = self.server.routes.get(self.path) or self.server.routes.get(self.path.split("?", 1)[0])
            if route is None:
                route = Route(b"<html><body>not found</body></html>", 404)
            if route.delay:
                time.sleep(route.delay)
            if route.gate is not None:
                route.gate.wait(120)
        status = route.head_status if head and route.head_status else route.status
        self.send_response(status)
        for k, v in route.headers.items():
            self.send_header(k, v)
        if route.location:
            self.send_header("Location", route.location)
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        if not head:
            try:
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def do_GET(self):  # noqa: N802
        try:
            self._serve(head=False)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a link check stops reading after the headers: expected, not a server error

    def do_HEAD(self):  # noqa: N802
        try:
            self._serve(head=True)
        except (BrokenPipeError, ConnectionResetError):
            pass


class RouteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[str, Route] | None = None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = routes or {}
        self.hits: list[tuple[str, str]] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        # requests being answered at once, and the most at once (per-host politeness is measured here)
        self.active = 0
        self.peak = 0
        self._lock = threading.Lock()

    @contextmanager
    def enter(self):
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            yield
        finally:
            with self._lock:
                self.active -= 1

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> RouteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


def html(body: str, title: str = "测试页面", charset: str = "utf-8") -> bytes:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode(charset)
