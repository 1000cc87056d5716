"""A loopback server whose answers never end: no Content-Length, body until the client gives up."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Endless(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # body delimited by closing the connection: no length at all

    def log_message(self, format, *args):  # noqa: A002
        pass

    def do_GET(self):  # noqa: N802
        self.server.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        chunk = b"<p>" + "无尽的内容".encode() * 2000 + b"</p>\n"
        try:
            self.wfile.write(b"<html><body>")
            for _ in range(100_000):  # ~3 GB at most; the client stops far earlier
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_HEAD = do_GET


class EndlessServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Endless)
        self.hits: list[str] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
