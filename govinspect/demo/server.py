"""A loopback HTTP forward proxy that serves every host of a demo cluster from disk.

Clients set ``http_proxy=http://127.0.0.1:PORT`` and request ``http://www.example-city.gov.cn/``;
the server answers from ``ROOT/hosts/<host>/`` and applies ``ROOT/behaviours.json``. Unknown hosts
get 502 like a real proxy, CONNECT gets 501, and nothing ever leaves 127.0.0.1.

    python -m govinspect.demo.server ROOT --port 8118
"""

from __future__ import annotations

import argparse
import json
import posixpath
import re
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from govinspect.demo import dynamic

CONTENT_TYPES = {
    "html": "text/html",
    "htm": "text/html",
    "shtml": "text/html",
    "jsp": "text/html",
    "do": "text/html",
    "css": "text/css",
    "js": "application/javascript",
    "json": "application/json",
    "txt": "text/plain",
    "xml": "application/xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "svg": "image/svg+xml",
    "ico": "image/x-icon",
    "pdf": "application/pdf",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_MATRIX = re.compile(r";[^/]*")  # ;jsessionid=... path parameters, ignored like a servlet container does
NOT_FOUND = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>404 页面不存在</title></head>'
    "<body><h1>404</h1><p>您访问的页面不存在或已被删除。</p></body></html>"
).encode()


def content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else "html"
    return CONTENT_TYPES.get(ext, "application/octet-stream")


class ClusterFiles:
    """Files and behaviours of one cluster directory, with a byte cache shared by all threads."""

    def __init__(self, root: Path, max_delay: float | None = None):
        self.root = Path(root)
        self.max_delay = max_delay
        data = {}
        bpath = self.root / "behaviours.json"
        if bpath.exists():
            data = json.loads(bpath.read_text(encoding="utf-8")).get("hosts", {})
        self.behaviours: dict[str, dict] = data
        hosts_dir = self.root / "hosts"
        dirs = {p.name: p for p in hosts_dir.iterdir() if p.is_dir()} if hosts_dir.exists() else {}
        self.host_dirs = {name.replace("_", ":"): path for name, path in dirs.items()}
        self.hosts = set(self.host_dirs) | set(self.behaviours)
        self._cache: dict[tuple[str, str], bytes | None] = {}
        self._counters: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def read(self, host: str, path: str) -> bytes | None:
        """Bytes of ``path`` on ``host``, or None; ``path`` is already normalised."""
        key = (host, path)
        try:
            return self._cache[key]
        except KeyError:
            pass
        base = self.host_dirs.get(host)
        data = None
        if base is not None:
            target = base / path.lstrip("/")
            if target.is_file():
                data = target.read_bytes()
        if len(self._cache) < 200_000:
            self._cache[key] = data
        return data

    def is_dir(self, host: str, path: str) -> bool:
        base = self.host_dirs.get(host)
        return base is not None and (base / path.lstrip("/")).is_dir()

    def behaviour(self, host: str, path: str, user_agent: str = "") -> tuple[dict, dict]:
        """(host settings, behaviour for this path) -- the path's own, else the host's ``all``.

        A behaviour with ``user_agent`` applies only to clients whose User-Agent contains it (the
        availability probes' failures must not reach the crawl or other clients).
        """
        hostb = self.behaviours.get(host)
        if not hostb:
            return {}, {}
        b = hostb.get("paths", {}).get(path) or hostb.get("all") or {}
        if b.get("user_agent") and b["user_agent"] not in user_agent:
            b = {k: v for k, v in b.items() if k == "charset"}
        elif b.get("times") is not None and not self._counts(host, path, b):
            b = {k: v for k, v in b.items() if k == "charset"}
        return hostb, b

    def _counts(self, host: str, path: str, b: dict) -> bool:
        """True while a ``times``-limited behaviour still applies in its current ``window``."""
        now = time.monotonic()
        with self._lock:
            state = self._counters.setdefault((host, path), [0, now])
            if now - state[1] > float(b.get("window", 60.0)):
                state[0], state[1] = 0, now
            state[0] += 1
            return state[0] <= int(b["times"])

    def reset(self) -> None:
        """Forget ``times`` counters (so a 429 that succeeds on retry can be replayed)."""
        with self._lock:
            self._counters.clear()


class ProxyHandler(BaseHTTPRequestHandler):
    """Serves one client connection (keep-alive) for :class:`ClusterServer`."""

    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are dropped after this
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - signature from the base class
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._serve(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._serve(head=False)

    def do_CONNECT(self) -> None:  # noqa: N802
        self.close_connection = True
        self._send(
            501,
            b"CONNECT (HTTPS tunnelling) is not supported by the demo proxy\n",
            "text/plain",
            head=False,
            extra={"Connection": "close"},
        )

    # --- request handling ------------------------------------------------------------------
    def _target(self) -> tuple[str, str, str] | None:
        """(host[:port], path, query) of the request, in absolute or origin form."""
        raw = self.path
        if raw.lower().startswith("http://"):
            parts = urlsplit(raw)
            netloc, path, query = parts.netloc, parts.path, parts.query
        elif raw.startswith("/"):
            netloc = self.headers.get("Host", "")
            path, _, query = raw.partition("?")
        else:
            return None
        netloc = netloc.rsplit("@", 1)[-1].lower().rstrip(".")
        if netloc.endswith(":80"):
            netloc = netloc[:-3]
        return netloc, path or "/", query

    def _serve(self, head: bool) -> None:
        target = self._target()
        if target is None or not target[0]:
            self._send(400, b"Bad Request\n", "text/plain", head)
            return
        host, raw_path, query = target
        cluster: ClusterFiles = self.server.cluster
        if host not in cluster.hosts:
            self._send(
                502,
                f"502 Bad Gateway: cannot resolve {host}\n".encode(),
                "text/plain",
                head,
                extra={"X-Demo-Proxy": "unknown-host"},
            )
            return
        path = _normalise(raw_path)
        if path is None:
            self._send(400, b"Bad Request\n", "text/plain", head)
            return
        hostb, b = cluster.behaviour(host, path, self.headers.get("User-Agent", ""))
        if b.get("delay"):
            delay = float(b["delay"])
            if cluster.max_delay is not None:
                delay = min(delay, cluster.max_delay)
            if self.server.stopping.wait(delay):
                self.close_connection = True
                return
        if "dynamic" in b:
            body = dynamic.render(b["dynamic"], host, path, parse_qs(query), self.path)
            self._send(200, body, "text/html; charset=utf-8", head)
            return
        status = int(b.get("status", 200))
        if head and b.get("head_status"):
            status = int(b["head_status"])
        headers = dict(b.get("headers", {}))
        if b.get("location"):
            loc = b["location"]
            headers["Location"] = loc if "://" in loc else f"http://{host}{loc}"
        if "body" in b or "location" in b or status != 200:
            body = b.get("body", "").encode("utf-8") if "body" in b else _status_body(status)
            self._send(status, body, b.get("content_type", "text/html; charset=utf-8"), head, headers)
            return
        if path.endswith("/"):
            path += "index.html"
        data = cluster.read(host, path)
        if data is None:
            if cluster.is_dir(host, path):
                headers["Location"] = f"http://{host}{path}/"
                self._send(301, _status_body(301), "text/html", head, headers)
            else:
                # a host may serve its own error page, e.g. with 200 (a soft 404: seeds/soft404.py)
                nf = hostb.get("not_found") or {}
                body = nf["body"].encode("utf-8") if "body" in nf else NOT_FOUND
                self._send(int(nf.get("status", 404)), body, "text/html; charset=utf-8", head, headers)
            return
        ctype = b.get("content_type") or content_type(path)
        charset = b["charset"] if "charset" in b else hostb.get("charset")
        if charset and ctype == "text/html":
            ctype = f"{ctype}; charset={charset}"
        self._send(status, data, ctype, head, headers)

    def _send(self, status: int, body: bytes, ctype: str, head: bool, extra: dict | None = None) -> None:
        """Status line, headers and body in one write: two small writes would meet Nagle's delay."""
        lines = [
            f"HTTP/1.1 {status} {_reason(status)}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {ctype}",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{name}: {value}" for name, value in (extra or {}).items()]
        if self.close_connection:
            lines.append("Connection: close")
        if self.server.verbose:
            self.log_request(status, len(body))
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")
        self.wfile.write(payload if head else payload + body)


def _normalise(raw_path: str) -> str | None:
    """Decoded path without ``;params``, with ``..`` resolved; None if it escapes the root."""
    path = unquote(_MATRIX.sub("", raw_path))
    trailing = path.endswith("/")
    norm = posixpath.normpath("/" + path.lstrip("/"))
    if norm.startswith("//"):
        norm = "/" + norm.lstrip("/")
    if ".." in norm.split("/"):
        return None
    if trailing and not norm.endswith("/"):
        norm += "/"
    return norm


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _status_body(status: int) -> bytes:
    return f"<html><body><h1>{status}</h1></body></html>".encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, cluster: ClusterFiles, verbose: bool):
        self.cluster = cluster
        self.verbose = verbose
        self.stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(addr, ProxyHandler)

    def handle_error(self, request, client_address) -> None:
        """Clients that hang up (a crawler's timeout) are normal here; anything else is printed."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._conns_lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def close_all(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class ClusterServer:
    """Serve a cluster directory as an HTTP proxy on a loopback port, in a daemon thread.

    ``with ClusterServer(root) as srv: ... srv.proxy_url``. ``max_delay`` caps behaviour delays
    (tests use it to keep the hanging URL short); ``verbose`` logs every request to stderr.
    """

    def __init__(
        self,
        root: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_delay: float | None = None,
        verbose: bool = False,
    ):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the demo server only listens on loopback")
        self.root = Path(root)
        self.host = host
        self.port = port
        self.cluster = ClusterFiles(self.root, max_delay)
        self.verbose = verbose
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def proxy_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ClusterServer:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self.cluster, self.verbose)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"demo-proxy-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.close_all()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self) -> None:
        """Replay ``times``-limited behaviours (e.g. the 429 that succeeds on retry) from scratch."""
        self.cluster.reset()

    def __enter__(self) -> ClusterServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m govinspect.demo.server", description="Serve a demo cluster as an HTTP proxy on 127.0.0.1."
    )
    parser.add_argument("root", type=Path, help="directory written by build_cluster")
    parser.add_argument("--port", type=int, default=8118)
    parser.add_argument("--max-delay", type=float, default=None, help="cap seeded delays (seconds)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    with ClusterServer(args.root, port=args.port, max_delay=args.max_delay, verbose=args.verbose) as srv:
        print(f"serving {args.root} as proxy {srv.proxy_url}  (export http_proxy={srv.proxy_url})", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
